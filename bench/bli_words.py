"""Word-level BLI: which test words a mapping gets right and which it gets wrong (CSLS, most frequent first).

    python -m core.cli align --src doc_en --tgt doc_fr --init dictionary --out out/
    python bench/bli_words.py out/ GOLD_PAIRS_FILE [--n 40]

Reporting only (it chooses nothing); the dictionary is whatever file you name.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.evaluate import evaluate_bli  # noqa: E402
from core.io import load_dictionary, load_embeddings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a `clwe align` output folder (src.vec, tgt.vec)")
    parser.add_argument("dictionary", help="gold pairs to score on (a dictionary file)")
    parser.add_argument("--n", type=int, default=40, help="words shown per list")
    args = parser.parse_args()
    src, tgt = load_embeddings(args.folder / "src.vec"), load_embeddings(args.folder / "tgt.vec")
    result = evaluate_bli(src, tgt, load_dictionary(args.dictionary), retrieval="csls")
    rank = {w: i for i, w in enumerate(src.words)}
    words = sorted(result.per_word, key=lambda w: rank[w.src])
    right = [f"{w.src}→{w.predictions[0]}" for w in words if w.gold_rank == 1]
    wrong = [f"{w.src}→{w.predictions[0]} (gold {'/'.join(w.gold[:2])})" for w in words if w.gold_rank != 1]
    print(f"P@1 {100 * result.p_at_1:.1f}% on {result.n} words")
    print("right:", ", ".join(right[:args.n]))
    print("wrong:", ", ".join(wrong[:args.n]))


if __name__ == "__main__":
    main()
