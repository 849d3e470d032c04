"""The smoke script's MindNLP backends: which GPT classes this mindnlp has, and how to train
them (stdlib only here; mindnlp is imported by the ``mindnlp`` stage).

MindNLP changed its API with nearly every minor release, so the API is found by looking, not
by version number (the 0.1.1 on PyPI and the git tag v0.1.1 differ):

    0.5.x   transformers on mindtorch (``import torch`` gives mindtorch)  -> kind "torch"
    0.4.x   mindnlp.engine.Trainer over mindnlp.core modules (the lab's) -> kind "trainer"
            (without mindnlp.engine: torch-like mindnlp.core modules)    -> kind "core"
    0.3.x   mindnlp.engine.Trainer + TrainingArguments (Hugging Face style)
            over nn.Cell GPT* models (the 2024-08 lab's)                  -> kind "cell-trainer"
    0.2.x   mindnlp.engine.Trainer(network=..., optimizer=..., jit=False)
            over nn.Cell GPT* models (the 2024-06 lab's)                  -> kind "network-trainer"
    0.2-0.3 without an engine Trainer: nn.Cell models, value_and_grad    -> kind "cell"
    0.1.x   mindnlp.models, nn.Cell models                                -> kind "cell"

The seam, for a new generation or a new way to train one (say ``mindnlp.engine.Trainer``):
write a ``discover_*(tried) -> MindnlpPlan or None`` and put it in ``DISCOVERERS`` (tried in
order, newest API first), and a ``build(state, plan) -> backend`` under the plan's kind in
``BUILDERS``. 0.2, 0.3 and 0.4 with ``mindnlp.engine`` train through the lab's own Trainer,
one step at a time (its training step, its optimizer); the "cell" backend stays the fallback
where no engine Trainer is found. A backend has the interface described in ``smoke_ms``.
"""

import inspect
import os
import sys
from importlib import import_module

try:  # imported as envdoctor.probes.smoke_mindnlp (host tests)
    from .smoke_bpe import PAD
    from .smoke_ms import (MindSporeBackend, checkpoint_round_trip, loss_cell_class, to_float,
                           to_numpy)
    from .smoke_protocol import Failed
except ImportError:  # run by the target from this folder
    from smoke_bpe import PAD
    from smoke_ms import (MindSporeBackend, checkpoint_round_trip, loss_cell_class, to_float,
                          to_numpy)
    from smoke_protocol import Failed

__all__ = ["MindnlpPlan", "DISCOVERERS", "BUILDERS", "choose_mindnlp_backend",
           "build_mindnlp_backend", "gpt_config", "ModuleBackend", "TrainerBackend",
           "CellTrainerBackend", "NetworkTrainerBackend", "trainer_style"]


def _module(name):
    try:
        return import_module(name)
    except ImportError:
        return None


class MindnlpPlan(object):
    """The GPT classes found and how to train them: ``kind`` picks the builder in BUILDERS."""

    def __init__(self, kind, config_class, model_class, api, eager=None):
        self.kind = kind  # a key of BUILDERS: torch | core | cell
        self.config_class = config_class
        self.model_class = model_class
        self.api = api  # one line for the report: which classes, which training API
        # why the lab never compiles this generation's training step (then the compiled
        # stage is skipped with this reason); None: the lab can compile it, test it
        self.eager = eager


# --- discovery: each returns a plan, or None after saying in ``tried`` what it looked for


def discover_mindtorch(tried):
    """0.5.x: mindnlp.transformers is Hugging Face transformers running on mindtorch, a torch
    API over MindSpore; `import torch` gives mindtorch once mindnlp is imported."""
    if "mindtorch" not in sys.modules and _module("mindtorch") is None:
        return None
    tf = _module("mindnlp.transformers")
    if tf is not None and hasattr(tf, "OpenAIGPTForSequenceClassification"):
        return MindnlpPlan("torch", tf.OpenAIGPTConfig, tf.OpenAIGPTForSequenceClassification,
                           "mindnlp.transformers.OpenAIGPTForSequenceClassification "
                           "(transformers on mindtorch: mindtorch.autograd.value_and_grad, "
                           "torch.optim.AdamW)")
    tried.append("mindnlp.transformers.OpenAIGPTForSequenceClassification (mindtorch)")
    return None


def discover_engine_trainer(tried):
    """0.4.x as the course's 2024-08..2025 lab trains it: ``mindnlp.engine.Trainer`` with
    ``TrainingArguments`` (Hugging Face style) over the OpenAIGPT* classes of
    mindnlp.transformers, which are mindnlp.core modules."""
    engine = _module("mindnlp.engine")
    tf = _module("mindnlp.transformers")
    if engine is not None and hasattr(engine, "Trainer") and hasattr(engine, "TrainingArguments") \
            and tf is not None and hasattr(tf, "OpenAIGPTForSequenceClassification") \
            and _module("mindnlp.core") is not None:
        return MindnlpPlan("trainer", tf.OpenAIGPTConfig, tf.OpenAIGPTForSequenceClassification,
                           "mindnlp.engine.Trainer + TrainingArguments over "
                           "mindnlp.transformers.OpenAIGPTForSequenceClassification "
                           "(Trainer.training_step, the Trainer's optimizer)")
    tried.append("mindnlp.engine.Trainer with "
                 "mindnlp.transformers.OpenAIGPTForSequenceClassification")
    return None


def discover_core(tried):
    """0.4.x: torch-like modules from mindnlp.core, over MindSpore tensors."""
    tf = _module("mindnlp.transformers")
    if tf is not None and hasattr(tf, "OpenAIGPTForSequenceClassification") \
            and _module("mindnlp.core") is not None:
        return MindnlpPlan("core", tf.OpenAIGPTConfig, tf.OpenAIGPTForSequenceClassification,
                           "mindnlp.transformers.OpenAIGPTForSequenceClassification "
                           "(mindnlp.core: core.autograd.value_and_grad, core.optim.AdamW)")
    tried.append("mindnlp.transformers.OpenAIGPTForSequenceClassification (mindnlp.core)")
    return None


def trainer_style(trainer_class):
    """How an engine Trainer is made, read from its signature: "network" for 0.2's
    ``Trainer(network, args=None, loss_fn=None, optimizer=None, ...)``, "model" for the
    Hugging Face-style ``Trainer(model, args: TrainingArguments, ...)`` of 0.3 on; None when
    it cannot be read."""
    init = getattr(trainer_class, "__init__", None)
    try:
        names = [n for n in inspect.signature(init).parameters if n != "self"]
    except (TypeError, ValueError):
        return None
    if names and names[0] in ("network", "model"):
        return names[0]
    return None


_EAGER = ("the 0.2-0.3 labs train eagerly (0.2's Trainer(jit=False), 0.3's Hugging Face-style "
          "Trainer has no jit): no compiled step to test")


def _engine_gpt(style, *names):
    """mindnlp.transformers when ``mindnlp.engine`` has a Trainer made the ``style`` way
    (and the other ``names``) and the nn.Cell GPT* classes are there; else None."""
    engine = _module("mindnlp.engine")
    tf = _module("mindnlp.transformers")
    trainer = getattr(engine, "Trainer", None) if engine is not None else None
    if trainer is None or trainer_style(trainer) != style \
            or not all(hasattr(engine, n) for n in names):
        return None
    return tf if tf is not None and hasattr(tf, "GPTForSequenceClassification") else None


def discover_cell_trainer(tried):
    """0.3.x as the course's 2024-08 lab trains it: ``mindnlp.engine.Trainer`` made from
    ``TrainingArguments`` (Hugging Face style) over the nn.Cell GPT* classes."""
    tf = _engine_gpt("model", "TrainingArguments")
    if tf is not None:
        return MindnlpPlan("cell-trainer", tf.GPTConfig, tf.GPTForSequenceClassification,
                           "mindnlp.engine.Trainer + TrainingArguments over "
                           "mindnlp.transformers.GPTForSequenceClassification (nn.Cell; "
                           "Trainer.training_step, the Trainer's optimizer)", eager=_EAGER)
    tried.append("mindnlp.engine.Trainer(model, args=TrainingArguments) with "
                 "mindnlp.transformers.GPTForSequenceClassification")
    return None


def discover_network_trainer(tried):
    """0.2.x as the course's 2024-06 lab trains it: ``mindnlp.engine.Trainer(network=model,
    optimizer=nn.Adam(...), epochs=..., jit=False)`` over the nn.Cell GPT* classes; the model
    computes its own loss from ``labels`` (no loss_fn)."""
    tf = _engine_gpt("network")
    if tf is not None:
        return MindnlpPlan("network-trainer", tf.GPTConfig, tf.GPTForSequenceClassification,
                           "mindnlp.engine.Trainer(network=..., optimizer=nn.Adam, jit=False) "
                           "over mindnlp.transformers.GPTForSequenceClassification (nn.Cell; "
                           "the Trainer's own train step)", eager=_EAGER)
    tried.append("mindnlp.engine.Trainer(network, optimizer=...) with "
                 "mindnlp.transformers.GPTForSequenceClassification")
    return None


def discover_cell_transformers(tried):
    """0.2.x-0.3.x: nn.Cell models under mindnlp.transformers."""
    tf = _module("mindnlp.transformers")
    if tf is not None and hasattr(tf, "GPTForSequenceClassification"):
        return MindnlpPlan("cell", tf.GPTConfig, tf.GPTForSequenceClassification,
                           "mindnlp.transformers.GPTForSequenceClassification (nn.Cell: "
                           "mindspore.value_and_grad, nn.Adam)",
                           eager=_EAGER)
    tried.append("mindnlp.transformers.GPTForSequenceClassification")
    return None


def discover_cell_models(tried):
    """0.1.x (the git tag; the PyPI 0.1.1 wheel has no GPT): nn.Cell models."""
    models = _module("mindnlp.models")
    if models is not None and hasattr(models, "GPTForSequenceClassification"):
        config = getattr(models, "GPTConfig", None)
        if config is None:
            config = _module("mindnlp.models.gpt.gpt_config").GPTConfig
        return MindnlpPlan("cell", config, models.GPTForSequenceClassification,
                           "mindnlp.models.GPTForSequenceClassification (nn.Cell: "
                           "mindspore.value_and_grad, nn.Adam)")
    tried.append("mindnlp.models.GPTForSequenceClassification")
    return None


# Newest API first: the first plan found is used.
DISCOVERERS = [discover_mindtorch, discover_engine_trainer, discover_core,
               discover_cell_trainer, discover_network_trainer, discover_cell_transformers,
               discover_cell_models]


def choose_mindnlp_backend(state, version):
    """Which GPT classes this mindnlp has, newest API first."""
    tried = []
    for discover in DISCOVERERS:
        plan = discover(tried)
        if plan is not None:
            return plan
    raise Failed("mindnlp %s imports, but has none of the GPT classes the lab uses (looked for %s)"
                 % (version, "; ".join(tried)), {"tried": tried})


def gpt_config(state, config_class):
    """The toy GPT's size in the GPT-1 config names mindnlp's classes take; no dropout."""
    cfg = state.config
    kwargs = dict(vocab_size=state.tokenizer[1], n_positions=cfg["max_len"],
                  n_embd=cfg["d_model"], n_layer=cfg["n_layers"], n_head=cfg["n_heads"],
                  pad_token_id=PAD, num_labels=2, resid_pdrop=0.0, embd_pdrop=0.0,
                  attn_pdrop=0.0, summary_first_dropout=0.0)
    return config_class(**kwargs)


def build_mindnlp_backend(state):
    plan = state.mindnlp_plan
    return BUILDERS[plan.kind](state, plan)


# --- backends


def build_cell_backend(state, plan):
    """mindnlp 0.1-0.3: the model is an nn.Cell; wrap it so it returns what WithLoss needs
    and train it exactly like the MindSpore level (value_and_grad, nn.Adam, jit)."""
    ms = state.ms
    nn, ops = ms.nn, ms.ops
    config = gpt_config(state, plan.config_class)
    d = state.config["d_model"]

    class LabGPT(nn.Cell):
        def __init__(self, vocab):
            super(LabGPT, self).__init__()
            self.vocab = vocab
            self.model = plan.model_class(config)
            self.table_is_weight = not hasattr(self.model.transformer.tokens_embed,
                                               "embedding_table")
            self.onehot = ops.OneHot()
            self.on = ms.Tensor(1.0, ms.float32)
            self.off = ms.Tensor(0.0, ms.float32)
            self.pool = ops.BatchMatMul()
            self.lm = ops.MatMul(transpose_b=True)
            self.reshape = ops.Reshape()
            self.expand = ops.ExpandDims()

        def construct(self, ids, length):
            b, t = ids.shape
            # No attention_mask, as the lab calls these models: attention is causal and the
            # padding is on the right, so no real token sees a pad (0.1's GPTModel cannot
            # take a mask anyway: it calls self.parameters(), which a Cell lacks).
            h = self.model.transformer(ids)[0]  # (b, t, d)
            token_logits = self.model.score(h)  # (b, t, 2)
            last = self.expand(self.onehot(length - 1, t, self.on, self.off), 1)
            pooled = self.reshape(self.pool(last, token_logits), (b, 2))
            if self.table_is_weight:
                table = self.model.transformer.tokens_embed.weight
            else:
                table = self.model.transformer.tokens_embed.embedding_table
            return pooled, self.lm(self.reshape(h, (b * t, d)), table)

    backend = MindSporeBackend(state, LabGPT, loss_cell_class(ms), plan.api)
    if plan.eager:
        backend.can_compile = False
        backend.no_compile_reason = plan.eager
    return backend


class ModuleBackend(object):
    """mindnlp 0.4 (mindnlp.core) and 0.5 (mindtorch): torch-style modules. Gradients come
    from the library's value_and_grad (attached to ``param.grad``, as its Trainer does);
    the optimizer is the library's AdamW; grads are reset by hand (0.5's zero_grad() raises
    AttributeError: module 'mindtorch.autograd' has no attribute 'profiler')."""

    can_compile = False

    def __init__(self, state, plan):
        self.state = state
        self.plan = plan
        self.api = plan.api
        self.np = state.np
        if plan.kind == "torch":
            import torch  # mindtorch, once mindnlp is imported

            self.torch = torch
            self.F = torch.nn.functional
            self.autograd = _module("mindtorch.autograd")
            optim = torch.optim
            self.no_compile_reason = ("mindnlp 0.5 trains eagerly through mindtorch; the lab's "
                                      "Trainer has no compiled (jit) step to test")
        else:
            core = _module("mindnlp.core")
            self.torch = core
            self.F = core.nn.functional
            self.autograd = core.autograd
            optim = core.optim
            self.no_compile_reason = ("mindnlp 0.4 trains mindnlp.core modules eagerly; the "
                                      "lab's Trainer has no compiled (jit) step to test")
        self.config = gpt_config(state, plan.config_class)
        self.vocab = state.tokenizer[1]
        self.net = self.make_net(state.seed)
        self.params = list(self.net.trainable_params()) if hasattr(self.net, "trainable_params") \
            else [p for p in self.net.parameters() if p.requires_grad]
        self.names = [n for n, p in self.net.named_parameters()
                      if any(p is q for q in self.params)]
        self.optimizer = optim.AdamW(self.params, lr=state.config["learning_rate"],
                                     weight_decay=0.0)
        self.grad_fn = self.autograd.value_and_grad(self.forward_fn, self.params, has_aux=True)
        self._cache = {}

    def make_net(self, seed):
        self.state.ms.set_seed(seed)
        seeder = getattr(self.torch, "manual_seed", None)
        if seeder is not None:
            seeder(seed)
        return self.plan.model_class(self.config)

    def tensors(self, batch):
        key = id(batch)
        if key not in self._cache:
            np = self.np
            ids, targets, label, length = [x.asnumpy() for x in batch]
            last = (np.arange(ids.shape[1])[None, :] == (length - 1)[:, None]).astype(np.float32)
            make = self.torch.tensor if self.plan.kind == "torch" else self.state.ms.Tensor
            self._cache[key] = (make(ids.astype(np.int64)), make(targets.astype(np.int64)),
                                make(label.astype(np.int64)), make(last),
                                make((ids != PAD).astype(np.int64)))
        return self._cache[key]

    def forward_fn(self, ids, targets, label, last, mask):
        h = self.net.transformer(input_ids=ids, attention_mask=mask)[0]  # (b, t, d)
        pooled = (self.net.score(h) * last.unsqueeze(-1)).sum(1)  # the <e> token's logits
        table = self.net.transformer.tokens_embed.weight
        lm_logits = h.reshape(-1, h.shape[-1]) @ table.T
        cls_loss = self.F.cross_entropy(pooled, label)
        lm_loss = self.F.cross_entropy(lm_logits, targets.reshape(-1), ignore_index=PAD)
        return cls_loss + self.state.config["lm_weight"] * lm_loss, cls_loss, lm_loss

    def parameters(self):
        return list(zip(self.names, self.params))

    def param_values(self):
        return dict((n, to_numpy(p)) for n, p in self.parameters())

    def losses(self, batch):
        return tuple(to_float(x) for x in self.forward_fn(*self.tensors(batch)))

    def _clear(self):
        for p in self.params:  # optimizer.zero_grad() is broken in 0.5.x
            p.grad = None

    def gradients(self, batch):
        self._clear()
        values = self.grad_fn(*self.tensors(batch))
        missing = [n for n, p in self.parameters() if p.grad is None]
        if len(missing) == len(self.params):
            raise Failed("value_and_grad attached no gradient to any parameter")
        named = [(n, to_numpy(p.grad)) for n, p in self.parameters() if p.grad is not None]
        return _values(values), named, None

    def apply(self, grads):
        self.optimizer.step()
        self._clear()

    def step(self, batch):
        self._clear()
        values = self.grad_fn(*self.tensors(batch))
        self.optimizer.step()
        self._clear()
        return _values(values)

    def logits(self, net, batch):
        ids, _, _, _, mask = self.tensors(batch)
        out = net(input_ids=ids, attention_mask=mask)  # the class's own pooling
        logits = out.logits if hasattr(out, "logits") else out[0]
        return to_numpy(logits)

    def predict(self, batch):
        return self.logits(self.net, batch).argmax(-1)

    def save_and_reload(self, folder):
        path = os.path.join(folder, "smoke-model")
        self.net.save_pretrained(path)
        fresh = self.make_net(self.state.seed + 1)
        before = [self.logits(fresh, self.state.test_batches[0])]
        other = self.plan.model_class.from_pretrained(path)
        return path, other, before


class TrainerBackend(ModuleBackend):
    """mindnlp 0.4 trained through the lab's own API: a ``mindnlp.engine.Trainer`` made from
    ``TrainingArguments``, whose optimizer the Trainer creates; each step is the Trainer's
    ``training_step`` (value_and_grad of its ``compute_loss``: the model's own loss on
    ``labels``) and then ``optimizer.step(grads)``, as ``Trainer._inner_training_loop`` does.
    The forward losses shown beside it (classification, LM) come from the module backend."""

    def __init__(self, state, plan):
        # ModuleBackend's parts without its optimizer and value_and_grad (0.4.0's
        # mindnlp.core.autograd has none): the Trainer brings both
        self.state = state
        self.plan = plan
        self.api = plan.api
        self.np = state.np
        core = _module("mindnlp.core")
        self.torch = core
        self.F = core.nn.functional
        self.config = gpt_config(state, plan.config_class)
        self.vocab = state.tokenizer[1]
        self.net = self.make_net(state.seed)
        self._cache = {}
        engine = import_module("mindnlp.engine")
        cfg = state.config
        self.arguments = engine.TrainingArguments(
            output_dir=os.path.join(state.args.workdir, "trainer"),
            learning_rate=cfg["learning_rate"], weight_decay=0.0,
            per_device_train_batch_size=cfg["batch_size"], max_steps=cfg["steps"] + 2,
            save_strategy="no", logging_strategy="no", seed=state.seed)
        self.trainer = engine.Trainer(model=self.net, args=self.arguments)
        self.trainer.create_optimizer_and_scheduler(num_training_steps=cfg["steps"] + 2)
        self.trainer.model_reload = False  # Trainer.train() sets it; training_step reads it
        self.optimizer = self.trainer.optimizer
        # the Trainer differentiates with respect to its optimizer's parameters, in this order
        self.params = [p for group in self.optimizer.param_groups for p in group["params"]]
        names = dict((id(p), n) for n, p in self.net.named_parameters())
        self.names = [names.get(id(p), "parameter%d" % i) for i, p in enumerate(self.params)]
        self.no_compile_reason = ("the lab's mindnlp.engine.Trainer (0.4) trains eagerly: "
                                  "value_and_grad per step, no compiled step to test")

    def param_values(self):
        # copies: a parameter's NumPy view changes with the in-place optimizer step
        return dict((n, to_numpy(p).copy()) for n, p in self.parameters())

    def inputs(self, batch):
        ids, _, label, _, mask = self.tensors(batch)
        return {"input_ids": ids, "attention_mask": mask, "labels": label}

    def gradients(self, batch):
        values = self.losses(batch)
        loss, grads = self.trainer.training_step(self.net, self.inputs(batch))
        named = [(n, to_numpy(g)) for n, g in zip(self.names, grads) if g is not None]
        if not named:
            raise Failed("Trainer.training_step returned no gradient")
        return (to_float(loss),) + tuple(values[1:]), named, grads

    def apply(self, grads):
        self.optimizer.step(grads)

    def step(self, batch):
        values = self.losses(batch)
        loss, grads = self.trainer.training_step(self.net, self.inputs(batch))
        self.optimizer.step(grads)
        return (to_float(loss),) + tuple(values[1:])


class _CellTrainerBase(object):
    """mindnlp 0.2-0.3 trained through the lab's ``mindnlp.engine.Trainer``: the model is the
    nn.Cell GPT* class itself, fed ``input_ids``, ``attention_mask`` and ``labels`` as the
    lab's dataset columns are, and it computes its own classification loss. The forward
    losses shown beside the Trainer's (classification, LM) come from the cell backend's
    wrapper around the same model, hence the same parameters."""

    can_compile = False

    def __init__(self, state, plan):
        self.state = state
        self.plan = plan
        self.api = plan.api
        self.np = state.np
        self.ms = state.ms
        self.no_compile_reason = plan.eager or ""
        self.cell = build_cell_backend(state, plan)  # its wrapper shows the two losses
        self.net = self.cell.net.model  # the GPT*ForSequenceClassification the Trainer trains
        self._cache = {}
        self.engine = import_module("mindnlp.engine")
        self.params = []

    def parameters(self):
        return [(p.name, p) for p in self.params]

    def param_values(self):
        return dict((n, to_numpy(p).copy()) for n, p in self.parameters())

    def inputs(self, batch):
        """The lab's columns: input_ids, attention_mask (1 on tokens, 0 on padding), labels."""
        key = id(batch)
        if key not in self._cache:
            ids, _, label, _ = batch
            mask = self.ms.Tensor((ids.asnumpy() != PAD).astype(self.np.int32))
            self._cache[key] = {"input_ids": ids, "attention_mask": mask, "labels": label}
        return dict(self._cache[key])

    def losses(self, batch):
        return self.cell.losses(batch)

    def logits(self, net, batch):
        inputs = self.inputs(batch)
        out = net(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])
        logits = out.logits if hasattr(out, "logits") else out[0]  # the class's own pooling
        return to_numpy(logits)

    def predict(self, batch):
        return self.logits(self.net, batch).argmax(-1)

    def fresh_net(self):
        return self.cell.make_net(self.state.seed + 1).model


class NetworkTrainerBackend(_CellTrainerBase):
    """mindnlp 0.2 as the 2024-06 lab trains it: ``Trainer(network=model, optimizer=
    nn.Adam(model.trainable_params(), ...), epochs=1, jit=False)``, no loss_fn (the model's own
    loss on ``labels``). Each step is the Trainer's own train step (``train_fn``, which
    ``Trainer.run`` builds before its loop and calls with the model's inputs picked from the
    batch's columns, as its ``_data_process`` does). The backward and optimizer stages take
    that step apart as it is built: value_and_grad of the Trainer's ``forward_fn`` with
    respect to the optimizer's parameters, then ``optimizer(grads)``. The checkpoint is
    ``mindspore.save_checkpoint`` of the network, as the lab's CheckpointCallback writes it
    (0.2.4's ``Trainer.save_model`` opens config.json for reading and fails)."""

    def __init__(self, state, plan):
        _CellTrainerBase.__init__(self, state, plan)
        ms = self.ms
        self.optimizer = ms.nn.Adam(self.net.trainable_params(),
                                    learning_rate=state.config["learning_rate"])
        self.trainer = self.engine.Trainer(network=self.net, optimizer=self.optimizer, epochs=1,
                                           jit=False)
        prepare = getattr(self.trainer, "_prepare_train_func", None)
        if prepare is None:
            raise Failed("this mindnlp.engine.Trainer has no _prepare_train_func: its train step "
                         "cannot be driven one step at a time")
        prepare()  # what Trainer.run() does first: forward_fn and train_fn
        self.params = list(self.optimizer.parameters)
        self.grad_fn = ms.value_and_grad(self.trainer.forward_fn, None,
                                         self.optimizer.parameters)

    def model_inputs(self, batch):
        data = self.inputs(batch)
        pick = getattr(self.trainer, "_data_process", None)
        if pick is not None:
            return pick(data, "labels")[0]  # tgt_columns="labels", as the lab runs it
        return data

    def gradients(self, batch):
        values = self.losses(batch)
        loss, grads = self.grad_fn(**self.model_inputs(batch))
        named = [(n, to_numpy(g)) for (n, _), g in zip(self.parameters(), grads)]
        if not named:
            raise Failed("value_and_grad of the Trainer's forward_fn returned no gradient")
        return (to_float(loss),) + tuple(values[1:]), named, grads

    def apply(self, grads):
        self.optimizer(grads)

    def step(self, batch):
        values = self.losses(batch)
        loss = self.trainer.train_fn(**self.model_inputs(batch))
        return (to_float(loss),) + tuple(values[1:])

    def save_and_reload(self, folder):
        return checkpoint_round_trip(self, self.net, self.fresh_net(),
                                     os.path.join(folder, "smoke-network.ckpt"))


class CellTrainerBackend(_CellTrainerBase):
    """mindnlp 0.3 as the 2024-08 lab trains it: a ``mindnlp.engine.Trainer`` made from
    ``TrainingArguments`` over the nn.Cell model, with the optimizer the Trainer creates
    (``create_optimizer_and_scheduler``). Each step is ``Trainer.training_step`` (value_and_grad
    of its ``compute_loss``), then clipping to ``max_grad_norm`` and ``optimizer(grads)``, as
    ``Trainer._inner_training_loop`` does; the checkpoint is ``Trainer.save_model`` read back
    with ``from_pretrained``."""

    def __init__(self, state, plan):
        _CellTrainerBase.__init__(self, state, plan)
        cfg = state.config
        self.arguments = self.engine.TrainingArguments(
            output_dir=os.path.join(state.args.workdir, "trainer"),
            learning_rate=cfg["learning_rate"], weight_decay=0.0,
            per_device_train_batch_size=cfg["batch_size"], max_steps=cfg["steps"] + 2,
            save_strategy="no", logging_strategy="no", seed=state.seed)
        self.trainer = self.engine.Trainer(model=self.net, args=self.arguments)
        self.trainer.create_optimizer_and_scheduler(num_training_steps=cfg["steps"] + 2)
        self.trainer.model_reload = False  # Trainer.train() sets it; training_step reads it
        self.optimizer = self.trainer.optimizer
        # training_step differentiates with respect to these, in this order
        self.params = list(self.optimizer.parameters)

    def gradients(self, batch):
        values = self.losses(batch)
        loss, grads = self.trainer.training_step(self.net, self.inputs(batch))
        named = [(n, to_numpy(g)) for (n, _), g in zip(self.parameters(), grads)
                 if g is not None]
        if not named:
            raise Failed("Trainer.training_step returned no gradient")
        return (to_float(loss),) + tuple(values[1:]), named, grads

    def apply(self, grads):
        norm = getattr(self.arguments, "max_grad_norm", None)
        if norm is not None and norm > 0:
            grads = self.ms.ops.clip_by_global_norm(grads, norm)
        self.optimizer(grads)

    def step(self, batch):
        values = self.losses(batch)
        loss, grads = self.trainer.training_step(self.net, self.inputs(batch))
        self.apply(grads)
        return (to_float(loss),) + tuple(values[1:])

    def save_and_reload(self, folder):
        path = os.path.join(folder, "smoke-trainer-model")
        self.trainer.save_model(path)
        if not os.path.isdir(path) or not os.listdir(path):
            raise Failed("Trainer.save_model wrote nothing to %s" % path)
        fresh = self.fresh_net()
        before = [self.logits(fresh, self.state.test_batches[0])]
        other = self.plan.model_class.from_pretrained(path)
        return path, other, before


def _values(values):
    """(loss, (cls, lm)) or (loss, cls, lm) -> three floats."""
    flat = []
    for v in values:
        if isinstance(v, (tuple, list)):
            flat.extend(v)
        else:
            flat.append(v)
    return tuple(to_float(x) for x in flat[:3])




# plan.kind -> build(state, plan) -> backend
BUILDERS = {
    "torch": ModuleBackend,
    "core": ModuleBackend,
    "trainer": TrainerBackend,
    "cell-trainer": CellTrainerBackend,
    "network-trainer": NetworkTrainerBackend,
    "cell": build_cell_backend,
}
