"""Load-time benchmark for the bundled spaces and the text formats.

Prints the median of several loads per space, and the ratio of a word2vec-text load to the bundled
(.npy float16) load of the same words, measured in one run so machine noise cancels out.

    python bench/bench_io.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from core.io import BUNDLED_SPACES, load_embeddings, save_word2vec


def median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'space':6} {'words':>7} {'dim':>4} {'bundled load':>13} {'.vec load':>10} {'.vec write':>11} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for short in BUNDLED_SPACES:
            bundled = median_seconds(lambda: load_embeddings(short), args.repeat)
            emb = load_embeddings(short)
            vec = Path(tmp) / f"{short}.vec"
            start = time.perf_counter()
            save_word2vec(emb, vec)
            write = time.perf_counter() - start
            text = median_seconds(lambda: load_embeddings(vec), max(1, args.repeat // 2))
            print(f"{short:6} {len(emb):7d} {emb.dim:4d} {bundled * 1000:10.1f} ms {text:8.2f} s "
                  f"{write:9.2f} s {text / bundled:6.0f}x")


if __name__ == "__main__":
    main()
