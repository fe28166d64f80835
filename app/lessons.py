"""The lessons: one scene per figure of the survey (Ruder, Søgaard & Vulić, ACL 2019 tutorial post).

A scene fixes everything a chart depends on (pair, vocabulary, seed, settings, iteration, view), so one
click reproduces it and ``Scene.key`` names its computation in the server-wide cache: thirty students
opening the same lesson share one computation (``app/scenes.py`` computes, ``app/views/lessons.py`` draws).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Pairs the lessons use. SAME: two spaces trained by one algorithm (the post's setting for unsupervised
# mapping). DIFFERENT: GloVe English against fastText French (the bundled en-fr), far from isomorphic.
SAME_PAIR = "en-fr"
DIFFERENT_PAIR = "en-fr"


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
    def params(self) -> dict:
        return dict(self.settings)

    @property
    def key(self) -> str:
        """Cache key: every field the computation depends on."""
        return f"{self.id}|{self.pair}|{self.max_vocab}|{self.seed}|{self.settings}|{self.extra_pairs}"


def _s(**kw) -> tuple:
    return tuple(sorted(kw.items()))


SCENES: tuple[Scene, ...] = (
    Scene("F2", "The mapping framework", "Two monolingual spaces, a seed dictionary, a linear map W",
          SAME_PAIR, "random", _s(n=100, normalize="unit, center, unit", mapping="procrustes",
                                   retrieval="csls", final="multistep"),
          view="diagram",
          explanation="Every mapping method has the same three steps (Glavaš et al. 2019): (1) a **seed "
                      "dictionary** of translation pairs, (2) the vectors of those pairs looked up in each "
                      "space, (3) a **linear map W** fitted so that mapped source words land on their "
                      "translations (Procrustes when W is orthogonal). Methods differ mostly in step 1. "
                      "The highlighted boxes are the choices of the run now open in the lab.",
          claim="the lab implements every box of the framework"),
    Scene("F3", "What the mapping does", "Joint 2-D projection before and after mapping, translations linked",
          SAME_PAIR, "dictionary", _s(n_words=24, method="pca"), view="projection",
          explanation="Content words (numbers, everyday nouns) held out of the training dictionary, each "
                      "linked to its gold translation. **Before** mapping the two languages are unrelated "
                      "clouds; **after** an orthogonal map W learned from the training dictionary, each word "
                      "moves next to its translation and the two languages interleave.",
          claim="translations are closer and the languages interleave after mapping"),
    Scene("F4", "The self-learning loop", "Map → induce a new dictionary → map again",
          SAME_PAIR, "random", _s(n=100, cutoff=10000, retrieval="csls", direction="union",
                                   keep_prob=1.0, max_iter=10),
          iteration=0, view="curves", steps=True,
          explanation="Start from only **100 random pairs** of the dictionary. Each step maps the spaces, "
                      "takes every word's nearest neighbour in the other language as a new, larger "
                      "dictionary, and maps again (Artetxe et al. 2017). Press **Step**: accuracy climbs "
                      "while the dictionary grows from 100 to thousands of pairs.",
          claim="BLI P@1 rises from the seed's mapping through self-learning"),
    Scene("F6", "The adversarial game", "W as generator against a discriminator (Conneau et al. 2018)",
          SAME_PAIR, "adversarial", _s(n_epochs=5, epoch_size=64000, random_state=0), view="losses",
          explanation="No dictionary at all: the generator (the map W) tries to make mapped source vectors "
                      "look like target vectors, the discriminator tries to tell them apart. When the game "
                      "works, the discriminator's loss rises as it gets fooled and the resulting map yields a "
                      "seed dictionary of real translations.",
          claim="the game produces a usable seed (its pairs are translations)"),
    Scene("F7", "Similarity distributions", "Sorted intralingual similarities of “two”, “due”, “cane”",
          SAME_PAIR, "none", _s(words=(("two", "src"), ("deux", "tgt"), ("chien", "tgt")), n=4000),
          view="distributions",
          explanation="Compare a word with every word **of its own language** and sort the similarities: "
                      "the curve is a fingerprint that needs no shared space. A word and its translation "
                      "play the same role, so their curves should be alike and an unrelated word's should "
                      "differ (Artetxe et al. 2018); the unsupervised seed pairs words by these curves.",
          claim="the translation's curve is closer than the unrelated word's"),
    Scene("F8", "Unsupervised vs supervised", "BLI against seed-dictionary size, unsupervised as a line",
          SAME_PAIR, "random", _s(sizes=(25, 50, 100, 250, 500, 1000, 2500), random_state=0),
          view="seed_size",
          explanation="Each point maps the spaces with N random pairs of the training dictionary "
                      "(Procrustes, no self-learning). The dashed line is a fully unsupervised run "
                      "(second-order seed and self-learning, no dictionary). Glavaš et al. (2019) and Vulić "
                      "et al. (2019): unsupervised methods stay below supervision with 500–1,000 pairs.",
          claim="the supervised curve rises with N and passes the unsupervised line by 500–1,000 pairs"),
    Scene("F9", "Non-isomorphism", "Even similar languages' spaces are not isomorphic",
          DIFFERENT_PAIR, "none", _s(n=1000, k=10), view="isomorphism", extra_pairs=("synthetic:en",),
          explanation="Unsupervised mapping assumes one space is a rotation of the other (isomorphic). "
                      "Measured on 1,000 translation pairs without any mapping: a rotated, noised copy is "
                      "isomorphic by construction; real spaces are far from it (Søgaard et al. 2018).",
          claim="the isomorphic reference scores better on every diagnostic than the real pair"),
    Scene("F12", "BLI and word frequency", "BLI falls with word frequency rank (Czarnowska et al. 2019)",
          SAME_PAIR, "dictionary", _s(bands=(0, 1000, 2500, 5000, 10000, 20000)), view="bands",
          max_vocab=20000,
          explanation="Precision at 1 of the supervised mapping, by the source word's frequency rank. "
                      "Rare words have vectors trained on few contexts, so their translations are harder to "
                      "find: test sets of frequent words flatter a method.",
          claim="P@1 falls from frequent to rare words"),
)

BY_ID = {s.id: s for s in SCENES}
