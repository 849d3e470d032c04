"""The bundled sentiment corpus: short movie reviews, generated deterministically from a seed.

Nothing is downloaded. The reviews are IMDb-like in shape only: a subject ("the plot"), an
opinion word, some filler, and always the same closing token, so a classifier that reads the
last token must attend back through the sentence to find the sentiment (what the lab's GPT
with a head on the last token does). Both opinion words of a review share its polarity.

The train and held-out splits never share a review text: held-out accuracy needs the
model to have learnt which words carry sentiment, not to have memorised reviews.
"""

import random
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Tuple

__all__ = ["Corpus", "make_corpus", "DEFAULT_SEED", "POSITIVE", "NEGATIVE"]

DEFAULT_SEED = 1729

POSITIVE = (
    "wonderful", "brilliant", "moving", "gripping", "charming", "superb", "delightful",
    "funny", "beautiful", "touching", "clever", "stunning", "warm", "fresh", "excellent",
    "great",
)
NEGATIVE = (
    "dull", "boring", "clumsy", "awful", "tedious", "bland", "messy", "predictable",
    "lifeless", "painful", "silly", "weak", "flat", "stale", "terrible", "poor",
)
SUBJECTS = (
    "the acting", "the plot", "the script", "the music", "the cast", "the ending",
    "the dialogue", "the camera work", "the pacing", "the story", "the lead actor",
    "the soundtrack", "the direction", "the final scene",
)
ADVERBS = ("really", "truly", "quite", "so", "rather", "very", "simply", "just")
OPENERS = (
    "i watched this on a rainy sunday", "we saw it at the cinema last night",
    "my friend picked this one", "i went in knowing nothing",
    "it came out last year", "i rented it for the weekend",
)
TEMPLATES = (
    "{subj} was {adv} {adj} .",
    "i thought {subj} was {adj} and {subj2} was {adj2} .",
    "{opener} , and {subj} was {adj} .",
    "{subj} felt {adj} , {subj2} even more {adj2} .",
    "what a {adj} film , {subj} was {adv} {adj2} .",
    "{opener} . {subj} was {adj2} .",
    "overall {subj} was {adj} , and {subj2} {adv} {adj2} .",
    "{opener} ; honestly {subj} seemed {adj} .",
    "a {adv} {adj} movie . {subj} was {adj2} .",
)


@dataclass(frozen=True)
class Corpus:
    seed: int
    train: Tuple[Tuple[str, int], ...]  # (text, label): 1 positive, 0 negative
    test: Tuple[Tuple[str, int], ...]

    @property
    def texts(self) -> List[str]:
        return [text for text, _ in self.train]

    def to_dict(self) -> Dict[str, Any]:
        return {
            "seed": self.seed,
            "train": [[t, l] for t, l in self.train],
            "test": [[t, l] for t, l in self.test],
        }


def _review(rng: random.Random, templates: Sequence[str], label: int) -> str:
    words = POSITIVE if label else NEGATIVE
    adj, adj2 = rng.sample(words, 2)
    subj, subj2 = rng.sample(SUBJECTS, 2)
    return rng.choice(templates).format(
        subj=subj, subj2=subj2, adj=adj, adj2=adj2, adv=rng.choice(ADVERBS),
        opener=rng.choice(OPENERS))


def _split(rng: random.Random, templates: Sequence[str], n: int,
           avoid: frozenset) -> List[Tuple[str, int]]:
    out = []  # type: List[Tuple[str, int]]
    seen = set(avoid)
    while len(out) < n:
        label = len(out) % 2  # exactly balanced; shuffled below
        text = _review(rng, templates, label)
        if text in seen:
            continue
        seen.add(text)
        out.append((text, label))
    rng.shuffle(out)
    return out


def make_corpus(seed: int = DEFAULT_SEED, n_train: int = 512, n_test: int = 128) -> Corpus:
    """The same seed gives the same corpus on every Python (random.Random is stable)."""
    rng = random.Random(seed)
    train = _split(rng, TEMPLATES, n_train, frozenset())
    test = _split(rng, TEMPLATES, n_test, frozenset(t for t, _ in train))
    return Corpus(seed, tuple(train), tuple(test))
