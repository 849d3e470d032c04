"""``envdoctor smoke``: train a bundled toy GPT in the target environment, stage by stage.

``mindspore.run_check()`` multiplies three numbers; labs then fail in the first real
training step. The smoke train runs the lab's recipe (GPT-1 fine-tuning: a decoder-only
transformer, a classification head on the last token, the LM loss kept as an auxiliary
objective) at toy scale, offline, in the target interpreter, and says which stage breaks:

    import mindspore -> device + one op -> [import mindnlp] -> tokenizer -> data pipeline
    -> forward -> backward -> optimizer step -> loss falls -> held-out accuracy
    -> compiled step (jit) -> checkpoint save/load

Choices worth knowing:

- **Levels.** ``mindspore`` (default) trains envdoctor's TinyGPT written with MindSpore's own
  API (nn.Cell, ``mindspore.value_and_grad``, ``nn.Adam``, ``mindspore.jit``); it avoids APIs
  newer than 2.0 and ops without CPU kernels (``ops.roll``). ``mindnlp`` trains the installed
  mindnlp's own classes, found by looking, newest API first: 0.5 ``OpenAIGPT*`` on mindtorch
  (``mindtorch.autograd.value_and_grad`` + ``torch.optim.AdamW``, grads reset by hand since
  ``zero_grad()`` raises), 0.4 ``OpenAIGPT*`` on ``mindnlp.core``, 0.2-0.3
  ``mindnlp.transformers.GPT*`` and 0.1 ``mindnlp.models.GPT*`` (nn.Cells, trained like the
  mindspore level). The JSON's ``mindnlp_api`` says which was used. At this level the
  objective is classification only (the LM loss is computed, weight 0): those classes are
  post-LayerNorm GPT-1s with a tied LM head, and from scratch in 48 steps the auxiliary LM
  loss kept held-out accuracy at chance for most seeds.
- **Tokenizer.** A byte-level BPE trained on the corpus with ``tokenizers``. When
  ``tokenizers`` is not installed, envdoctor trains its own pure-Python byte-level BPE (same
  algorithm, same sequence lengths) and the stage ends in ``warn``: the MindSpore stack is
  still fully tested and the exit code stays 0, but the missing package is flagged, because
  the lab needs it. A ``tokenizers`` that is installed but fails to import is a failure.
- **Data.** The source yields Python lists and ints as a student's would, so NumPy 2 breaks
  ``GeneratorDataset`` here (``np.array(x, copy=False)``) exactly as it breaks the lab.
- **Speed.** The target runs PyNative ops synchronously on one runtime thread
  (``pynative_synchronize``, ``runtime_num_threads=1``, where the MindSpore has them): a
  failing op raises in its own stage, and on shared 2-core machines the toy model runs
  10-30x faster than with MindSpore's thread hand-offs. A CPU verdict takes ~15-25 s.
- **Isolation.** The target runs in its own process group from an empty temporary folder
  (corpus and checkpoint live there) with a timeout over the whole run; a crash (faulthandler
  prints the native stack), an abort or a hang fails the stage that was running.

Modules: :mod:`~envdoctor.smoke.corpus` (the corpus, from a seed),
:mod:`~envdoctor.smoke.runner` (runs ``probes/lab_smoke.py``), :mod:`~envdoctor.smoke.result`
(data), :mod:`~envdoctor.smoke.hints` (why a stage failed), :mod:`~envdoctor.smoke.render`
(text, JSON, live display), :mod:`~envdoctor.smoke.findings` (``check --smoke``).

JSON (``envdoctor smoke --json``): ``stages`` (``name``, ``title``, ``status``
pass/warn/fail/skip, ``seconds``, ``detail``, ``data``, ``error``, ``hint``, ``log``),
``verdict``, ``failed_stage``, ``exit_code``, ``seconds`` (wall time to verdict), ``device``,
``mindspore_version``, ``numpy_version``, ``mindnlp_version``, ``mindnlp_api``,
``tokenizer``, ``parameters``, ``steps``, ``loss_first`` (untrained model, first batch),
``loss_last`` (mean of the last 8 training steps), ``accuracy`` (held-out),
``tokens_per_second`` (eager training), ``tokens_per_second_compiled``,
``compile_seconds``, ``train_seconds``, ``settings``, ``python``, ``python_version``,
``level``, ``device_requested``, ``ended`` (done/crashed/timeout), ``exit_description``.
"""
