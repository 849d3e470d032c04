"""The smoke script's tokenizer: byte-level BPE trained on the toy corpus (stdlib only).

Two trainers give the same interface, ``(encode, vocab_size, note)`` with ``encode(text) ->
(ids, decoded text)``: the `tokenizers` library's (what the lab uses) and a pure-Python
fallback for a target without it. Both reserve ids 0, 1, 2 for ``SPECIALS``.
"""

import re

try:
    from .smoke_protocol import Failed  # imported as envdoctor.probes.smoke_bpe (host tests)
except ImportError:
    from smoke_protocol import Failed  # run by the target from this folder

__all__ = ["SPECIALS", "PAD", "START", "EXTRACT", "train_tokenizers_bpe", "train_fallback_bpe"]

SPECIALS = ("<pad>", "<s>", "<e>")  # ids 0, 1, 2 for both tokenizers
PAD, START, EXTRACT = 0, 1, 2


def train_tokenizers_bpe(texts, vocab_size):
    """Hugging Face `tokenizers`' byte-level BPE, as the lab trains it."""
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
    """``seq`` with every non-overlapping ``pair``, left to right, replaced by ``new_id``."""
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
