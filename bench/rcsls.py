"""RCSLS (Joulin et al. 2018) against Procrustes and multi-step on the bundled pairs, from the training
dictionary: CSLS P@1 on a dev split carved from the training dictionary (for choosing lr / epochs /
neighbourhood). The test splits are read by ``bench.results`` only (its ``rcsls`` table).

    python -m bench.rcsls [--pairs en-fr fi-fr] [--lr 1.0] [--epochs 20] [--n-neighbours 20000]
"""

from __future__ import annotations

import argparse
import time

from bench.model_selection import spaces
from bench.quality import split_dev
from core.io import load_bundled_dictionary, pairs_to_indices
from core.mapping import fit_mapping
from core.selflearning import AlignConfig, SelfLearning


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("dev",), default="dev")
    ap.add_argument("--pairs", nargs="+", default=["en-fr", "fi-fr"])
    ap.add_argument("--lr", type=float, nargs="+", default=[1.0])
    ap.add_argument("--epochs", type=int, nargs="+", default=[20])
    ap.add_argument("--n-neighbours", type=int, nargs="+", default=[20000])
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--init", default="procrustes", choices=("procrustes", "multistep"))
    ap.add_argument("--free", action="store_true", help="no spectral-ball projection")
    args = ap.parse_args(argv)
    for pair in args.pairs:
        src, tgt, dict_pair = spaces(pair)
        train = load_bundled_dictionary(dict_pair, "train")
        train, gold = split_dev(train)
        seed = pairs_to_indices(train, src, tgt)
        sl = SelfLearning(src, tgt, seed, AlignConfig())
        Xd, Zd = sl.src.vectors[seed[:, 0]], sl.tgt.vectors[seed[:, 1]]

        def p1(m):
            return 100 * sl.evaluate(gold, m, "csls").p_at_1, 100 * sl.evaluate(gold, m, "nn").p_at_1

        for name in ("procrustes", "multistep"):
            t0 = time.perf_counter()
            m = fit_mapping(name, Xd, Zd)
            dt = time.perf_counter() - t0
            c, nn = p1(m)
            print(f"{pair:7} {args.split:4} {name:28} P@1 csls {c:5.1f} nn {nn:5.1f}  {dt:6.1f} s", flush=True)
        for lr in args.lr:
            for ep in args.epochs:
                for nb in args.n_neighbours:
                    t0 = time.perf_counter()
                    m = fit_mapping("rcsls", Xd, Zd, X=sl.src.vectors, Z=sl.tgt.vectors, k=args.k, lr=lr,
                                    epochs=ep, n_neighbours=nb, init=args.init, spectral=not args.free)
                    dt = time.perf_counter() - t0
                    c, nn = p1(m)
                    name = f"rcsls {args.init[:5]}{' free' if args.free else ''} lr {lr:g} ep {ep} N {nb}"
                    print(f"{pair:7} {args.split:4} {name:28} P@1 csls {c:5.1f} nn {nn:5.1f}  {dt:6.1f} s  "
                          f"loss {m.info['loss_init']:.4f} -> {m.info['loss']:.4f} (lr {m.info['lr']:g})",
                          flush=True)


if __name__ == "__main__":
    main()
