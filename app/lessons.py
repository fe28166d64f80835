"""The lessons: one scene per figure of the survey (Ruder, Søgaard & Vulić, ACL 2019 tutorial post).

A scene fixes everything a chart depends on (pair, vocabulary, seed, settings, iteration, view), so one
click reproduces it and ``Scene.key`` names its computation in the server-wide cache: thirty students
opening the same lesson share one computation (``app/scenes.py`` computes, ``app/views/lessons.py`` draws).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Pairs the lessons use. SAME: two spaces trained by one algorithm with the same settings on comparable
# corpora (skip-gram on documentation, a Bible and game stories; the post's setting for unsupervised mapping).
# DIFFERENT: GloVe English against fastText French (the bundled en-fr), far from isomorphic.
SAME_PAIR = "doc_en-doc_fr"
DIFFERENT_PAIR = "en-fr"
# The survey's F7 is English-Italian (two / due / cane).
ITALIAN_PAIR = "doc_en-doc_it"


@dataclass(frozen=True)
class Scene:
    """One lesson: what to compute and show, and the claim of the survey it checks.

    ``settings`` is a tuple of (name, value) pairs (hashable, so the scene can key a cache); ``view`` names
    the chart; ``iteration`` is the self-learning iteration shown first (scenes with a run).
    """

    id: str
    title: str
    figure: str
    pair: str
    seed: str
    settings: tuple = ()
    iteration: int = 0
    view: str = ""
    explanation: str = ""
    claim: str = ""
    max_vocab: int = 10000
    steps: bool = False          # the scene has Step / Back buttons (a self-learning run)
    extra_pairs: tuple = field(default=())

    @property
    def label(self) -> str:
        """The button's label, short enough for eight buttons in a row at 1280 px."""
        return f"{self.id} {SHORT.get(self.id, self.title)}"

    @property
    def params(self) -> dict:
        return dict(self.settings)

    @property
    def key(self) -> str:
        """Cache key: every field the computation depends on."""
        return f"{self.id}|{self.pair}|{self.max_vocab}|{self.seed}|{self.settings}|{self.extra_pairs}"


SHORT = {"F2": "Framework", "F3": "Geometry", "F4": "Self-learning", "F6": "Adversarial", "F7": "Distributions",
         "F8": "Seed size", "F9": "Isomorphism", "F12": "Frequency"}


def _s(**kw) -> tuple:
    return tuple(sorted(kw.items()))


SCENES: tuple[Scene, ...] = (
    Scene("F2", "The mapping framework", "Two monolingual spaces, a seed dictionary, a linear map W",
          SAME_PAIR, "random", _s(n=100, normalize="unit, center, unit", mapping="procrustes",
                                   retrieval="csls", final="multistep"),
          view="diagram",
          explanation="Every mapping method has three steps (Glavaš et al. 2019): a **seed dictionary**, the "
                      "vectors of its pairs, a **linear map W** that sends source words onto their "
                      "translations. Methods differ mostly in the seed. Blue: the choices of the run open "
                      "in the lab.",
          claim="the lab implements every box of the framework"),
    Scene("F3", "What the mapping does", "Joint 2-D projection before and after mapping, translations linked",
          SAME_PAIR, "dictionary", _s(n_words=12, method="pca"), view="projection",
          explanation="Content words held out of the training dictionary, each linked to its translation. "
                      "**Before** mapping the languages are unrelated clouds; **after** the map W (learned "
                      "from the training dictionary) words sit next to their translations.",
          claim="translations are closer and the languages interleave after mapping"),
    Scene("F4", "The self-learning loop", "Map → induce a new dictionary → map again",
          SAME_PAIR, "random", _s(n=100, cutoff=10000, retrieval="csls", direction="union",
                                   keep_prob=1.0, max_iter=10),
          iteration=0, view="curves", steps=True,
          explanation="From only **100 random pairs**: map, take each word's nearest neighbour in the other "
                      "language as a new dictionary, map again (Artetxe et al. 2017). Press **Next "
                      "iteration** and watch accuracy climb.",
          claim="BLI P@1 rises from the seed's mapping through self-learning"),
    Scene("F6", "The adversarial game", "W as generator against a discriminator (Conneau et al. 2018)",
          SAME_PAIR, "adversarial", _s(n_epochs=5, epoch_size=64000, random_state=0), view="losses",
          extra_pairs=("synthetic:doc_en",),
          explanation="No dictionary at all: the generator (the map W) makes mapped source vectors look like "
                      "target vectors; the discriminator tries to tell them apart (Conneau et al. 2018). "
                      "The map that wins yields a seed dictionary.",
          claim="the game produces a usable seed (its pairs are translations)"),
    Scene("F7", "Similarity distributions",
          "Each word's similarities to the 4,000 most frequent words of its own language, sorted",
          ITALIAN_PAIR, "none", _s(words=(("two", "src"), ("due", "tgt"), ("cane", "tgt")), n=4000,
                                   contrast=((DIFFERENT_PAIR, (("two", "src"), ("deux", "tgt"), ("chien", "tgt"))),)),
          view="distributions",
          explanation="Compare a word with every frequent word **of its own language** and sort: the curve needs "
                      "no shared space. A word and its translation should have alike curves, an unrelated "
                      "word a different one; the unsupervised seed pairs words by them (Artetxe et al. 2018). "
                      "The survey's words: English *two*, Italian *due* and *cane* (dog); *cane* is rarer than "
                      "the 4,000 words, so its curve is drawn against them. Right: the same test on English "
                      "and French spaces trained differently.",
          claim="the translation's curve is closer than the unrelated word's"),
    Scene("F8", "Unsupervised vs supervised", "BLI against seed-dictionary size, unsupervised as a line",
          SAME_PAIR, "random", _s(sizes=(25, 100, 500, 1000, 2500, 5000), random_state=0,
                                  schedule="unsupervised"),
          view="seed_size",
          explanation="Each point: N random pairs of the training dictionary as the seed, **without** "
                      "self-learning (the map of the N pairs alone) and **with** it (the same self-learning "
                      "as the unsupervised run). Dashed: a fully unsupervised run (no dictionary: the "
                      "second-order seed, then that self-learning). Glavaš et al. and Vulić et al. (2019): "
                      "unsupervised stays below 500–1,000 supervised pairs.",
          claim="with the same self-learning, 500–1,000 seed pairs beat the unsupervised run"),
    Scene("F9", "Non-isomorphism", "Four measures of how far two spaces are from a rotation of each other",
          SAME_PAIR, "none", _s(n=1000, k=10, more_pairs=(DIFFERENT_PAIR, "fi-fr", "en-fi")), view="isomorphism",
          extra_pairs=("synthetic:doc_en",),
          explanation="Unsupervised mapping assumes one space is a rotation of the other (**isomorphic**). "
                      "On 1,000 translation pairs, before any mapping, each measure compares the two spaces; "
                      "the rotated copy shows the isomorphic value. Bars: green where fully unsupervised "
                      "mapping works on that pair, red where it fails.",
          claim="spaces are far from isomorphic, and the less isomorphic, the more unsupervised mapping fails"),
    Scene("F12", "BLI and word frequency", "BLI falls with word frequency rank (Czarnowska et al. 2019)",
          SAME_PAIR, "dictionary", _s(bands=(0, 500, 1000, 2500, 5000, 10000, 20000)), view="bands",
          max_vocab=20000,
          explanation="Share of test words translated correctly by the supervised map, by the word's frequency "
                      "rank. Rare words' vectors come from few contexts, so test sets of frequent words "
                      "flatter a method.",
          claim="P@1 falls from frequent to rare words"),
)

BY_ID = {s.id: s for s in SCENES}
