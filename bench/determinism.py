"""Same numbers on every machine: run the engine's decision-making scenarios under several OpenBLAS
kernels and thread counts and compare every iteration's dictionary, mapping and P@1 bit for bit.

    python -m bench.determinism                 # every scenario, every configuration, a table
    python -m bench.determinism --cost          # what the float64 / grid steps cost (ratios)
    python -m bench.determinism --worker NAME   # one scenario in this process: JSON digests

Each configuration is a subprocess with ``OPENBLAS_NUM_THREADS`` and, where the processor has AVX2
and the machine does not set it already, ``OPENBLAS_CORETYPE`` (the default kernel here is SkylakeX;
Haswell is the kernel of the machine where the tests first failed). A scenario is deterministic when
every configuration prints the same digests.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _digest(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str(a.dtype).encode() + str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def _record_digest(sl, rec) -> dict:
    Xm, _ = sl._mapped_cut(rec.mapping)
    out = {"iteration": rec.iteration, "dictionary": _digest(rec.src_idx, rec.tgt_idx),
           "mapped": _digest(Xm), "objective": None if rec.objective != rec.objective else float(rec.objective),
           "shared": None if rec.shared_agreement != rec.shared_agreement else float(rec.shared_agreement)}
    if rec.bli:
        out["p1_csls"] = rec.bli["csls"].p_at_1
    return out


def scenario_hopeless() -> list[dict]:
    """tests/test_selflearning.py's hopeless run: 20 seed pairs in 50-d against a Gaussian target."""
    from core.io import Embeddings, load_embeddings
    from core.selflearning import AlignConfig, SelfLearning
    from core.synthetic import synthetic_pair

    src, tgt, gold = synthetic_pair(load_embeddings("en", max_vocab=1200), noise=0.35, drop=0.1, random_state=1)
    rng = np.random.default_rng(0)
    words = [gold[i][0] for i in rng.choice(len(gold), 20, replace=False)]
    seed = np.array([(src.index[w], tgt.index[w]) for w in words], np.int64)
    noise = Embeddings(tgt.words, np.random.default_rng(5).standard_normal((len(tgt), tgt.dim)).astype(np.float32),
                       "noise")
    cfg = AlignConfig(cutoff=1200, stochastic_initial=0.25, stochastic_interval=2, threshold=1e-4, max_iter=40,
                      random_state=3, collapse_patience=3, search_rate=0.05)
    sl = SelfLearning(src, noise, seed, cfg)
    sl.run_until_converged()
    return [_record_digest(sl, r) for r in sl.history]


def scenario_f4(n_iter: int = 4) -> list[dict]:
    """The F4 lesson's run (100 random pairs, doc_en-doc_fr, 10,000-word cutoff), first iterations."""
    from core.io import load_dictionary, load_embeddings
    from core.normalize import normalize
    from core.seeds import random_seed
    from core.selflearning import AlignConfig, SelfLearning

    src, tgt = load_embeddings("doc_en"), load_embeddings("doc_fr")
    pairs = load_dictionary(ROOT / "sample_data" / "dictionaries" / "doc_en-doc_fr.train.txt")
    train, test = pairs[:-500], pairs[-500:]       # the test split is bench.results' alone
    cfg = AlignConfig(cutoff=10000, max_iter=n_iter, random_state=0)
    seed = random_seed(src.with_vectors(normalize(src.vectors)), tgt.with_vectors(normalize(tgt.vectors)), train,
                       n=100, random_state=0)
    sl = SelfLearning(src, tgt, seed.pairs, cfg, gold_test=test)
    sl.run(n_iter)
    return [_record_digest(sl, r) for r in sl.history]


def scenario_unsupervised(n_iter: int = 3) -> list[dict]:
    """The second-order seed (2,000 words) on doc_en-doc_fr and self-learning from it, stochastic."""
    from core.io import load_embeddings
    from core.normalize import normalize
    from core.seeds import second_order_seed
    from core.selflearning import AlignConfig, SelfLearning

    src, tgt = load_embeddings("doc_en", max_vocab=6000), load_embeddings("doc_fr", max_vocab=6000)
    seed = second_order_seed(src.with_vectors(normalize(src.vectors)), tgt.with_vectors(normalize(tgt.vectors)),
                             n=2000)
    cfg = AlignConfig(cutoff=4000, stochastic_initial=0.1, max_iter=n_iter, random_state=0)
    sl = SelfLearning(src, tgt, seed.pairs, cfg)
    sl.run(n_iter)
    return [{"seed": _digest(seed.pairs)}] + [_record_digest(sl, r) for r in sl.history]


def scenario_adversarial() -> list[dict]:
    """A short adversarial game (Conneau et al. 2018) on doc_en-doc_fr, 5,000 words: losses and seed."""
    from core.io import load_embeddings
    from core.normalize import normalize
    from core.seeds import adversarial_seed

    src, tgt = load_embeddings("doc_en", max_vocab=5000), load_embeddings("doc_fr", max_vocab=5000)
    epochs = []
    seed = adversarial_seed(src.with_vectors(normalize(src.vectors)), tgt.with_vectors(normalize(tgt.vectors)),
                            n_epochs=2, epoch_size=8000, n_refine=3, refine_n=4000, dis_most_frequent=5000,
                            criterion_n=4000, seed_n=4000, random_state=0,
                            callback=lambda e, info: epochs.append(e))
    return [{"seed": _digest(seed.pairs), "W": _digest(seed.info["W"])}]


SCENARIOS = {"adversarial": scenario_adversarial, "hopeless": scenario_hopeless, "f4": scenario_f4, "unsupervised": scenario_unsupervised}


def configurations() -> list[tuple[str, dict]]:
    """(label, environment changes): 1 and 2 threads, and the Haswell kernel where it can run."""
    configs = [("default kernel, 2 threads", {"OPENBLAS_NUM_THREADS": "2"}),
               ("default kernel, 1 thread", {"OPENBLAS_NUM_THREADS": "1"})]
    machine_sets_it = "OPENBLAS_CORETYPE" in os.environ
    has_avx2 = "avx2" in Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else False
    if has_avx2 and not machine_sets_it:
        configs += [("Haswell kernel, 2 threads", {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "2"}),
                    ("Haswell kernel, 1 thread", {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "1"})]
    return configs


def run_worker(name: str, env_changes: dict, timeout: float = 900) -> dict:
    """Run one scenario in a subprocess with the given environment; its digests, kernel and seconds."""
    env = {**os.environ, **env_changes}
    out = subprocess.run([sys.executable, "-m", "bench.determinism", "--worker", name], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=timeout, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _worker(name: str) -> None:
    from threadpoolctl import threadpool_info

    t0 = time.perf_counter()
    records = SCENARIOS[name]()
    blas = [i for i in threadpool_info() if i.get("internal_api") == "openblas"]
    kernel = blas[0].get("architecture") if blas else "?"
    print(json.dumps({"records": records, "kernel": kernel, "seconds": time.perf_counter() - t0}))


def first_difference(a: list[dict], b: list[dict]) -> str | None:
    """Where two runs first part (the record and its fields), and the first record whose decision (the
    dictionary or the seed) differs; None when they are identical."""
    first = decision = None
    for ra, rb in zip(a, b):
        keys = [k for k in ra if ra[k] != rb.get(k)]
        where = ra.get("iteration", "seed")
        if keys and first is None:
            first = f"record {where}: {', '.join(keys)}"
        if decision is None and any(k in ("dictionary", "seed") for k in keys):
            decision = f"; first other decision: record {where}"
    if first is None:
        return None if len(a) == len(b) else f"length {len(a)} vs {len(b)}"
    return first + (decision or "; same decisions")


def cost() -> None:
    """Time the steps that issue 21 moved to float64 or onto the grid, against their float32 versions."""
    from core.mapping import _apply, procrustes
    from core.normalize import grid_unit_rows, unit_length

    rng = np.random.default_rng(0)

    def best(f, reps=5):
        ts = []
        for _ in range(reps):
            t = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t)
        return min(ts)

    X = rng.standard_normal((20000, 300)).astype(np.float32)
    Q = np.linalg.qr(rng.standard_normal((300, 300)))[0]
    Xd, Zd = X[:40000 // 2], X[:20000] @ Q.astype(np.float32)
    rows = [
        ("mapped unit rows, 20k x 300 (float64 + grid vs float32)",
         best(lambda: _apply(X, Q, True)), best(lambda: unit_length(X @ Q.astype(np.float32)))),
        ("Procrustes product X^T Z, 20k pairs (float64 vs float32)",
         best(lambda: procrustes(Xd, Zd)), best(lambda: np.linalg.svd((Xd.T @ Zd).astype(np.float64)))),
        ("grid rounding of unit rows, 20k x 300 (vs float32 unit length)",
         best(lambda: grid_unit_rows(X)), best(lambda: unit_length(X))),
    ]
    S = rng.standard_normal((20000, 300)).astype(np.float32)
    sim = best(lambda: S[:10000] @ S[:10000].T, reps=3)
    print(f"{'step':64s} {'ours s':>8s} {'float32 s':>9s} {'ratio':>6s}")
    for label, ours, f32 in rows:
        print(f"{label:64s} {ours:8.3f} {f32:9.3f} {ours / f32:6.2f}")
    print(f"for scale: one 10k x 10k x 300 float32 similarity block {sim:.3f} s "
          f"(a self-learning step does 2 x (cutoff/10k)^2 of them)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", choices=sorted(SCENARIOS))
    ap.add_argument("--cost", action="store_true")
    ap.add_argument("--only", nargs="*", choices=sorted(SCENARIOS))
    args = ap.parse_args(argv)
    if args.worker:
        _worker(args.worker)
        return 0
    if args.cost:
        cost()
        return 0
    same = True
    for name in args.only or SCENARIOS:
        runs = [(label, run_worker(name, env)) for label, env in configurations()]
        ref_label, ref = runs[0]
        print(f"{name}: {len(ref['records'])} records")
        for label, r in runs:
            diff = first_difference(ref["records"], r["records"])
            same &= diff is None
            last = r["records"][-1]
            print(f"  {label:28s} kernel {r['kernel']:9s} {r['seconds']:6.1f} s  "
                  f"{'identical' if diff is None else 'DIFFERS at ' + diff}"
                  + (f"  last P@1 {100 * last['p1_csls']:.2f}" if "p1_csls" in last else ""))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
