"""Side by side: VecMap and ``clwe align`` on the same files, with the same settings and thread count.

The rows live in ``bench.results`` (table ``vecmap``), which runs both programs live, one after the other,
on the same word2vec files (``clwe convert``; French reduced to 50 dimensions with ``--pca-dim 50`` for
``en-fr50`` because VecMap maps only equal dimensions), with ``bench.results.THREADS`` BLAS threads each,
and scores both outputs with the same code (``clwe evaluate``) on the bundled test split. This module holds
what is VecMap-specific (where it is, its command lines, the pairs it can map) and runs those rows:

    python -m bench.compare_vecmap            # = python -m bench.results --only 'vecmap:*' 'ours:*' 'refine:*'

A speed ratio is printed only between rows with equal settings (``Row.ratio_to``); VecMap's unsupervised mode
(20,000 words, interval 50: about an hour on one thread here) is capped by its own options, and the table
says so. No recorded log is quoted.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

VECMAP = os.environ.get("VECMAP", "/work/shared/peers/vecmap/map_embeddings.py")
# pair name -> (source space, target space, bundled dictionary, PCA dimension of the target)
PAIRS = {"en-fr50": ("en", "fr", "en-fr", 50), "fi-fr": ("fi", "fr", "fi-fr", None)}
# VecMap's recipe per seed, with options that give it our preset's settings where they differ
RECIPES = {
    "supervised": "--supervised {TRAIN}",  # = clwe align --init dictionary --no-self-learning
    # = clwe align --init identical (weak preset: 10,000 words, interval 3, threshold 1e-3)
    "identical": "--identical --vocabulary_cutoff 10000 --stochastic_interval 3 --threshold 1e-3",
    # capped: VecMap's default (--vocabulary_cutoff 20000, interval 50, no take-off switch) runs far longer than
    # the whole of bench.results may; our search vocabulary and the fast schedule from the start make it finish
    "unsupervised": "--unsupervised --vocabulary_cutoff 4000 --stochastic_interval 3 --threshold 1e-3",
    # a small seed dictionary (the first N pairs, FIRST_PAIRS): VecMap's recommended mode for it, capped like the
    # identical-strings recipe (10,000 words, interval 3, threshold 1e-3; its default interval 50 from keep
    # probability 0.1 runs for most of an hour here)
    "semi_supervised": "--semi_supervised {TRAIN} --vocabulary_cutoff 10000 --stochastic_interval 3 --threshold 1e-3",
}
# Semi-supervised seeds (issue 18): the first N pairs of the training split with both words in the vocabularies
SEMI_SIZES = (500, 1000)


def vecmap_command(src: str, tgt: str, seed_kind: str, train: str = "") -> str:
    """VecMap's command line writing ``{OUT}/src.vec`` and ``{OUT}/tgt.vec`` (templates for bench.results)."""
    recipe = RECIPES[seed_kind].format(TRAIN=train)
    program = "python ${{VECMAP:-" + VECMAP + "}}"  # braces doubled: the line is a str.format template
    return f"{program} {src} {tgt} {{OUT}}/src.vec {{OUT}}/tgt.vec {recipe} --seed {{SEED}}"


def first_pairs(src: str, tgt: str, dictionary: str, n: int, out: str) -> int:
    """Write the first ``n`` pairs of ``dictionary`` whose words are both in the spaces ``src`` and ``tgt`` (file
    order, no repeats) to ``out``, one ``source target`` per line: the same seed file for VecMap's
    ``--semi_supervised`` and for ``clwe align --init dictionary --dictionary`` (= ``--seed-size n``)."""
    from core.io import load_dictionary, load_embeddings

    s, t = load_embeddings(src), load_embeddings(tgt)
    pairs = [p for p in dict.fromkeys(load_dictionary(dictionary)) if p[0] in s.index and p[1] in t.index][:n]
    Path(out).write_text("".join(f"{a} {b}\n" for a, b in pairs), encoding="utf-8")
    return len(pairs)


def read_vecmap_log(path: Path) -> list[tuple[int, float, float]]:
    """(iteration, accuracy %, cumulative seconds) per line of a VecMap ``--log`` written with ``--validation``."""
    rows, total = [], 0.0
    if not path.exists():
        return rows
    for line in path.read_text().splitlines():
        f = line.split("\t")
        if len(f) >= 6:
            total += float(f[5])
            rows.append((int(f[0]), float(f[3]), total))
    return rows


def time_to(rows, accuracy: float):
    """The first (iteration, seconds) at which a logged accuracy (%) reached ``accuracy``, or None."""
    return next(((it, sec) for it, acc, sec in rows if acc >= accuracy), None)


def main(argv=None) -> int:
    from bench import results

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--first"]:   # python -m bench.compare_vecmap --first N SRC TGT DICTIONARY OUT (a prep step)
        n, src, tgt, dictionary, out = argv[1:6]
        first_pairs(src, tgt, dictionary, int(n), out)
        return 0
    return results.main(["--only", "vecmap:*", "ours:*", "refine:*", *argv])


if __name__ == "__main__":
    sys.exit(main())
