"""Smoke train: run by the *target* interpreter; trains a tiny GPT classifier stage by stage.

envdoctor runs this file in a child process of the environment being diagnosed. It must
stay importable by CPython 3.7 with the standard library alone: mindspore, tokenizers and
mindnlp are imported inside the stages, so a failed import is a failed stage, not a crash.

Protocol (read by :mod:`envdoctor.smoke.runner`): every event is one line on the original
stdout, ``@envdoctor-smoke {json}``. Anything else the libraries print to stdout is sent to
stderr (fd 1 is pointed at fd 2 once the channel is open), so the channel stays clean.

    {"event": "hello", "protocol": 1, "stages": [[name, title], ...], ...}
    {"event": "start", "stage": name}
    {"event": "end", "stage": name, "status": "pass|warn|fail|skip", "seconds": s,
     "detail": "...", "data": {...}, "error": {"type", "message", "traceback"} or null}
    {"event": "done", "result": {...}}

A stage that starts and never ends was where the process crashed or hung; the parent knows
which from the last ``start``. After a failed stage the script stops (later stages depend
on it) and says ``done``.

The task is GPT-1's fine-tuning recipe at toy scale: a decoder-only transformer (causal
self-attention, learned positions) reads ``<s> review <e>``; a linear head on the last
token (``<e>``) classifies the sentiment, and the language-modelling loss on the same
tokens is kept as an auxiliary objective (weight 0.5).
"""

import argparse
import faulthandler
import json
import math
import os
import random
import re
import sys
import time
import traceback

PROTOCOL = 1
PREFIX = "@envdoctor-smoke "

# The toy GPT. Small enough to train in seconds on 2 CPU cores, big enough to need attention:
# every review ends in the same <e> token, so the head must look back for the sentiment.
CONFIG = {
    "max_len": 28,
    "d_model": 64,
    "n_heads": 4,
    "n_layers": 2,
    "batch_size": 16,
    "learning_rate": 3e-3,
    "lm_weight": 0.5,
    # mindnlp's GPT-1 classes are post-LayerNorm with a tied LM head: trained from scratch
    # for 48 steps, the auxiliary LM loss swamps the classification signal (measured: held-out
    # accuracy stays at chance for most seeds at weight 0.05-0.5). At that level the objective
    # is the lab class's own, classification only; the LM loss is still computed and shown.
    "mindnlp_lm_weight": 0.0,
    "vocab_size": 600,  # the corpus runs out of merges at ~560
    "steps": 48,
    "compiled_steps": 4,
    "accuracy_needed": 0.75,
}
SPECIALS = ("<pad>", "<s>", "<e>")  # ids 0, 1, 2 for both tokenizers
PAD, START, EXTRACT = 0, 1, 2

MINDSPORE_STAGES = [
    ("import", "import mindspore"),
    ("device", "device and one op"),
    ("tokenizer", "byte-level BPE tokenizer"),
    ("data", "data pipeline"),
    ("forward", "forward pass"),
    ("backward", "backward pass"),
    ("optimizer", "optimizer step"),
    ("loss", "loss falls"),
    ("accuracy", "held-out accuracy"),
    ("compiled", "compiled training step"),
    ("checkpoint", "checkpoint save and load"),
]
MINDNLP_STAGES = MINDSPORE_STAGES[:2] + [("mindnlp", "import mindnlp")] + MINDSPORE_STAGES[2:]

_channel = None


# ----------------------------------------------------------------------------- protocol


def _clean(value):
    """JSON-safe: NaN and infinities become strings (json.loads elsewhere may reject them)."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return repr(value)
    if isinstance(value, dict):
        return dict((str(k), _clean(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def open_channel():
    global _channel
    sys.stdout.flush()
    _channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # stray prints from the libraries (and C++ code) now go to stderr


def emit(event, **fields):
    fields["event"] = event
    _channel.write(PREFIX + json.dumps(_clean(fields), sort_keys=True) + "\n")
    _channel.flush()


class Failed(Exception):
    """A stage's check did not hold: ``detail`` says what was seen against what was needed."""

    def __init__(self, detail, data=None):
        Exception.__init__(self, detail)
        self.detail = detail
        self.data = data or {}


class Outcome(object):
    def __init__(self, detail, data=None, status="pass"):
        self.detail = detail
        self.data = data or {}
        self.status = status


def run_stage(name, fn, state):
    emit("start", stage=name)
    started = time.time()
    error = None
    try:
        out = fn(state)
        status, detail, data = out.status, out.detail, out.data
    except Failed as exc:
        status, detail, data = "fail", exc.detail, exc.data
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # SystemExit from a library counts too
        status, data = "fail", {}
        message = str(exc).strip()
        detail = "%s: %s" % (type(exc).__name__, first_line(message)) if message \
            else type(exc).__name__
        cause = inner_cause(message)
        if cause and cause not in detail:
            detail += " (cause: %s)" % cause
        error = {
            "type": type(exc).__name__,
            "message": message[:4000],
            "traceback": "".join(traceback.format_exc()).strip()[-6000:],
        }
    seconds = time.time() - started
    state.stage_seconds[name] = seconds
    emit("end", stage=name, status=status, seconds=round(seconds, 3), detail=detail, data=data,
         error=error)
    return status != "fail"


def inner_cause(message):
    """MindSpore wraps errors from Python code it calls (dataset sources, jit) in a
    RuntimeError whose message holds the original traceback: its last ``XxxError: ...``."""
    found = None
    for line in message.splitlines():
        m = re.match(r"^(\w+(?:Error|Exception|Warning)): (.+)$", line.strip())
        if m:
            found = "%s: %s" % (m.group(1), m.group(2)[:300])
    return found


def first_line(text):
    for line in text.splitlines():
        line = line.strip()
        if line and not set(line) <= set("-="):
            return line[:500]
    return text[:500]


# ----------------------------------------------------------------------------- state


class State(object):
    def __init__(self, args):
        self.args = args
        self.config = dict(CONFIG)
        if args.steps:
            self.config["steps"] = args.steps
        if args.level == "mindnlp":
            self.config["lm_weight"] = self.config["mindnlp_lm_weight"]
        for item in args.set:
            key, _, value = item.partition("=")
            if key not in CONFIG:
                raise SystemExit("lab_smoke.py: unknown setting %r" % key)
            self.config[key] = type(CONFIG[key])(value)
        self.seed = args.seed
        self.stage_seconds = {}
        self.result = {"level": args.level}
        self.ms = None
        self.np = None
        self.corpus = None
        self.tokenizer = None  # (encode(text) -> ids, vocab_size, description)
        self.train_batches = []
        self.test_batches = []
        self.backend = None  # MindSporeBackend or a mindnlp backend
        self.mindnlp_plan = None
        self.grads = None
        self.grad_values = None
        self.losses = []


def load_corpus(state):
    with open(state.args.corpus, encoding="utf-8") as handle:
        data = json.load(handle)
    state.corpus = data
    return data


# ----------------------------------------------------------------------------- stages


def stage_import(state):
    started = time.time()
    import mindspore  # noqa: the stage under test
    import numpy

    state.ms, state.np = mindspore, numpy
    version = getattr(mindspore, "__version__", "unknown")
    state.result["mindspore_version"] = version
    state.result["numpy_version"] = numpy.__version__
    return Outcome("mindspore %s, numpy %s (%.1f s to import)"
                   % (version, numpy.__version__, time.time() - started),
                   {"mindspore": version, "numpy": numpy.__version__,
                    "path": os.path.dirname(getattr(mindspore, "__file__", "") or "")})


def _set_device(ms, target):
    setter = getattr(ms, "set_device", None)  # 2.5+; set_context(device_target) before
    if setter is not None:
        setter(target)
    else:
        ms.set_context(device_target=target)


def quiet_settings(ms):
    """Run ops synchronously on one runtime thread: a failing op then raises in the stage that
    ran it, and the toy model (far too small to gain from threads) is not slowed down 10-30x
    by thread hand-offs when other processes share the cores."""
    applied = {}
    for key, value in (("pynative_synchronize", True), ("runtime_num_threads", 1)):
        try:
            ms.set_context(**{key: value})
            applied[key] = value
        except Exception:  # an older MindSpore without the knob: run as it is
            pass
    return applied


def _one_op(ms, np):
    x = ms.Tensor(np.array([1.0, 2.0, 3.0], np.float32))
    y = ms.Tensor(np.array([4.0, 5.0, 6.0], np.float32))
    got = ms.ops.matmul(ms.ops.reshape(x * y, (1, 3)), ms.ops.reshape(y, (3, 1))).asnumpy()
    want = np.array([[4.0 * 4 + 10.0 * 5 + 18.0 * 6]], np.float32)
    if got.shape != want.shape or not np.allclose(got, want):
        raise Failed("a multiply and a matmul gave %r, expected %r" % (got.tolist(), want.tolist()))


def stage_device(state):
    ms, np = state.ms, state.np
    ms.set_context(mode=ms.PYNATIVE_MODE)
    state.result["settings"] = quiet_settings(ms)
    forced = state.args.device
    candidates = [forced] if forced else ["Ascend", "GPU", "CPU"]
    tried = []
    for target in candidates:
        try:
            _set_device(ms, target)
            _one_op(ms, np)
        except Failed:
            raise
        except Exception as exc:
            reason = first_line(str(exc)) or type(exc).__name__
            tried.append({"device": target, "error": reason, "type": type(exc).__name__})
            if forced:
                raise Failed("%s was asked for and does not work: %s"
                             % (target, _unsupported(str(exc).strip()) or reason),
                             {"tried": tried})
            continue
        state.result["device"] = target
        if forced:
            detail = "%s (asked for), one op ran" % target
        elif tried:
            detail = "%s, one op ran; not usable: %s" % (
                target, ", ".join("%s (%s)" % (t["device"], _short(t["error"])) for t in tried))
        else:
            detail = "%s, one op ran" % target
        return Outcome(detail, {"device": target, "tried": tried})
    raise Failed("no device works: " + "; ".join("%s: %s" % (t["device"], t["error"])
                                                 for t in tried), {"tried": tried})


def _short(text, limit=80):
    text = re.sub(r"\s+", " ", text)
    if re.match(r"Unsupported device target \w+\. This process only supports", text):
        return "its plugin did not load"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _unsupported(text):
    """MindSpore's 'Unsupported device target X. This process only supports one of the
    ['CPU']. Please check ...' without the boilerplate."""
    m = re.match(r"(Unsupported device target \w+)\. This process only supports one of the "
                 r"(\[[^\]]*\])", re.sub(r"\s+", " ", text))
    if m:
        return "%s (this MindSpore process supports only %s)" % (m.group(1), m.group(2))
    return text


def stage_mindnlp(state):
    from importlib import import_module

    started = time.time()
    mindnlp = import_module("mindnlp")
    version = _dist_version("mindnlp") or getattr(mindnlp, "__version__", "unknown")
    state.result["mindnlp_version"] = version
    plan = choose_mindnlp_backend(state, version)
    state.mindnlp_plan = plan
    state.result["mindnlp_api"] = plan.api
    return Outcome("mindnlp %s; using %s (%.1f s to import)"
                   % (version, plan.api, time.time() - started),
                   {"mindnlp": version, "api": plan.api})


def _dist_version(name):
    """The installed version from *.dist-info (mindnlp 0.5.x reports a wrong __version__)."""
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in names:
            if folder.lower().startswith(name + "-") and folder.endswith(".dist-info"):
                return folder[len(name) + 1:-len(".dist-info")]
    return None


# --- tokenizer


def stage_tokenizer(state):
    corpus = load_corpus(state)
    texts = [t for t, _ in corpus["train"]]
    vocab_size = state.config["vocab_size"]
    status = "pass"
    try:
        import tokenizers  # noqa: F401
    except ImportError as exc:
        if getattr(exc, "name", None) != "tokenizers" and "No module named 'tokenizers'" \
                not in str(exc):
            raise  # installed but broken: that is a failure, not a fallback
        encode, size, note = train_fallback_bpe(texts, vocab_size)
        status = "warn"
        how = ("`tokenizers` is not installed: trained envdoctor's pure-Python byte-level BPE "
               "instead (the lab needs `tokenizers`)")
    else:
        encode, size, note = train_tokenizers_bpe(texts, vocab_size)
        how = "tokenizers %s" % getattr(tokenizers, "__version__", "?")
    # Round trip and coverage: every review must come back intact.
    lengths = []
    for text in texts[:64] + [t for t, _ in corpus["test"]][:64]:
        ids, back = encode(text)
        if back.strip() != text:
            raise Failed("the tokenizer does not round-trip: %r came back as %r" % (text, back))
        lengths.append(len(ids))
    state.tokenizer = (encode, size, how)
    state.result["tokenizer"] = "tokenizers" if status == "pass" else "fallback"
    mean = sum(lengths) / float(len(lengths))
    return Outcome("%s; vocabulary %d, %.1f tokens per review, round trip ok%s"
                   % (how, size, mean, note), {"vocab_size": size, "mean_tokens": round(mean, 2),
                                                "library": state.result["tokenizer"]}, status)


def train_tokenizers_bpe(texts, vocab_size):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2,
                                  special_tokens=list(SPECIALS), show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer=trainer)
    for i, special in enumerate(SPECIALS):
        if tok.token_to_id(special) != i:
            raise Failed("special token %s got id %s, expected %d"
                         % (special, tok.token_to_id(special), i))

    def encode(text):
        ids = tok.encode(text).ids
        return ids, tok.decode(ids)

    return encode, tok.get_vocab_size(), ""


def train_fallback_bpe(texts, vocab_size):
    """A byte-level BPE in pure Python: bytes are the alphabet, merges learned by frequency.

    Words keep their leading space, as GPT-2's byte-level pre-tokenizer does. The corpus has
    a small vocabulary, so counting pairs over the word table is fast.
    """
    base = len(SPECIALS)
    words = {}
    for text in texts:
        for word in _pieces(text):
            key = tuple(base + b for b in word.encode("utf-8"))
            words[key] = words.get(key, 0) + 1
    pieces = dict((base + b, bytes([b])) for b in range(256))
    merges = {}
    next_id = base + 256
    while next_id < vocab_size:
        pairs = {}
        for word, count in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] = pairs.get(pair, 0) + count
        if not pairs:
            break
        best = max(sorted(pairs), key=lambda p: pairs[p])
        if pairs[best] < 2:
            break
        merges[best] = next_id
        pieces[next_id] = pieces[best[0]] + pieces[best[1]]
        words = dict((_merge(w, best, next_id), c) for w, c in words.items())
        next_id += 1

    def encode(text):
        ids = []
        for word in _pieces(text):
            seq = tuple(base + b for b in word.encode("utf-8"))
            while len(seq) > 1:
                ranked = [(merges[p], p) for p in zip(seq, seq[1:]) if p in merges]
                if not ranked:
                    break
                new_id, pair = min(ranked)
                seq = _merge(seq, pair, new_id)
            ids.extend(seq)
        return ids, b"".join(pieces[i] for i in ids).decode("utf-8", "replace")

    return encode, next_id, " (%d merges)" % len(merges)


def _pieces(text):
    """Words with the whitespace before them (GPT-2 style, lossless): " the", " plot"."""
    return re.findall(r"\s*\S+|\s+", " " + text)


def _merge(seq, pair, new_id):
    out = []
    i = 0
    while i < len(seq):
        if i + 1 < len(seq) and seq[i] == pair[0] and seq[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(seq[i])
            i += 1
    return tuple(out)


# --- data


def examples(state, split):
    """``<s> review <e>`` ids, next-token targets, label and length, unpadded.

    Plain Python lists and ints, as a student's own source yields them: MindSpore turns them
    into arrays with ``np.array(x, copy=False)``, which NumPy 2 refuses (a copy is needed), so
    this is the stage where NumPy 2 breaks the lab while ``run_check()`` still passes.
    """
    encode = state.tokenizer[0]
    max_len = state.config["max_len"]
    out = []
    for text, label in state.corpus[split]:
        ids = [START] + list(encode(text)[0][:max_len - 2]) + [EXTRACT]
        targets = ids[1:] + [PAD]  # the LM predicts the next token; nothing after <e>
        out.append((ids, targets, int(label), len(ids)))
    return out


def make_dataset(state, rows, shuffle):
    import mindspore.dataset as ds

    batch_size = state.config["batch_size"]
    max_len = state.config["max_len"]

    class Source(object):  # random-access source, as the lab's datasets are
        def __init__(self, rows):
            self.rows = rows

        def __getitem__(self, index):
            return self.rows[index]

        def __len__(self):
            return len(self.rows)

    dataset = ds.GeneratorDataset(Source(rows), column_names=["ids", "targets", "label", "length"],
                                  shuffle=shuffle, num_parallel_workers=1)
    pad_info = {"ids": ([max_len], PAD), "targets": ([max_len], PAD)}
    if hasattr(dataset, "padded_batch"):  # 2.0+: padding moved out of batch()
        return dataset.padded_batch(batch_size, drop_remainder=True, pad_info=pad_info)
    return dataset.batch(batch_size, drop_remainder=True, pad_info=pad_info)


def stage_data(state):
    np = state.np
    ms = state.ms
    import mindspore.dataset as ds

    ds.config.set_seed(state.seed)
    train_rows = examples(state, "train")
    test_rows = examples(state, "test")
    train = make_dataset(state, train_rows, shuffle=True)
    test = make_dataset(state, test_rows, shuffle=False)
    b, t = state.config["batch_size"], state.config["max_len"]
    for dataset, store in ((train, state.train_batches), (test, state.test_batches)):
        for batch in dataset.create_tuple_iterator(num_epochs=1, output_numpy=True):
            ids, targets, label, length = [np.asarray(x) for x in batch]
            if ids.shape != (b, t) or targets.shape != (b, t) or label.shape != (b,):
                raise Failed("batch shapes %s, %s, %s; expected (%d, %d) and (%d,)"
                             % (ids.shape, targets.shape, label.shape, b, t, b))
            for row, n in zip(ids, length):
                if row[int(n) - 1] != EXTRACT or (row[int(n):] != PAD).any():
                    raise Failed("padding is wrong: a row reads %s with length %d"
                                 % (row.tolist(), int(n)))
            store.append(tuple(ms.Tensor(x.astype(np.int32)) for x in (ids, targets, label,
                                                                         length)))
    want_train, want_test = len(train_rows) // b, len(test_rows) // b
    if len(state.train_batches) != want_train or len(state.test_batches) != want_test:
        raise Failed("the pipeline gave %d + %d batches, expected %d + %d"
                     % (len(state.train_batches), len(state.test_batches), want_train, want_test))
    labels = np.concatenate([x[2].asnumpy() for x in state.train_batches])
    return Outcome("GeneratorDataset -> padded batches: %d train + %d held-out batches of %d x %d "
                   "(%d%% positive)" % (want_train, want_test, b, t, round(100 * labels.mean())),
                   {"train_batches": want_train, "test_batches": want_test,
                    "batch_shape": [b, t]})


# --- model, the MindSpore way


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
        return _f(loss), _f(cls_loss), _f(lm_loss)

    def gradients(self, batch):
        (loss, cls_loss, lm_loss, _), grads = self.grad_fn(*batch)
        names = [name for name, _ in self.parameters()]
        return (_f(loss), _f(cls_loss), _f(lm_loss)), list(zip(names, [g.asnumpy() for g in grads])), grads

    def apply(self, grads):
        self.optimizer(grads)

    def step(self, batch):
        loss, cls_loss, lm_loss = self.train_step(*batch)
        return _f(loss), _f(cls_loss), _f(lm_loss)

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
        ms = self.ms
        path = os.path.join(folder, "smoke.ckpt")
        ms.save_checkpoint(self.net, path)
        other = self.make_net(self.state.seed + 1)
        before = [self.logits(other, self.state.test_batches[0])]
        params = ms.load_checkpoint(path)
        missing = ms.load_param_into_net(other, params)
        if isinstance(missing, tuple):  # 2.1+: (params not loaded, checkpoint keys unused)
            missing = missing[0]
        if missing:
            raise Failed("load_param_into_net left parameters unloaded: %s"
                         % ", ".join(sorted(missing)[:5]))
        return path, other, before


def _f(tensor):
    if hasattr(tensor, "asnumpy") or hasattr(tensor, "detach"):
        tensor = _numpy(tensor)
    return float(tensor)


# --- training stages (any backend)


def stage_forward(state):
    if state.backend is None:
        state.backend = build_mindnlp_backend(state) if state.mindnlp_plan is not None \
            else build_mindspore_backend(state)
    backend = state.backend
    loss, cls_loss, lm_loss = backend.losses(state.train_batches[0])
    n_params = sum(int(state.np.prod(p.shape)) for _, p in backend.parameters())
    state.result["parameters"] = n_params
    if not all(math.isfinite(x) for x in (loss, cls_loss, lm_loss)):
        raise Failed("the loss is not finite: %r (classification %r, LM %r)"
                     % (loss, cls_loss, lm_loss))
    chance = math.log(2.0)
    if abs(cls_loss - chance) > 0.5:
        raise Failed("the first classification loss is %.3f, far from ln 2 = %.3f for an untrained "
                     "model: the forward pass computes something else" % (cls_loss, chance))
    state.result["loss_first"] = loss
    return Outcome("%s parameters; first loss %.3f (classification %.3f, LM %.3f)"
                   % ("{:,}".format(n_params), loss, cls_loss, lm_loss),
                   {"loss": loss, "classification_loss": cls_loss, "lm_loss": lm_loss,
                    "parameters": n_params})


def stage_backward(state):
    np = state.np
    values, named, raw = state.backend.gradients(state.train_batches[0])
    bad = [name for name, g in named if not np.isfinite(g).all()]
    if bad:
        raise Failed("gradients are not finite for %s" % ", ".join(bad[:5]))
    zero = [name for name, g in named if not np.any(g)]
    if len(zero) == len(named):
        raise Failed("every gradient is zero: nothing would learn")
    norm = math.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for _, g in named))
    state.grads = raw
    state.grad_values = dict(named)
    return Outcome("%d gradients, all finite, global norm %.3f%s"
                   % (len(named), norm, "; %d zero (%s)" % (len(zero), ", ".join(zero[:3]))
                      if zero else ""),
                   {"gradients": len(named), "norm": norm, "zero": zero})


def stage_optimizer(state):
    np = state.np
    backend = state.backend
    grads = state.grad_values
    before = backend.param_values()
    backend.apply(state.grads)
    state.grads = state.grad_values = None
    after = backend.param_values()
    changed = [n for n in before if not np.array_equal(before[n], after[n])]
    bad = [n for n in after if not np.isfinite(after[n]).all()]
    if bad:
        raise Failed("parameters are not finite after one step: %s" % ", ".join(bad[:5]))
    if not changed:
        raise Failed("the optimizer step changed no parameter")
    # The step must go down the gradient: <update, gradient> < 0 (Adam's first step is
    # -lr * sign(g), so this holds for every parameter that has a gradient).
    slope = sum(float(((after[n] - before[n]).astype(np.float64) * g).sum())
                for n, g in grads.items() if n in before)
    if not slope < 0:
        raise Failed("the update does not go down the gradient (update . gradient = %.3g)"
                     % slope)
    return Outcome("%d of %d parameters updated, down the gradient"
                   % (len(changed), len(before)),
                   {"changed": len(changed), "total": len(before), "slope": slope})


def real_tokens(state, batch):
    return int(batch[3].asnumpy().sum())


def stage_loss(state):
    backend = state.backend
    steps = state.config["steps"]
    rng = random.Random(state.seed)
    order = []
    losses = []
    tokens = 0
    started = time.time()
    for i in range(steps):
        if not order:
            order = list(range(len(state.train_batches)))
            rng.shuffle(order)
        batch = state.train_batches[order.pop()]
        losses.append(backend.step(batch))
        tokens += real_tokens(state, batch)
        if not math.isfinite(losses[-1][0]):
            raise Failed("the loss became %r at step %d" % (losses[-1][0], i + 1))
    seconds = time.time() - started
    tail = losses[-8:]
    last = sum(x[0] for x in tail) / len(tail)
    last_cls = sum(x[1] for x in tail) / len(tail)
    last_lm = sum(x[2] for x in tail) / len(tail)
    first = state.result["loss_first"]
    speed = tokens / seconds if seconds > 0 else None
    state.result.update(loss_last=last, tokens_per_second=speed, steps=steps + 1,
                        train_seconds=seconds)
    data = {"loss_first": first, "loss_last": last, "classification_loss_last": last_cls,
            "lm_loss_last": last_lm, "steps": steps, "tokens_per_second": speed,
            "losses": [round(x[0], 4) for x in losses]}
    if not last < 0.8 * first:
        raise Failed("the loss did not fall: %.3f -> %.3f over %d steps (needed below %.3f)"
                     % (first, last, steps, 0.8 * first), data)
    return Outcome("%.3f -> %.3f in %d steps (classification %.3f, LM %.3f%s); %s tokens/s"
                   % (first, last, steps, last_cls, last_lm,
                      "" if state.config["lm_weight"] else ", not trained",
                      "{:,.0f}".format(speed) if speed else "?"), data)


def accuracy(state):
    np = state.np
    right = total = 0
    for batch in state.test_batches:
        pred = np.asarray(state.backend.predict(batch))
        labels = batch[2].asnumpy()
        right += int((pred == labels).sum())
        total += len(labels)
    return right / float(total), total


def stage_accuracy(state):
    acc, total = accuracy(state)
    state.result["accuracy"] = acc
    needed = state.config["accuracy_needed"]
    data = {"accuracy": acc, "examples": total, "chance": 0.5, "needed": needed}
    if acc < needed:
        raise Failed("%.1f%% on %d held-out reviews (chance 50%%, needed %.0f%%): training runs "
                     "but does not learn" % (100 * acc, total, 100 * needed), data)
    return Outcome("%.1f%% on %d held-out reviews (chance 50%%, needed %.0f%%)"
                   % (100 * acc, total, 100 * needed), data)


def stage_compiled(state):
    backend = state.backend
    if not backend.can_compile:
        return Outcome(backend.no_compile_reason, {}, "skip")
    batch = state.train_batches[0]
    eager = backend.losses(batch)[0]
    started = time.time()
    step = backend.compiled_step_fn()
    out = step(*batch)
    compiled = _f(out[0])
    compile_seconds = time.time() - started
    if not abs(compiled - eager) <= 1e-3 * max(1.0, abs(eager)):
        raise Failed("the compiled step's loss %.6f differs from the eager one %.6f on the same "
                     "batch and weights" % (compiled, eager))
    n = state.config["compiled_steps"]
    tokens = 0
    losses = []
    started = time.time()
    for i in range(n):
        b = state.train_batches[(i + 1) % len(state.train_batches)]
        losses.append(_f(step(*b)[0]))
        tokens += real_tokens(state, b)
    seconds = time.time() - started
    if not all(math.isfinite(x) for x in losses):
        raise Failed("compiled steps gave a non-finite loss: %r" % losses)
    acc, _ = accuracy(state)
    speed = tokens / seconds if seconds > 0 else None
    state.result["tokens_per_second_compiled"] = speed
    state.result["compile_seconds"] = compile_seconds
    data = {"loss_eager": eager, "loss_compiled": compiled, "compile_seconds": compile_seconds,
            "tokens_per_second": speed, "accuracy_after": acc, "steps": n + 1}
    if acc < state.config["accuracy_needed"]:
        raise Failed("after %d compiled steps held-out accuracy fell to %.1f%%" % (n + 1, 100 * acc),
                     data)
    return Outcome("jit: same loss as eager (%.4f); compiled in %.1f s, %d more steps at %s "
                   "tokens/s, accuracy still %.1f%%"
                   % (compiled, compile_seconds, n, "{:,.0f}".format(speed) if speed else "?",
                      100 * acc), data)


def stage_checkpoint(state):
    np = state.np
    backend = state.backend
    path, other, before = backend.save_and_reload(state.args.workdir)
    ours = [backend.logits(backend.net, b) for b in state.test_batches]
    theirs = [backend.logits(other, b) for b in state.test_batches]
    diff = max(float(np.abs(a - b).max()) for a, b in zip(ours, theirs))
    changed = max(float(np.abs(a - b).max()) for a, b in zip(ours, before))
    size = _size(path)
    data = {"max_abs_diff": diff, "bytes": size, "file": os.path.basename(path)}
    if changed == 0.0:
        raise Failed("a freshly initialised model already gave the same outputs: the check "
                     "proves nothing", data)
    if diff > 1e-5:
        raise Failed("the reloaded model's outputs differ by up to %.3g" % diff, data)
    return Outcome("%s saved%s and loaded into a new model: %s outputs on the held-out set"
                   % (os.path.basename(path), " (%d kB)" % (size // 1024) if size else "",
                      "identical" if diff == 0.0 else "same (max |diff| %.2g)" % diff), data)


def _size(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total or None


STAGE_FUNCTIONS = {
    "import": stage_import,
    "device": stage_device,
    "mindnlp": stage_mindnlp,
    "tokenizer": stage_tokenizer,
    "data": stage_data,
    "forward": stage_forward,
    "backward": stage_backward,
    "optimizer": stage_optimizer,
    "loss": stage_loss,
    "accuracy": stage_accuracy,
    "compiled": stage_compiled,
    "checkpoint": stage_checkpoint,
}


# ----------------------------------------------------------------------------- mindnlp


def _module(name):
    from importlib import import_module

    try:
        return import_module(name)
    except ImportError:
        return None


def choose_mindnlp_backend(state, version):
    """Which GPT classes this mindnlp has, newest API first (found by looking, not by version
    number: the 0.1.1 on PyPI and the git tag v0.1.1 differ)."""
    tried = []
    if "mindtorch" in sys.modules or _module("mindtorch") is not None:
        # 0.5.x: mindnlp.transformers is Hugging Face transformers running on mindtorch, a
        # torch API over MindSpore; `import torch` gives mindtorch once mindnlp is imported.
        tf = _module("mindnlp.transformers")
        if tf is not None and hasattr(tf, "OpenAIGPTForSequenceClassification"):
            return MindnlpPlan("torch", tf.OpenAIGPTConfig, tf.OpenAIGPTForSequenceClassification,
                               "mindnlp.transformers.OpenAIGPTForSequenceClassification "
                               "(transformers on mindtorch: mindtorch.autograd.value_and_grad, "
                               "torch.optim.AdamW)")
        tried.append("mindnlp.transformers.OpenAIGPTForSequenceClassification (mindtorch)")
    tf = _module("mindnlp.transformers")
    if tf is not None and hasattr(tf, "OpenAIGPTForSequenceClassification") \
            and _module("mindnlp.core") is not None:
        # 0.4.x: torch-like modules from mindnlp.core, over MindSpore tensors.
        return MindnlpPlan("core", tf.OpenAIGPTConfig, tf.OpenAIGPTForSequenceClassification,
                           "mindnlp.transformers.OpenAIGPTForSequenceClassification "
                           "(mindnlp.core: core.autograd.value_and_grad, core.optim.AdamW)")
    tried.append("mindnlp.transformers.OpenAIGPTForSequenceClassification (mindnlp.core)")
    if tf is not None and hasattr(tf, "GPTForSequenceClassification"):
        # 0.2.x-0.3.x: nn.Cell models.
        return MindnlpPlan("cell", tf.GPTConfig, tf.GPTForSequenceClassification,
                           "mindnlp.transformers.GPTForSequenceClassification (nn.Cell: "
                           "mindspore.value_and_grad, nn.Adam)")
    tried.append("mindnlp.transformers.GPTForSequenceClassification")
    models = _module("mindnlp.models")
    if models is not None and hasattr(models, "GPTForSequenceClassification"):
        # 0.1.x (the git tag; the PyPI 0.1.1 wheel has no GPT): nn.Cell models.
        config = getattr(models, "GPTConfig", None)
        if config is None:
            config = _module("mindnlp.models.gpt.gpt_config").GPTConfig
        return MindnlpPlan("cell", config, models.GPTForSequenceClassification,
                           "mindnlp.models.GPTForSequenceClassification (nn.Cell: "
                           "mindspore.value_and_grad, nn.Adam)")
    tried.append("mindnlp.models.GPTForSequenceClassification")
    raise Failed("mindnlp %s imports, but has none of the GPT classes the lab uses (looked for %s)"
                 % (version, "; ".join(tried)), {"tried": tried})


class MindnlpPlan(object):
    def __init__(self, kind, config_class, model_class, api):
        self.kind = kind  # torch | core | cell
        self.config_class = config_class
        self.model_class = model_class
        self.api = api


def gpt_config(state, config_class):
    cfg = state.config
    kwargs = dict(vocab_size=state.tokenizer[1], n_positions=cfg["max_len"],
                  n_embd=cfg["d_model"], n_layer=cfg["n_layers"], n_head=cfg["n_heads"],
                  pad_token_id=PAD, num_labels=2, resid_pdrop=0.0, embd_pdrop=0.0,
                  attn_pdrop=0.0, summary_first_dropout=0.0)
    return config_class(**kwargs)


def build_mindnlp_backend(state):
    plan = state.mindnlp_plan
    if plan.kind == "cell":
        return build_cell_backend(state, plan)
    return ModuleBackend(state, plan)


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

    return MindSporeBackend(state, LabGPT, loss_cell_class(ms), plan.api)


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
        return dict((n, _numpy(p)) for n, p in self.parameters())

    def losses(self, batch):
        return tuple(_f(x) for x in self.forward_fn(*self.tensors(batch)))

    def _clear(self):
        for p in self.params:  # optimizer.zero_grad() is broken in 0.5.x
            p.grad = None

    def gradients(self, batch):
        self._clear()
        values = self.grad_fn(*self.tensors(batch))
        missing = [n for n, p in self.parameters() if p.grad is None]
        if len(missing) == len(self.params):
            raise Failed("value_and_grad attached no gradient to any parameter")
        named = [(n, _numpy(p.grad)) for n, p in self.parameters() if p.grad is not None]
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
        return _numpy(logits)

    def predict(self, batch):
        return self.logits(self.net, batch).argmax(-1)

    def save_and_reload(self, folder):
        path = os.path.join(folder, "smoke-model")
        self.net.save_pretrained(path)
        fresh = self.make_net(self.state.seed + 1)
        before = [self.logits(fresh, self.state.test_batches[0])]
        other = self.plan.model_class.from_pretrained(path)
        return path, other, before


def _numpy(tensor):
    if hasattr(tensor, "detach"):
        tensor = tensor.detach()
    if hasattr(tensor, "cpu") and hasattr(tensor, "numpy"):
        try:
            return tensor.cpu().numpy()
        except Exception:
            pass
    return tensor.asnumpy()


def _values(values):
    """(loss, (cls, lm)) or (loss, cls, lm) -> three floats."""
    flat = []
    for v in values:
        if isinstance(v, (tuple, list)):
            flat.extend(v)
        else:
            flat.append(v)
    return tuple(_f(x) for x in flat[:3])


# ----------------------------------------------------------------------------- main


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="lab_smoke.py")
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--device", choices=["CPU", "GPU", "Ascend"])
    parser.add_argument("--level", choices=["mindspore", "mindnlp"], default="mindspore")
    parser.add_argument("--seed", type=int, default=1729)
    parser.add_argument("--steps", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a CONFIG value (benchmarks, tests)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    faulthandler.enable()  # a native crash prints the Python stack to stderr before dying
    open_channel()
    stages = MINDNLP_STAGES if args.level == "mindnlp" else MINDSPORE_STAGES
    emit("hello", protocol=PROTOCOL, stages=[list(s) for s in stages], level=args.level,
         python=".".join(str(x) for x in sys.version_info[:3]), executable=sys.executable,
         pid=os.getpid(), config=CONFIG)
    state = State(args)
    random.seed(args.seed)
    started = time.time()
    for name, _ in stages:
        if not run_stage(name, STAGE_FUNCTIONS[name], state):
            break
    state.result["seconds"] = time.time() - started
    emit("done", result=state.result)
    _channel.close()
    # Skip interpreter teardown: some builds crash in their atexit hooks after a clean run.
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
