"""The smoke script's MindNLP backends: which GPT classes this mindnlp has, and how to train
them (stdlib only here; mindnlp is imported by the ``mindnlp`` stage).

MindNLP changed its API with nearly every minor release, so the API is found by looking, not
by version number (the 0.1.1 on PyPI and the git tag v0.1.1 differ):

    0.5.x   transformers on mindtorch (``import torch`` gives mindtorch)  -> kind "torch"
    0.4.x   mindnlp.engine.Trainer over mindnlp.core modules (the lab's) -> kind "trainer"
            (without mindnlp.engine: torch-like mindnlp.core modules)    -> kind "core"
    0.2-0.3 mindnlp.transformers, nn.Cell models                          -> kind "cell"
    0.1.x   mindnlp.models, nn.Cell models                                -> kind "cell"

The seam, for a new generation or a new way to train one (say ``mindnlp.engine.Trainer``):
write a ``discover_*(tried) -> MindnlpPlan or None`` and put it in ``DISCOVERERS`` (tried in
order, newest API first), and a ``build(state, plan) -> backend`` under the plan's kind in
``BUILDERS``. 0.4 with ``mindnlp.engine`` trains through the lab's Trainer (kind "trainer"). A backend has the interface described in ``smoke_ms``.
"""

import os
import sys
from importlib import import_module

try:  # imported as envdoctor.probes.smoke_mindnlp (host tests)
    from .smoke_bpe import PAD
    from .smoke_ms import MindSporeBackend, loss_cell_class, to_float, to_numpy
    from .smoke_protocol import Failed
except ImportError:  # run by the target from this folder
    from smoke_bpe import PAD
    from smoke_ms import MindSporeBackend, loss_cell_class, to_float, to_numpy
    from smoke_protocol import Failed

__all__ = ["MindnlpPlan", "DISCOVERERS", "BUILDERS", "choose_mindnlp_backend",
           "build_mindnlp_backend", "gpt_config", "ModuleBackend", "TrainerBackend"]


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


def discover_cell_transformers(tried):
    """0.2.x-0.3.x: nn.Cell models under mindnlp.transformers."""
    tf = _module("mindnlp.transformers")
    if tf is not None and hasattr(tf, "GPTForSequenceClassification"):
        return MindnlpPlan("cell", tf.GPTConfig, tf.GPTForSequenceClassification,
                           "mindnlp.transformers.GPTForSequenceClassification (nn.Cell: "
                           "mindspore.value_and_grad, nn.Adam)",
                           eager="the 0.2-0.3 labs train eagerly (0.2's Trainer(jit=False), "
                                 "0.3's Hugging Face-style Trainer has no jit): no compiled "
                                 "step to test")
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
               discover_cell_transformers, discover_cell_models]


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
    "cell": build_cell_backend,
}
