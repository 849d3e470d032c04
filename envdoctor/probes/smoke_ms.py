"""The smoke script's MindSpore backend: the toy GPT in MindSpore's own API (stdlib only here;
MindSpore arrives through ``state.ms``, imported by the ``import`` stage).

A backend is what the training stages drive (see ``smoke_stages``): ``parameters()``,
``param_values()``, ``losses(batch)``, ``gradients(batch)``, ``apply(grads)``, ``step(batch)``,
``compiled_step_fn()`` when ``can_compile``, ``logits(net, batch)``, ``predict(batch)`` and
``save_and_reload(folder)``, plus ``api`` (one line saying which API trains) and ``net``.
The MindNLP backends (``smoke_mindnlp``) follow the same interface.
"""

import math
import os

try:  # imported as envdoctor.probes.smoke_ms (host tests)
    from .smoke_bpe import PAD
    from .smoke_protocol import Failed
except ImportError:  # run by the target from this folder
    from smoke_bpe import PAD
    from smoke_protocol import Failed

__all__ = ["build_mindspore_backend", "loss_cell_class", "MindSporeBackend", "to_float",
           "to_numpy", "checkpoint_round_trip"]


def build_mindspore_backend(state):
    """The toy GPT in MindSpore's own API (2.0 .. today): Cells, value_and_grad, nn.Adam."""
    ms, np = state.ms, state.np
    nn, ops = ms.nn, ms.ops
    from mindspore import Parameter
    from mindspore.common.initializer import Normal, initializer

    cfg = state.config
    d, heads, max_len = cfg["d_model"], cfg["n_heads"], cfg["max_len"]

    class Attention(nn.Cell):
        def __init__(self):
            super(Attention, self).__init__()
            self.heads = heads
            self.head_dim = d // heads
            self.scale = 1.0 / math.sqrt(d // heads)
            self.qkv = nn.Dense(d, 3 * d)
            self.proj = nn.Dense(d, d)
            mask = np.triu(np.ones((max_len, max_len), np.float32), 1) * -1e9
            self.mask = ms.Tensor(mask)
            self.softmax = nn.Softmax(axis=-1)
            self.scores = ops.BatchMatMul(transpose_b=True)
            self.mix = ops.BatchMatMul()
            self.reshape = ops.Reshape()
            self.transpose = ops.Transpose()
            self.split = ops.Split(1, 3)

        def construct(self, x, b, t):  # x: (b * t, d)
            qkv = self.reshape(self.qkv(x), (b, t, 3 * self.heads, self.head_dim))
            q, k, v = self.split(self.transpose(qkv, (0, 2, 1, 3)))  # (b, heads, t, hd) each
            att = self.softmax(self.scores(q, k) * self.scale + self.mask[:t, :t])
            y = self.transpose(self.mix(att, v), (0, 2, 1, 3))
            return self.proj(self.reshape(y, (b * t, d)))

    class Block(nn.Cell):
        def __init__(self):
            super(Block, self).__init__()
            self.ln1 = nn.LayerNorm((d,))
            self.attn = Attention()
            self.ln2 = nn.LayerNorm((d,))
            self.fc = nn.Dense(d, 4 * d)
            self.act = nn.GELU()
            self.out = nn.Dense(4 * d, d)

        def construct(self, x, b, t):
            x = x + self.attn(self.ln1(x), b, t)
            return x + self.out(self.act(self.fc(self.ln2(x))))

    class TinyGPT(nn.Cell):
        """Decoder-only transformer; a class head on the last token, an LM head tied to the
        token embedding (GPT-1). Activations stay (batch * time, d) between blocks."""

        def __init__(self, vocab):
            super(TinyGPT, self).__init__()
            self.vocab = vocab
            self.tokens = nn.Embedding(vocab, d, embedding_table=Normal(0.02))
            self.positions = Parameter(initializer(Normal(0.02), (1, max_len, d), ms.float32),
                                       name="positions")
            self.blocks = nn.CellList([Block() for _ in range(cfg["n_layers"])])
            self.ln_f = nn.LayerNorm((d,))
            self.head = nn.Dense(d, 2)
            self.onehot = ops.OneHot()
            self.on = ms.Tensor(1.0, ms.float32)
            self.off = ms.Tensor(0.0, ms.float32)
            self.lm = ops.MatMul(transpose_b=True)
            self.pool = ops.BatchMatMul()
            self.reshape = ops.Reshape()
            self.expand = ops.ExpandDims()

        def construct(self, ids, length):
            b, t = ids.shape
            x = self.reshape(self.tokens(ids) + self.positions[:, :t, :], (b * t, d))
            for block in self.blocks:
                x = block(x, b, t)
            h = self.ln_f(x)
            last = self.expand(self.onehot(length - 1, t, self.on, self.off), 1)  # (b, 1, t)
            pooled = self.reshape(self.pool(last, self.reshape(h, (b, t, d))), (b, d))
            return self.head(pooled), self.lm(h, self.tokens.embedding_table)

    return MindSporeBackend(state, TinyGPT, loss_cell_class(ms),
                            "envdoctor's TinyGPT: nn.Cell + mindspore.value_and_grad + nn.Adam")


def loss_cell_class(ms):
    """GPT-1's fine-tuning objective as a Cell: classification loss + lm_weight * LM loss.

    ``net(ids, length)`` must return (class logits (b, 2), LM logits (b * t, vocab)); the LM
    loss ignores <pad> targets. Written with primitives that exist from MindSpore 2.0 on.
    """
    nn, ops = ms.nn, ms.ops

    class WithLoss(nn.Cell):
        def __init__(self, net, lm_weight):
            super(WithLoss, self).__init__()
            self.net = net
            self.lm_weight = lm_weight
            self.log_softmax = nn.LogSoftmax(axis=-1)
            self.onehot = ops.OneHot()
            self.on = ms.Tensor(1.0, ms.float32)
            self.off = ms.Tensor(0.0, ms.float32)
            self.sum = ops.ReduceSum()
            self.mean = ops.ReduceMean()
            self.cast = ops.Cast()
            self.reshape = ops.Reshape()
            self.not_equal = ops.NotEqual()

        def construct(self, ids, targets, label, length):
            logits, lm_logits = self.net(ids, length)
            cls_nll = -self.sum(self.onehot(label, 2, self.on, self.off)
                                * self.log_softmax(logits), -1)
            cls_loss = self.mean(cls_nll)
            flat = self.reshape(targets, (-1,))
            lm_nll = -self.sum(self.onehot(flat, self.net.vocab, self.on, self.off)
                               * self.log_softmax(lm_logits), -1)
            mask = self.cast(self.not_equal(flat, PAD), ms.float32)
            lm_loss = self.sum(lm_nll * mask) / self.sum(mask)
            return cls_loss + self.lm_weight * lm_loss, cls_loss, lm_loss, logits

    return WithLoss


class MindSporeBackend(object):
    """Training with MindSpore's functional API: value_and_grad over a loss Cell, nn.Adam,
    mindspore.jit for the compiled step, save_checkpoint / load_checkpoint."""

    api = "MindSpore nn.Cell + mindspore.value_and_grad + nn.Adam"
    can_compile = True
    no_compile_reason = ""

    def __init__(self, state, net_class, loss_class, api=None):
        if api:
            self.api = api
        self.state = state
        self.ms = state.ms
        self.net_class = net_class
        self.loss_class = loss_class
        self.vocab = state.tokenizer[1]
        self.net = self.make_net(state.seed)
        self.loss_net = loss_class(self.net, state.config["lm_weight"])
        self.optimizer = self.ms.nn.Adam(self.net.trainable_params(),
                                         learning_rate=state.config["learning_rate"])
        self.grad_fn = self.ms.value_and_grad(self.loss_net, None, self.optimizer.parameters,
                                              has_aux=True)
        grad_fn, optimizer = self.grad_fn, self.optimizer

        def train_step(ids, targets, label, length):
            (loss, cls_loss, lm_loss, _), grads = grad_fn(ids, targets, label, length)
            optimizer(grads)
            return loss, cls_loss, lm_loss

        self.train_step = train_step

    def make_net(self, seed):
        self.ms.set_seed(seed)
        return self.net_class(self.vocab)

    def parameters(self):
        return [(p.name, p) for p in self.net.trainable_params()]

    def param_values(self):
        return dict((name, p.asnumpy().copy()) for name, p in self.parameters())

    def losses(self, batch):
        loss, cls_loss, lm_loss, logits = self.loss_net(*batch)
        return to_float(loss), to_float(cls_loss), to_float(lm_loss)

    def gradients(self, batch):
        (loss, cls_loss, lm_loss, _), grads = self.grad_fn(*batch)
        names = [name for name, _ in self.parameters()]
        values = (to_float(loss), to_float(cls_loss), to_float(lm_loss))
        return values, list(zip(names, [g.asnumpy() for g in grads])), grads

    def apply(self, grads):
        self.optimizer(grads)

    def step(self, batch):
        loss, cls_loss, lm_loss = self.train_step(*batch)
        return to_float(loss), to_float(cls_loss), to_float(lm_loss)

    def compiled_step_fn(self):
        jit = getattr(self.ms, "jit", None)
        if jit is None:  # 1.x name
            jit = self.ms.ms_function
        return jit(self.train_step)

    def logits(self, net, batch):
        ids, _, _, length = batch
        return net(ids, length)[0].asnumpy()

    def predict(self, batch):
        return self.logits(self.net, batch).argmax(-1)

    def save_and_reload(self, folder):
        return checkpoint_round_trip(self, self.net, self.make_net(self.state.seed + 1),
                                     os.path.join(folder, "smoke.ckpt"))


def checkpoint_round_trip(backend, net, other, path):
    """``mindspore.save_checkpoint`` of ``net``, loaded into the fresh ``other``: (path,
    other, other's logits before loading), as a backend's ``save_and_reload`` returns them."""
    ms = backend.ms
    ms.save_checkpoint(net, path)
    before = [backend.logits(other, backend.state.test_batches[0])]
    missing = ms.load_param_into_net(other, ms.load_checkpoint(path))
    if isinstance(missing, tuple):  # 2.1+: (params not loaded, checkpoint keys unused)
        missing = missing[0]
    if missing:
        raise Failed("load_param_into_net left parameters unloaded: %s"
                     % ", ".join(sorted(missing)[:5]))
    return path, other, before


def to_float(tensor):
    """A scalar tensor (any of the frameworks) or number as a Python float."""
    if hasattr(tensor, "asnumpy") or hasattr(tensor, "detach"):
        tensor = to_numpy(tensor)
    return float(tensor)


def to_numpy(tensor):
    """A MindSpore, mindnlp.core or mindtorch tensor as a NumPy array."""
    if hasattr(tensor, "detach"):
        tensor = tensor.detach()
    if hasattr(tensor, "cpu") and hasattr(tensor, "numpy"):
        try:
            return tensor.cpu().numpy()
        except Exception:
            pass
    return tensor.asnumpy()
