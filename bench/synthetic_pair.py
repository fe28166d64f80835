"""Write the synthetic control pair as files, so that ``clwe align`` can run on it from the command line.

The source is the bundled English space (its ``--max-vocab`` most frequent words), the target a rotated,
noised copy in a "mirror" spelling (:func:`core.synthetic.synthetic_pair`, ``word_forms="mirror"``: no word
is spelled the same in both, so no identical string helps). The identity is the gold dictionary; a seeded
third of its source words go to ``test.txt``, the rest to ``train.txt``.

    python -m bench.synthetic_pair DIR [--max-vocab 3000] [--noise 0.05] [--random-state 0]

writes ``DIR/src.vec``, ``DIR/tgt.vec``, ``DIR/train.txt`` and ``DIR/test.txt``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from core.io import load_embeddings, save_word2vec
from core.synthetic import synthetic_pair


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="folder to write into")
    ap.add_argument("--space", default="en")
    ap.add_argument("--max-vocab", type=int, default=3000)
    ap.add_argument("--noise", type=float, default=0.05)
    ap.add_argument("--random-state", type=int, default=0)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    src, tgt, gold = synthetic_pair(load_embeddings(args.space, max_vocab=args.max_vocab), noise=args.noise,
                                    random_state=args.random_state, word_forms="mirror")
    save_word2vec(src, out / "src.vec")
    save_word2vec(tgt, out / "tgt.vec")
    rng = np.random.default_rng(args.random_state)
    test = set(rng.choice(len(gold), size=len(gold) // 3, replace=False).tolist())
    for name, keep in (("train.txt", False), ("test.txt", True)):
        (out / name).write_text("".join(f"{s} {t}\n" for i, (s, t) in enumerate(gold) if (i in test) == keep),
                                encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
