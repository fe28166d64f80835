"""The ``clwe`` command line: convert, align, evaluate, app.

Every subcommand turns a user-fixable problem into one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from . import __version__
from .errors import CLWEError, ConfigError
from .io import (BUNDLED_PAIRS, BUNDLED_SPACES, load_bundled_dictionary, load_dictionary, load_embeddings,
                 save_word2vec)

SPACE_HELP = f"a bundled short name ({', '.join(BUNDLED_SPACES)}) or an embedding file"


def progress(message: str) -> None:
    """Progress goes to stderr so stdout stays machine-readable."""
    print(f"[clwe {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cmd_convert(args) -> int:
    emb = load_embeddings(args.space, max_vocab=args.max_vocab)
    if args.pca_dim:
        from .normalize import pca_reduce
        emb = emb.with_vectors(pca_reduce(emb.vectors, args.pca_dim))
        progress(f"reduced {emb.name} to its {args.pca_dim} leading principal axes")
    save_word2vec(emb, args.out)
    progress(f"wrote {len(emb)} words × {emb.dim} dims of {emb.name} to {args.out}")
    return 0


INITS = ("dictionary", "random", "identical", "numerals", "unsupervised", "adversarial", "gromov-wasserstein")
# VecMap's presets: a full training dictionary is --supervised-like; every weak or unsupervised seed
# gets the robust stochastic self-learning of --semi_supervised / --identical / --unsupervised.
# Each init's AlignConfig preset: a seed dictionary, a weak seed, or no supervision (VecMap's mode).
INIT_PRESETS = {"dictionary": "supervised", "random": "weak", "identical": "weak", "numerals": "weak",
                "unsupervised": "unsupervised", "adversarial": "unsupervised", "gromov-wasserstein": "unsupervised"}


def _bundled_pair(args) -> str | None:
    pair = f"{args.src}-{args.tgt}"
    return pair if pair in BUNDLED_PAIRS else None


def _dictionaries(args):
    """The training and evaluation dictionaries; a bundled pair defaults to its FreeDict splits."""
    pair = _bundled_pair(args)
    train = test = None
    if args.dictionary:
        train = load_dictionary(args.dictionary)
    elif args.init in ("dictionary", "random"):
        if pair is None:
            raise ConfigError(f"--init {args.init} needs --dictionary FILE (source-target pairs)")
        train = load_bundled_dictionary(pair, "train")
        progress(f"training dictionary: bundled {pair} train split ({len(train)} pairs)")
    if args.eval_dictionary:
        test = load_dictionary(args.eval_dictionary)
    elif pair is not None and not args.no_eval:
        test = load_bundled_dictionary(pair, "test")
        progress(f"evaluation dictionary: bundled {pair} test split ({len(test)} pairs)")
    return train, test


def _file_record(source: str) -> dict:
    path = Path(source)
    if source in BUNDLED_SPACES or not path.is_file():
        return {"bundled": source}
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"path": str(path.resolve()), "sha256": digest.hexdigest(), "bytes": path.stat().st_size}


def _history_line(rec) -> dict:
    line = {"iteration": rec.iteration, "objective": None if np.isnan(rec.objective) else rec.objective,
            "dictionary_size": rec.dictionary_size, "keep_prob": rec.keep_prob,
            "seconds": {k: round(v, 4) for k, v in rec.seconds.items()}, "converged": rec.converged,
            "collapse": rec.collapse}
    for name in ("mutual_ratio", "churn", "shared_agreement"):
        value = getattr(rec, name)
        line[name] = None if np.isnan(value) else round(float(value), 6)
    if rec.bli:
        line["bli"] = {name: result.as_dict() for name, result in rec.bli.items()}
    return line


def cmd_align(args) -> int:
    from .induction import induce_dictionary
    from .normalize import normalize
    from .seeds import build_seed
    from .selflearning import AlignConfig, SelfLearning

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    src = load_embeddings(args.src, max_vocab=args.max_vocab)
    tgt = load_embeddings(args.tgt, max_vocab=args.max_vocab)
    progress(f"loaded {src.name}: {len(src)} × {src.dim}, {tgt.name}: {len(tgt)} × {tgt.dim}")
    train, test = _dictionaries(args)
    overrides = {"random_state": args.random_seed}
    if args.retrieval:
        overrides["retrieval"] = args.retrieval
    if args.max_iter is not None:
        overrides["max_iter"] = args.max_iter
    if args.collapse_patience is not None:
        overrides["collapse_patience"] = args.collapse_patience
    if args.cutoff is not None:
        overrides["cutoff"] = args.cutoff  # asked for explicitly: an impossible cutoff is an error
    config = AlignConfig.preset(INIT_PRESETS[args.init], **overrides)
    largest = max(len(src), len(tgt))
    if args.cutoff is None and config.cutoff > largest:
        progress(f"frequency cutoff {config.cutoff} of the preset capped to the vocabulary ({largest})")
        config = replace(config, cutoff=largest)

    seed_kw = {"random_state": args.random_seed} if args.init in ("random", "adversarial", "gromov-wasserstein") else {}
    if train is not None and args.init in ("dictionary", "random"):
        seed_kw["pairs"] = train
    if args.init == "random":
        seed_kw["n"] = args.seed_size
    started = time.perf_counter()
    seed_record_extra = {}
    if args.init == "unsupervised" and src.dim != tgt.dim:
        # Different dimensions: seed and search between equal dimensions (the larger space on its principal
        # axes), then self-learning on the full spaces from the dictionary the search found.
        from .selflearning import common_dimension_search
        progress(f"unsupervised seed and search with the {'source' if src.dim > tgt.dim else 'target'} space "
                 f"on its {min(src.dim, tgt.dim)} principal axes, then self-learning on the full spaces")
        pairs, searched = common_dimension_search(
            src, tgt, config,
            callback=lambda rec: progress(f"search iteration {rec.iteration}: objective {rec.objective:.4f}, "
                                          f"keep {rec.keep_prob:.2f}, shared strings {100 * rec.shared_agreement:.1f}%"))
        if searched.collapse:
            progress(f"search: {searched.collapse}")
        seed_record_extra = {"search_iterations": searched.iteration, "search_dimension": min(src.dim, tgt.dim)}
        config = replace(config, stochastic_initial=1.0)  # the search found the alignment: finish deterministically
        seed_pairs = pairs
    else:
        seed = build_seed(args.init, src.with_vectors(normalize(src.vectors, config.normalize)),
                          tgt.with_vectors(normalize(tgt.vectors, config.normalize)), **seed_kw)
        seed_pairs = seed.pairs
    seed_seconds = time.perf_counter() - started
    progress(f"seed ({args.init}): {len(seed_pairs)} pairs in {seed_seconds:.1f} s")

    run = SelfLearning(src, tgt, seed_pairs, config, gold_test=test)
    with open(out / "history.jsonl", "w", encoding="utf-8") as history:
        def report(rec):
            history.write(json.dumps(_history_line(rec)) + "\n")
            history.flush()
            bli = f", P@1 csls {rec.bli['csls'].p_at_1:.3f} nn {rec.bli['nn'].p_at_1:.3f}" if rec.bli else ""
            objective = "–" if np.isnan(rec.objective) else f"{rec.objective:.4f}"
            shared = "" if np.isnan(rec.shared_agreement) else f", shared strings {100 * rec.shared_agreement:.1f}%"
            progress(f"iteration {rec.iteration}: objective {objective}, {rec.dictionary_size} pairs, "
                     f"keep {rec.keep_prob:.2f}{shared}{bli}")

        report(run.current)
        last = run.run_until_converged(callback=report)
        if last.collapse:
            progress(f"WARNING: {last.collapse}")
    mapping = run.finalize()
    align_seconds = time.perf_counter() - started
    src_mapped, tgt_mapped = run.mapped(final=True)
    save_word2vec(src_mapped, out / "src.vec")
    save_word2vec(tgt_mapped, out / "tgt.vec")
    # The dictionary the final mapping induces, deterministically (the last stochastic iteration's
    # dictionary is noisy on purpose when the run stopped before the keep probability reached 1).
    induced = induce_dictionary(src_mapped.vectors, tgt_mapped.vectors, retrieval=config.retrieval,
                                k=config.csls_k, direction=config.direction, cutoff=config.cutoff,
                                mutual=config.mutual)
    with open(out / "dictionary.tsv", "w", encoding="utf-8") as f:
        f.write("source\ttarget\tscore\n")
        for i, j, score in zip(induced.src, induced.tgt, induced.scores):
            f.write(f"{src.words[i]}\t{tgt.words[j]}\t{score:.6f}\n")
    final = {}
    if test is not None:
        final = {r: run.evaluate(test, mapping, retrieval=r).as_dict() for r in ("nn", "csls")}
        progress(f"final ({mapping.method}) P@1: csls {final['csls']['p_at_1']:.3f}, nn {final['nn']['p_at_1']:.3f}")
    dictionary_source = args.dictionary or (f"bundled {_bundled_pair(args)} train" if train is not None else None)
    # The seed's parameters, without the training pairs themselves (config.json names their source).
    seed_record = {"pairs": int(len(seed_pairs)), "seconds": round(seed_seconds, 3),
                   **{k: v for k, v in seed_kw.items() if k != "pairs"}, **seed_record_extra}
    if "pairs" in seed_kw:
        seed_record["pairs_from"] = dictionary_source
    config_record = {
        "command": "clwe align", "version": __version__, "numpy": np.__version__,
        "src": _file_record(args.src), "tgt": _file_record(args.tgt), "max_vocab": args.max_vocab,
        "init": args.init, "seed": seed_record,
        "dictionary": dictionary_source,
        "eval_dictionary": args.eval_dictionary or (f"bundled {_bundled_pair(args)} test" if test is not None else None),
        "random_seed": args.random_seed, "config": config.to_dict(), "iterations": last.iteration,
        "collapse": last.collapse, "seconds": round(align_seconds, 3), "final_bli": final,
    }
    (out / "config.json").write_text(json.dumps(config_record, indent=2, default=str) + "\n", encoding="utf-8")
    progress(f"wrote {out}/src.vec, tgt.vec, dictionary.tsv, history.jsonl, config.json in {align_seconds:.1f} s")
    return 0


def cmd_evaluate(args) -> int:
    from .evaluate import evaluate_bli

    src = load_embeddings(args.src, max_vocab=args.max_vocab)
    tgt = load_embeddings(args.tgt, max_vocab=args.max_vocab)
    result = evaluate_bli(src, tgt, load_dictionary(args.dictionary), retrieval=args.retrieval)
    print(json.dumps({"n": result.n, "coverage": round(result.coverage, 6), "p@1": round(result.p_at_1, 6),
                      "p@5": round(result.p_at_5, 6), "p@10": round(result.p_at_10, 6),
                      "mrr": round(result.mrr, 6), "retrieval": args.retrieval}))
    return 0


def cmd_app(args) -> int:
    import subprocess

    root = Path(__file__).resolve().parent.parent
    # Streamlit reads .streamlit/config.toml (theme, upload limit) from the working directory.
    return subprocess.call([sys.executable, "-m", "streamlit", "run", str(root / "app" / "streamlit_app.py"),
                            *args.streamlit_args], cwd=root)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clwe", description="Cross-lingual word embeddings, step by step.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("convert", help="write any loadable space as word2vec text")
    p.add_argument("space", help=SPACE_HELP)
    p.add_argument("out", help="output path (.vec, or .vec.gz for gzip)")
    p.add_argument("--max-vocab", type=int, default=None, help="keep only the N most frequent words")
    p.add_argument("--pca-dim", type=int, default=None,
                   help="project on the N leading principal axes (deterministic PCA of the space itself), "
                        "e.g. 50 to give French the dimension of the bundled English for VecMap")
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("align", help="learn a cross-lingual mapping with self-learning and write the mapped spaces")
    p.add_argument("--src", required=True, help="source space: " + SPACE_HELP)
    p.add_argument("--tgt", required=True, help="target space: " + SPACE_HELP)
    p.add_argument("--init", required=True, choices=INITS, help="seed dictionary strategy")
    p.add_argument("--dictionary", help="training pairs for --init dictionary/random (bundled pairs default "
                   "to their train split)")
    p.add_argument("--eval-dictionary", help="gold pairs for BLI at every iteration (bundled pairs default "
                   "to their test split)")
    p.add_argument("--no-eval", action="store_true", help="do not evaluate against a bundled test split")
    p.add_argument("--retrieval", choices=("csls", "nn"), help="dictionary induction retrieval (preset: csls)")
    p.add_argument("--max-vocab", type=int, default=None, help="read only the N most frequent words of each space")
    p.add_argument("--cutoff", type=int, default=None,
                   help="only the N most frequent words take part in dictionary induction (preset: 20000)")
    p.add_argument("--max-iter", type=int, default=None, help="stop self-learning after N iterations")
    p.add_argument("--collapse-patience", type=int, default=None,
                   help="stop a run whose identically spelled words have found no twin for N iterations "
                        "(preset: 10; 0 never stops early)")
    p.add_argument("--seed-size", type=int, default=25, help="pairs drawn by --init random (default 25)")
    p.add_argument("--random-seed", type=int, default=0, help="seed of every stochastic step")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=cmd_align)

    p = sub.add_parser("evaluate", help="bilingual lexicon induction between two mapped spaces (one JSON line)")
    p.add_argument("--src", required=True, help="mapped source space (" + SPACE_HELP + ")")
    p.add_argument("--tgt", required=True, help="mapped target space, same dimension")
    p.add_argument("--dictionary", required=True, help="gold pairs: 'src tgt' per line, TSV or dictd .index")
    p.add_argument("--retrieval", choices=("csls", "nn", "isf"), default="csls")
    p.add_argument("--max-vocab", type=int, default=None, help="retrieve among the N most frequent words")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("app", help="start the Streamlit lab (extra arguments go to streamlit run)")
    p.add_argument("streamlit_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_app)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CLWEError as e:
        print(f"clwe {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"clwe {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
