"""Engine benchmark: load time, the phases of one self-learning step against the matmul bound, time to
convergence per seed strategy, peak RSS, and a 200k-word run.

The bound is the time of the plain float32 matmuls a two-pass union+CSLS step cannot avoid (two
``cutoff x cutoff`` products in the same row batches, written into a preallocated buffer, no reductions),
measured in the same run right next to the step; the ratio is step / bound. The machine is shared and
noisy: every timing is the minimum of ``--repeat`` runs.

    python -m bench.bench_engine                 # 20k-word bundled pairs
    python -m bench.bench_engine --big 200000    # plus a 200k-word run in a subprocess
    python -m bench.bench_engine --quick         # one pair, no convergence runs
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

from bench.quality import split_dev
from core.cli import INIT_PRESETS
from core.induction import induce_dictionary
from core.io import Embeddings, load_bundled_dictionary, load_embeddings, pairs_to_indices
from core.selflearning import AlignConfig, SelfLearning


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best_of(f, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return min(times), out


def matmul_bound(Xm, Zm, batch_size, passes=2):
    """Time of `passes` plain batched products Xm @ Zm.T into a reused buffer."""
    ZT = np.ascontiguousarray(Zm.T)
    buf = np.empty((batch_size, len(Zm)), np.float32)

    def run():
        for _ in range(passes):
            for i in range(0, len(Xm), batch_size):
                j = min(i + batch_size, len(Xm))
                np.matmul(Xm[i:j], ZT, out=buf[: j - i])
    t0 = time.perf_counter()
    run()
    return time.perf_counter() - t0


def step_phases(sl: SelfLearning, repeat: int):
    """Time one step's phases (keep probability 1, no evaluation) and the bound, interleaved."""
    cfg = sl.config
    rec = sl.current
    Xm, Zm = sl._mapped_cut(rec.mapping)
    rows = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        Xm, Zm = sl._mapped_cut(rec.mapping)
        t1 = time.perf_counter()
        D = induce_dictionary(Xm, Zm, retrieval=cfg.retrieval, k=cfg.csls_k, direction=cfg.direction,
                              cutoff=0, keep_prob=1.0, batch_size=cfg.batch_size)
        t2 = time.perf_counter()
        sl._fit(cfg.mapping, D.src, D.tgt)
        t3 = time.perf_counter()
        bound = matmul_bound(Xm, Zm, cfg.batch_size)
        rows.append({"transform": t1 - t0, "induce": t2 - t1, "map": t3 - t2, "bound": bound})
    best = {k: min(r[k] for r in rows) for k in rows[0]}
    best["step"] = best["transform"] + best["induce"] + best["map"]
    best["ratio"] = best["step"] / best["bound"]
    # stochastic step (keep probability 0.1): the top-64 candidates cost extra
    t0 = time.perf_counter()
    induce_dictionary(Xm, Zm, retrieval=cfg.retrieval, k=cfg.csls_k, direction=cfg.direction, cutoff=0,
                      keep_prob=0.1, random_state=0, batch_size=cfg.batch_size)
    best["induce_stochastic"] = time.perf_counter() - t0
    return best


def convergence(src, tgt, pair, strategies, max_iter, test=None, train=None):
    out = {}
    from core.seeds import build_seed
    # a dev split of the training dictionary (the test splits are read by bench.results only)
    dev_train, dev = split_dev(load_bundled_dictionary(pair, "train"))
    test = test if test is not None else dev
    for strategy in strategies:
        kw = {}
        if strategy == "dictionary":
            kw["pairs"] = train if train is not None else dev_train
        try:
            t0 = time.perf_counter()
            cfg = AlignConfig.preset(INIT_PRESETS[strategy], max_iter=max_iter)
            # seeds expect normalised spaces: build them from the SelfLearning's normalised copies
            probe = SelfLearning(src, tgt, np.array([[0, 0], [1, 1]]), cfg)
            seed = build_seed(strategy, probe.src, probe.tgt, **kw)
            t_seed = time.perf_counter() - t0
            sl = SelfLearning(src, tgt, seed.pairs, cfg)
            rec = sl.run_until_converged()
            final = sl.finalize()
            t_total = time.perf_counter() - t0
            bli = sl.evaluate(test, final, "csls")
            out[strategy] = {"seed_s": round(t_seed, 1), "total_s": round(t_total, 1),
                             "iterations": rec.iteration, "converged": rec.converged,
                             "s_per_iteration": round((t_total - t_seed) / max(rec.iteration, 1), 2),
                             "p_at_1_csls": round(100 * bli.p_at_1, 1), "collapse": rec.collapse is not None}
        except Exception as e:  # report and carry on: one failing seed should not hide the others
            out[strategy] = {"error": f"{type(e).__name__}: {e}"}
        print(f"  {pair} {strategy}: {out[strategy]}", flush=True)
    return out


def jittered(emb: Embeddings, n: int, noise=0.05, seed=0) -> Embeddings:
    """A big space: the rows repeated with jitter, new unique words ``word#i``."""
    rng = np.random.default_rng(seed)
    reps = -(-n // len(emb))
    V = np.tile(emb.vectors, (reps, 1))[:n]
    scale = float(np.sqrt(np.mean(np.square(emb.vectors))))
    V = V + rng.normal(0, noise * scale, V.shape).astype(np.float32)
    V[: len(emb)] = emb.vectors
    words = list(emb.words) + [f"{emb.words[i % len(emb)]}#{i // len(emb)}" for i in range(len(emb), n)]
    return Embeddings(tuple(words[:n]), V, f"{emb.name}x{n}")


def big_run(n: int, pair: str):
    s, t = pair.split("-")
    t0 = time.perf_counter()
    src, tgt = jittered(load_embeddings(s), n, seed=1), jittered(load_embeddings(t), n, seed=2)
    t_make = time.perf_counter() - t0
    seed = pairs_to_indices(load_bundled_dictionary(pair, "train"), src, tgt)
    cfg = AlignConfig(stochastic_initial=1.0, max_iter=4)
    t0 = time.perf_counter()
    sl = SelfLearning(src, tgt, seed, cfg)
    rec = sl.run_until_converged()
    sl.finalize()
    Xm, Zm = sl.mapped()
    t_align = time.perf_counter() - t0
    from core.evaluate import evaluate_bli
    t0 = time.perf_counter()
    bli = evaluate_bli(Xm, Zm, split_dev(load_bundled_dictionary(pair, "train"))[1], retrieval="nn")
    t_eval = time.perf_counter() - t0
    # the jittered copies "w#i" are near-duplicates of "w": count them as "w" (P@1 of the base word)
    base_p1 = float(np.mean([w.predictions[0].split("#")[0] in w.gold for w in bli.per_word]))
    return {"n_words": n, "make_s": round(t_make, 1), "align_s": round(t_align, 1),
            "iterations": rec.iteration, "step_s": [round(sum(r.seconds.values()), 2) for r in sl.history[1:]],
            "eval_nn_s": round(t_eval, 1), "p_at_1_nn_exact": round(100 * bli.p_at_1, 1),
            "p_at_1_nn_base_word": round(100 * base_p1, 1),
            "peak_rss_mb": round(peak_rss_mb())}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", nargs="+", default=["en-fr", "fi-fr"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--strategies", nargs="+", default=["dictionary", "identical", "unsupervised"])
    ap.add_argument("--max-iter", type=int, default=100)
    ap.add_argument("--big", type=int, default=0, help="also run a jittered space of this many words")
    ap.add_argument("--synthetic", type=float, default=0.0,
                    help="also align en with a rotated copy at this noise level (e.g. 0.5): a pair where "
                         "unsupervised seeds can succeed")
    ap.add_argument("--big-only", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.big_only:
        print(json.dumps(big_run(args.big_only, args.pairs[0])))
        return
    pairs = args.pairs[:1] if args.quick else args.pairs
    t0 = time.perf_counter()
    spaces = {lang: load_embeddings(lang) for lang in {x for p in pairs for x in p.split("-")}}
    print(f"load {', '.join(spaces)}: {time.perf_counter() - t0:.2f} s "
          f"({', '.join(f'{k} {len(v)}x{v.dim}' for k, v in spaces.items())})")
    for pair in pairs:
        s, t = pair.split("-")
        src, tgt = spaces[s], spaces[t]
        seed = pairs_to_indices(load_bundled_dictionary(pair, "train"), src, tgt)
        sl = SelfLearning(src, tgt, seed, AlignConfig())
        ph = step_phases(sl, args.repeat)
        print(f"{pair}: step (union, CSLS-10, cutoff 20000, shared dim {sl.current.mapping.dim}): "
              + ", ".join(f"{k} {v:.3f}" + ("" if k == "ratio" else " s") for k, v in ph.items()),
              flush=True)
        if not args.quick:
            convergence(src, tgt, pair, args.strategies, args.max_iter)
    if args.synthetic:
        from core.synthetic import synthetic_pair
        src, tgt, gold = synthetic_pair(spaces.get("en") or load_embeddings("en"), noise=args.synthetic,
                                        drop=0.1, random_state=1)
        rng = np.random.default_rng(0)
        order = rng.permutation(len(gold))
        test = [gold[i] for i in order[:1500]]
        train = [gold[i] for i in order[1500:6500]]
        print(f"synthetic en / rotated copy, noise {args.synthetic}: {len(src)} x {len(tgt)} words", flush=True)
        convergence(src, tgt, "en-en*", args.strategies, args.max_iter, test=test, train=train)
    print(f"peak RSS (20k-word runs): {peak_rss_mb():.0f} MB")
    if args.big:
        out = subprocess.run([sys.executable, "-m", "bench.bench_engine", "--big-only", str(args.big),
                              "--pairs", pairs[0]], capture_output=True, text=True)
        print(f"{args.big}-word run:", out.stdout.strip() or out.stderr.strip()[-2000:])


if __name__ == "__main__":
    main()
