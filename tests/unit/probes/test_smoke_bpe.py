"""The smoke script's pure-Python byte-level BPE on the host (no tokenizers, no MindSpore)."""

from envdoctor.probes import smoke_bpe as bpe
from envdoctor.smoke.corpus import make_corpus


def test_merge_replaces_pairs_left_to_right_without_overlap():
    assert bpe._merge((5, 5, 5, 7), (5, 5), 9) == (9, 5, 7)
    assert bpe._merge((1, 2, 1, 2), (1, 2), 3) == (3, 3)
    assert bpe._merge((4,), (4, 4), 9) == (4,)


def test_pieces_keep_the_space_before_each_word():
    assert bpe._pieces("the plot") == [" the", " plot"]
    assert "".join(bpe._pieces("a\t b  c")) == " a\t b  c"  # lossless


def test_specials_are_reserved_and_never_produced():
    encode, size, _ = bpe.train_fallback_bpe(["a cat sat", "a cat ran"] * 5, 300)
    ids, back = encode("a cat")
    assert bpe.SPECIALS == ("<pad>", "<s>", "<e>") and (bpe.PAD, bpe.START, bpe.EXTRACT) == (0, 1, 2)
    assert all(len(bpe.SPECIALS) <= i < size for i in ids) and back == " a cat"


def test_frequent_words_become_one_token_and_rare_bytes_stay_bytes():
    encode, size, note = bpe.train_fallback_bpe(["great film"] * 10 + ["dull plot"] * 10, 400)
    assert len(encode("great film")[0]) == 2  # " great", " film"
    assert len(encode("zq")[0]) == 3  # " ", "z", "q": never seen together
    assert note == " (%d merges)" % (size - len(bpe.SPECIALS) - 256)


def test_training_stops_at_the_vocabulary_size_and_is_deterministic():
    texts = [t for t, _ in make_corpus().train]
    a = bpe.train_fallback_bpe(texts, 300)
    b = bpe.train_fallback_bpe(texts, 300)
    assert a[1] == 300 == b[1]
    assert all(a[0](t)[0] == b[0](t)[0] for t in texts[:20])


def test_unseen_text_round_trips_byte_for_byte():
    encode, _, _ = bpe.train_fallback_bpe([t for t, _ in make_corpus().train], 600)
    for text in ["unseen wörds, émojis 🎬", "tabs\tand  double spaces", "日本語のレビュー"]:
        assert encode(text)[1] == " " + text
