"""The ``clwe`` command line: convert, align, evaluate, app.

Every subcommand turns a user-fixable problem into one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np

from . import __version__
from .errors import CLWEError, ConfigError, OutputError
from .evaluate import ANALOGY_METHODS, DEFAULT_ANALOGY_CUTOFF, evaluate_bli, word_analogy, word_similarity
from .io import (BUNDLED_PAIRS, BUNDLED_SPACES, FAMILIES, PAIR_REGISTRY, SAMPLE_DATA, check_alignable,
                 dictionary_coverage, load_analogies, load_bundled_dictionary,
                 load_dictionary, load_embeddings, load_similarity, save_word2vec,
                 save_word2vec_all)

SPACE_HELP = f"a bundled short name ({', '.join(BUNDLED_SPACES)}) or an embedding file"


def progress(message: str) -> None:
    """Progress goes to stderr so stdout stays machine-readable."""
    print(f"[clwe {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# Output: a file or a run folder appears complete or not at all


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_file(out: Path):
    """Yield a temporary sibling path to write; rename it to ``out`` only when the block succeeds.

    A full disk, a file-size limit or an interrupt leaves no truncated ``out`` (and an earlier ``out``
    untouched); OSErrors become an OutputError naming ``out``.
    """
    out = Path(out)
    if out.is_dir():
        raise ConfigError(f"{out} is a folder; give a file name such as {out / 'space.vec'}")
    tmp = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.incomplete-", suffix="".join(out.suffixes[-1:]),
                                    dir=out.parent)
        os.close(fd)
        tmp = Path(name)
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, out)
        tmp = None
    except OSError as e:
        raise OutputError(out, e) from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def _check_out_folder(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is an existing file; give the name of a folder for the run")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise ConfigError(f"--out {out} is not empty (an earlier run?); choose a new folder or pass "
                              "--overwrite to replace it")
        if Path.cwd().resolve().is_relative_to(out.resolve()):
            raise ConfigError(f"--out {out} holds the current folder; refusing to replace it")


@contextmanager
def atomic_folder(out: Path, overwrite: bool = False):
    """Build a run folder under a temporary sibling name and rename it to ``out`` at the end.

    The folder named ``out`` is therefore always a complete run (the new one, or the earlier one when the
    new run fails or is interrupted); a killed run leaves only a hidden ``.NAME.incomplete-*`` folder.
    A non-empty ``out`` is refused unless ``overwrite``.
    """
    out = Path(out)
    _check_out_folder(out, overwrite)
    tmp = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.resolve().name}.incomplete-", dir=out.parent))
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        _replace_folder(tmp, out)
        tmp = None
    except OSError as e:
        raise OutputError(out, e) from None
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _replace_folder(new: Path, out: Path) -> None:
    if not out.exists():
        os.rename(new, out)
        return
    old = out.with_name(f".{out.resolve().name}.replaced-{os.getpid()}")
    os.rename(out, old)  # two renames: POSIX cannot swap a non-empty folder in one
    os.rename(new, out)
    shutil.rmtree(old, ignore_errors=True)


def cmd_convert(args) -> int:
    out = Path(args.out)
    if out.is_dir():
        raise ConfigError(f"{out} is a folder; give a file name such as {out / 'space.vec'}")
    emb = load_embeddings(args.space, max_vocab=args.max_vocab)
    if args.pca_dim:
        from .normalize import pca_reduce
        emb = emb.with_vectors(pca_reduce(emb.vectors, args.pca_dim))
        progress(f"reduced {emb.name} to its {args.pca_dim} leading principal axes")
    missing = out.parent if not out.parent.exists() else None   # say so when we create it
    with atomic_file(out) as tmp:
        save_word2vec(emb, tmp)
    progress(f"wrote {len(emb)} words × {emb.dim} dims of {emb.name} to {args.out}"
             + (f" (created the folder {missing})" if missing is not None else ""))
    return 0


DEFAULT_RANDOM_SEED_SIZE = 25
INITS = ("dictionary", "random", "identical", "numerals", "unsupervised", "adversarial", "gromov-wasserstein")
# VecMap's presets: a full training dictionary is --supervised-like; every weak or unsupervised seed
# gets the robust stochastic self-learning of --semi_supervised / --identical / --unsupervised.
# Each init's AlignConfig preset: a seed dictionary, a weak seed, or no supervision (VecMap's mode).
INIT_PRESETS = {"dictionary": "supervised", "random": "weak", "identical": "weak", "numerals": "weak",
                "unsupervised": "unsupervised", "adversarial": "unsupervised", "gromov-wasserstein": "unsupervised"}
# Where the contrastive refinement (core.refinement, Li et al. 2022, C1) runs by default: the inits whose dev
# splits it won (bench/tuning.md#refinement); --refine / --no-refine override.
# Dev CSLS P@1 (bench/tune_refinement.py, seed 0; self-learning and selection -> refined): whole training split
# en-fr 45.0 -> 47.4, en-fr50 37.9 -> 40.2, fi-fr 55.0 -> 62.0; first 1,000 pairs 43.0 -> 46.2, 33.5 -> 37.9,
# 54.3 -> 60.5; first 500 pairs 40.9 -> 44.6, 32.9 -> 35.9, 53.6 -> 61.7; doc_en-doc_fr 33.3 -> 34.5 (all),
# 32.1 -> 33.5 (1,000). The other doc pairs were not run.
# Languages sharing too few spellings to hold out are skipped by default (MUSE's criterion keeps the start).
REFINE_DEFAULT = ("dictionary",)
# ... and only for spaces of at most this many words, the size of every bundled space its dev splits come from.
# Nothing validated it beyond, and at researcher scale its rounds (a fixed cost, bench/scale.json's
# supervised_refine rows) would double a 200k supervised run past issue 19's 20 s; --refine runs it at any size.
REFINE_DEFAULT_MAX_WORDS = 20_000
# Seeds that are a real dictionary: their pairs stay positives in every refinement round.
TRUSTED_SEEDS = ("dictionary", "random")


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
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    return {"path": str(path.resolve()), "sha256": digest, "bytes": path.stat().st_size}


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


def _check_coverage(pairs, source: str, src, tgt, need: int, seed_size: int | None = None) -> None:
    """Refuse a dictionary with fewer than ``need`` pairs in both vocabularies, naming the dictionary."""
    if pairs is None:
        return
    cov = dictionary_coverage(pairs, src, tgt)
    if seed_size is not None and 2 <= cov.n_in_vocab < seed_size:
        raise ConfigError(f"--seed-size {seed_size} asks for more pairs than the {cov.n_in_vocab} of {source} that "
                          f"have both words in the vocabularies; choose --seed-size {cov.n_in_vocab} or fewer")
    if cov.n_in_vocab < need:
        example = ", ".join(f"{s} → {t}" for s, t in pairs[:3])
        raise ConfigError(f"{source}: {cov.n_in_vocab} of its {cov.n_pairs} pairs have both words in the "
                          f"vocabularies of {src.name} and {tgt.name} ({need} needed; e.g. {example}). Check the "
                          "language direction (source first), the case of the words and --max-vocab")


SEED_ALTERNATIVES = {
    "identical": "the spaces may use different scripts or spellings: use --init unsupervised, or --init "
                 "dictionary with --dictionary FILE",
    "numerals": "use --init identical, --init unsupervised, or --init dictionary with --dictionary FILE",
    "dictionary": "use a dictionary with more pairs in both vocabularies, or --init unsupervised",
    "random": "use a dictionary with more pairs in both vocabularies, or --init unsupervised",
}


def _check_seed(seed_pairs, args, src, tgt) -> None:
    from .mapping import MIN_PAIRS

    n = len(np.unique(np.asarray(seed_pairs).reshape(-1, 2), axis=0))
    if n < MIN_PAIRS:
        instead = SEED_ALTERNATIVES.get(args.init, "use --init dictionary with --dictionary FILE")
        raise ConfigError(f"the {args.init} seed found only {n} pair(s) between {src.name} and {tgt.name}; "
                          f"self-learning needs at least {MIN_PAIRS}: {instead}")


def cmd_align(args) -> int:
    with atomic_folder(Path(args.out), args.overwrite) as folder:
        started = _align_into(args, folder)
    progress(f"wrote {args.out}/src.vec, tgt.vec, dictionary.tsv, history.jsonl, config.json, run.zip in "
             f"{time.perf_counter() - started:.1f} s")
    return 0


def _align_into(args, out: Path) -> float:
    """Run ``clwe align`` writing into the folder ``out``; returns the start time of the alignment."""
    from .induction import induce_dictionary
    from .normalize import normalize
    from .seeds import build_seed
    from .selflearning import AlignConfig, SelfLearning

    src = load_embeddings(args.src, max_vocab=args.max_vocab)
    tgt = load_embeddings(args.tgt, max_vocab=args.max_vocab)
    progress(f"loaded {src.name}: {len(src)} × {src.dim}, {tgt.name}: {len(tgt)} × {tgt.dim}")
    check_alignable(src)
    check_alignable(tgt)
    train, test = _dictionaries(args)
    if args.init in ("dictionary", "random"):
        _check_coverage(train, args.dictionary or f"the bundled {_bundled_pair(args)} train split", src, tgt,
                        need=2, seed_size=(args.seed_size or DEFAULT_RANDOM_SEED_SIZE) if args.init == "random"
                        else args.seed_size)
    _check_coverage(test, args.eval_dictionary or f"the bundled {_bundled_pair(args)} test split", src, tgt, need=1)
    overrides = {"random_state": args.random_seed}
    if args.retrieval:
        overrides["retrieval"] = args.retrieval
    if args.max_iter is not None:
        overrides["max_iter"] = args.max_iter
    if args.collapse_patience is not None:
        overrides["collapse_patience"] = args.collapse_patience
    if args.cutoff == 0:   # VecMap's convention: 0 = no cutoff, every word takes part
        overrides["cutoff"] = max(len(src), len(tgt))
        progress(f"--cutoff 0: all words take part in dictionary induction ({len(src)} and {len(tgt)})")
    elif args.cutoff is not None:
        overrides["cutoff"] = args.cutoff  # asked for explicitly: an impossible cutoff is an error
    if args.mapping:
        overrides["final_mapping"] = args.mapping
    if args.no_self_learning and "max_iter" not in overrides:
        # VecMap's supervised mode: the final mapping fitted on the seed dictionary alone
        overrides["max_iter"] = 0
    config = AlignConfig.preset(INIT_PRESETS[args.init], **overrides)
    largest = max(len(src), len(tgt))
    if args.cutoff is None and config.cutoff > largest:
        progress(f"frequency cutoff {config.cutoff} of the preset capped to the vocabulary ({largest})")
        config = replace(config, cutoff=largest)

    seed_kw = {"random_state": args.random_seed} if args.init in ("random", "adversarial", "gromov-wasserstein") else {}
    if train is not None and args.init in ("dictionary", "random"):
        seed_kw["pairs"] = train
    if args.init == "random":
        seed_kw["n"] = args.seed_size or DEFAULT_RANDOM_SEED_SIZE
    started = time.perf_counter()
    seed_record_extra = {}
    if args.init == "unsupervised":
        # Different dimensions: seed and search between equal dimensions (the larger space on its principal
        # axes), then self-learning on the full spaces from the dictionary the search found.
        from .selflearning import unsupervised_start
        if src.dim != tgt.dim:
            progress(f"unsupervised seed and search with the {'source' if src.dim > tgt.dim else 'target'} space "
                     f"on its {min(src.dim, tgt.dim)} principal axes, then self-learning on the full spaces")
        seed, config = unsupervised_start(
            src, tgt, config,
            callback=lambda rec: progress(f"search iteration {rec.iteration}: objective {rec.objective:.4f}, "
                                          f"keep {rec.keep_prob:.2f}, shared strings {100 * rec.shared_agreement:.1f}%"))
        if "search_iterations" in seed.info:
            if seed.info["search_collapse"]:
                progress(f"search: {seed.info['search_collapse']}")
            seed_record_extra = {"search_iterations": seed.info["search_iterations"],
                                 "search_dimension": seed.info["search_dimension"]}
    else:
        seed = build_seed(args.init, src.with_vectors(normalize(src.vectors, config.normalize)),
                          tgt.with_vectors(normalize(tgt.vectors, config.normalize)), **seed_kw)
    if args.init == "dictionary" and args.seed_size:
        # semi-supervised: the first N pairs of the dictionary (in file order) that are in both vocabularies
        seed = replace(seed, pairs=seed.pairs[:args.seed_size], info={**seed.info, "seed_size": args.seed_size})
    seed_seconds = time.perf_counter() - started
    progress(f"seed ({args.init}): {len(seed.pairs)} pairs in {seed_seconds:.1f} s")
    _check_seed(seed.pairs, args, src, tgt)

    run = SelfLearning(src, tgt, seed.pairs, config, gold_test=test)
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
    selection = _select(run, args)
    refinement = _refine(run, args)
    mapping = run.final
    align_seconds = time.perf_counter() - started
    src_mapped, tgt_mapped = run.mapped(final=True)
    t_write = time.perf_counter()
    save_word2vec_all([(src_mapped, out / "src.vec"), (tgt_mapped, out / "tgt.vec")])   # side by side at 200k
    progress(f"mapped spaces: src.vec and tgt.vec ({len(src_mapped):,} + {len(tgt_mapped):,} words) written in "
             f"{time.perf_counter() - t_write:.1f} s")
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
        if max(len(src_mapped), len(tgt_mapped)) > config.log_vocab:
            progress(f"final evaluation: exact CSLS over {len(src_mapped):,} x {len(tgt_mapped):,} words (its "
                     "penalties are a product of the two whole vocabularies: minutes at this size; the "
                     "per-iteration log searched among the cutoff words)")
        final = {r: evaluate_bli(src_mapped, tgt_mapped, test, retrieval=r, csls_k=config.csls_k,
                                 batch_size=config.batch_size).as_dict() for r in ("nn", "csls")}  # = run.evaluate
        progress(f"final ({mapping.method}) P@1: csls {final['csls']['p_at_1']:.3f}, nn {final['nn']['p_at_1']:.3f}")
    dictionary_source = args.dictionary or (f"bundled {_bundled_pair(args)} train" if train is not None else None)
    # The seed's parameters, without the training pairs themselves (config.json names their source).
    seed_record = {"pairs": int(len(seed.pairs)), "seconds": round(seed_seconds, 3),
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
        "collapse": last.collapse, "selection": selection, "refinement": refinement,
        "seconds": round(align_seconds, 3), "final_bli": final,
    }
    (out / "config.json").write_text(json.dumps(config_record, indent=2, default=str) + "\n", encoding="utf-8")
    from .runfile import from_learner, write_run  # the lab's run-file format: the lab opens this run
    write_run(out / "run.zip", from_learner(run, config_record, final=True, dictionary=induced,
                                            mapped=(src_mapped, tgt_mapped)))
    for word in args.translate:  # a word that cannot be translated is reported, never fails the finished run
        line = {"word": word, "in_vocabulary": word in src.index}
        try:
            line["nn"] = [[w, round(v, 6)] for w, v in run.translate(word, k=10, mapping=mapping,
                                                                      other=tgt_mapped.vectors)]
        except CLWEError as e:
            line["error"] = str(e)
        print(json.dumps(line, ensure_ascii=False))
    return started


def _select(run, args) -> dict:
    """Keep the best mapping of the run by the gold-free criterion (core.selection), or the last one
    (``--no-select``, or a run without self-learning); the choice and why, for config.json."""
    if args.no_select or run.current.iteration == 0:
        mapping = run.finalize()
        why = ("--no-select: the final mapping of the last iteration" if args.no_select else
               "no self-learning iterations: the final mapping of the seed dictionary")
        progress(f"kept iteration {run.current.iteration} ({mapping.method}): {why}")
        return {"iteration": run.current.iteration, "kind": "final", "method": mapping.method, "reason": why}
    started = time.perf_counter()
    selection = run.select(callback=lambda done, total: None)
    progress(f"model selection ({time.perf_counter() - started:.1f} s): {selection.reason}")
    return selection.as_dict()


def _default_refine_skip(run) -> str | None:
    """Why the default refinement does not run on this run (None: it runs)."""
    from .refinement import held_out_words

    if max(len(run.src), len(run.tgt)) > REFINE_DEFAULT_MAX_WORDS:
        return (f"it is on by default only for spaces of up to {REFINE_DEFAULT_MAX_WORDS:,} words, the size of the "
                f"dev splits it was chosen on, and these have {len(run.src):,} and {len(run.tgt):,} (at 300 "
                "dimensions its rounds cost as much as the rest of a 200k supervised run); --refine runs it anyway")
    if held_out_words(run) is None:
        # Without held-out identical strings only MUSE's mean CSLS cosine could judge it, and a contrastive
        # refinement lowers that by construction (it pushes negatives apart): the start would be kept anyway.
        return ("the languages share too few identically spelled words to hold out and judge it (MUSE's mean CSLS "
                "cosine, the fallback, falls under any contrastive refinement: bench/tuning.md#refinement); "
                "--refine runs it anyway")
    return None


def _refine_skipped(why: str) -> dict:
    progress(f"contrastive refinement skipped: {why}")
    return {"skipped": why}


def _refine(run, args) -> dict | None:
    """The contrastive refinement of the kept mapping (``--refine``; by default for the inits of
    ``REFINE_DEFAULT``), kept only where the held-out identical strings score it above its start; what was done
    and why, for config.json (None: not run)."""
    default = args.init in REFINE_DEFAULT and not args.no_self_learning   # VecMap's supervised mode stays plain
    if not (args.refine if args.refine is not None else default):
        return None
    from .refinement import RefinementConfig

    why = _default_refine_skip(run) if args.refine is None else None
    if why is not None:
        return _refine_skipped(why)

    started = time.perf_counter()

    def report(rec):
        loss = f", InfoNCE loss {rec.losses[0]:.3f} -> {rec.losses[-1]:.3f}" if rec.losses else ""
        what = "start mapping" if rec.round == 0 else f"refinement round {rec.round}: {rec.n_pairs} pairs"
        progress(f"{what}{loss}, held-out score {rec.score:.4f}")

    try:
        result = run.refine(RefinementConfig(random_state=args.random_seed), trusted_seed=args.init in TRUSTED_SEEDS,
                            callback=report)
    except CLWEError as e:
        if args.refine:   # asked for explicitly: say why it cannot run
            raise
        return _refine_skipped(str(e))   # the default: keep the selected mapping
    skip = "; --no-refine skips the refinement" if args.refine is None and len(result.rounds) > 1 else ""
    progress(f"contrastive refinement ({time.perf_counter() - started:.1f} s): {result.reason}{skip}")
    return result.as_dict()


SIMILARITY_SIDES = ("src", "tgt", "cross")


def cmd_evaluate(args) -> int:
    """BLI (``--dictionary``), word similarity (``--similarity``) and analogies (``--analogy``), one JSON line."""
    if not (args.dictionary or args.similarity or args.analogy):
        raise ConfigError("nothing to evaluate: give --dictionary FILE (bilingual lexicon induction), --similarity "
                          "FILE (word similarity) and/or --analogy FILE (word analogies)")
    tgt_similarity = args.similarity and args.similarity_side != "src"
    if not args.tgt and args.dictionary:
        raise ConfigError("--dictionary (bilingual lexicon induction) needs the mapped target space: give --tgt SPACE")
    if not args.tgt and tgt_similarity:
        raise ConfigError(f"--similarity-side {args.similarity_side} looks words up in the target space: give "
                          "--tgt SPACE (or --similarity-side src for the source space alone)")
    pairs = load_dictionary(args.dictionary) if args.dictionary else None   # the small files first: quick errors
    items = load_similarity(args.similarity, args.similarity_column) if args.similarity else None
    questions = load_analogies(args.analogy) if args.analogy else None
    src = load_embeddings(args.src, max_vocab=args.max_vocab)
    tgt = load_embeddings(args.tgt, max_vocab=args.max_vocab) if args.dictionary or tgt_similarity else None
    line = _bli_line(args, pairs, src, tgt) if pairs is not None else {}
    if items is not None:
        line["similarity"] = _similarity_object(args, items, src, tgt)
    if questions is not None:
        line["analogy"] = _analogy_object(args, questions, src)
    print(json.dumps(line))
    return 0


def _bli_line(args, pairs, src, tgt) -> dict:
    result = evaluate_bli(src, tgt, pairs, retrieval=args.retrieval)
    if result.n == 0:  # P@1 = 0 over no word would read as a failed mapping
        n_src = len({s for s, _ in pairs})
        raise ConfigError(f"{args.dictionary}: none of its {n_src} source words has a translation in the "
                          f"vocabularies of {src.name} and {tgt.name}, so there is nothing to evaluate. Check "
                          "the language direction (source first), the case of the words and --max-vocab")
    return _rounded({"n": result.n, "coverage": result.coverage, "p@1": result.p_at_1, "p@5": result.p_at_5,
                     "p@10": result.p_at_10, "mrr": result.mrr, "retrieval": args.retrieval})


def _rounded(record: dict) -> dict:
    """The floats of a result (and of a dict inside it) to 6 decimals: the one rounding of the JSON line."""
    return {k: _rounded(v) if isinstance(v, dict) else round(v, 6) if isinstance(v, float) else v
            for k, v in record.items()}


def _similarity_object(args, items, src, tgt) -> dict:
    side = args.similarity_side
    first, second = {"src": (src, None), "tgt": (tgt, None), "cross": (src, tgt)}[side]
    result = word_similarity(first, items, second)
    if result.n == 0:
        names = first.name if second is None else f"{first.name} and {second.name}"
        raise ConfigError(f"{args.similarity}: none of its {result.n_total} word pairs has both words in the "
                          f"vocabulary of {names}, so there is nothing to evaluate. Check the language of the "
                          f"file (--similarity-side {side}), the case of the words and --max-vocab")
    return {"side": side, **_rounded(result.as_dict())}


def _analogy_object(args, questions, src) -> dict:
    result = word_analogy(src, questions, cutoff=args.analogy_cutoff, method=args.analogy_method)
    if result.n == 0:
        raise ConfigError(f"{args.analogy}: none of its {result.n_total} questions has all four words among the "
                          f"{result.cutoff} most frequent words of {src.name}, so there is nothing to evaluate. "
                          "Check the language of the file (it is asked of --src), the case of the words, "
                          "--analogy-cutoff and --max-vocab")
    return _rounded(result.as_dict())


def cmd_replay(args) -> int:
    """Rebuild a lab run from its run file, write it again, and say whether every iteration matches."""
    from .runfile import from_learner, read_run, reproduce, write_run

    kept = read_run(args.run)
    progress(f"replaying {kept.config.get('data', '?')}, seed {kept.config.get('init')}, "
             f"to iteration {kept.config.get('iteration', 0)}")
    run = reproduce(kept.config, callback=lambda rec: progress(f"iteration {rec.iteration}"))
    again = from_learner(run, {k: v for k, v in kept.config.items() if k not in ("config", "iteration")})
    write_run(Path(args.out) / "run.zip", again)
    same = [a.get("bli") == b.get("bli") and a["dictionary_size"] == b["dictionary_size"]
            for a, b in zip(kept.history, again.history)]
    same_dictionary = [(s, t) for s, t, _ in kept.dictionary] == [(s, t) for s, t, _ in again.dictionary]
    print(json.dumps({"iterations": len(again.history) - 1, "iterations_identical": sum(same),
                      "dictionary_identical": same_dictionary,
                      "p_at_1": {r: v["p_at_1"] for r, v in (again.history[-1].get("bli") or {}).items()}}))
    return 0 if all(same) and len(same) == len(kept.history) and same_dictionary else 1


def _space_shape(short: str) -> str:
    """``words × dim`` of a bundled space from its .npy header (no vectors read), or 'missing'."""
    path = SAMPLE_DATA / f"{short}.npy"
    if not path.is_file():
        return "missing"
    shape = np.load(path, mmap_mode="r", allow_pickle=False).shape
    return f"{shape[0]:,} × {shape[1]}"


def cmd_list(args) -> int:
    """The bundled spaces and pairs, grouped by family; ``--json``: one object per pair and line."""
    if args.json:
        for info in PAIR_REGISTRY.values():
            print(json.dumps(info.as_dict(), ensure_ascii=False))
        return 0
    print("Bundled spaces")
    for short, description in BUNDLED_SPACES.items():
        print(f"  {short:<8} {_space_shape(short):>14}  {description}")
    for family, why in FAMILIES.items():
        pairs = [p for p in PAIR_REGISTRY.values() if p.family == family]
        same = "same_algorithm: true" if pairs[0].same_algorithm else "same_algorithm: false"
        print(f"\nFamily \"{family}\" ({same})\n  why it matters: {why}")
        for info in pairs:
            print(f"  {info.pair:<15} {info.description}")
    print("\nTry: clwe align --src doc_en --tgt doc_fr --init unsupervised --out out/   (works)\n"
          "     clwe align --src en --tgt fr --init unsupervised --out out/           (fails: not isomorphic)")
    return 0


def cmd_app(args) -> int:
    import subprocess

    root = Path(__file__).resolve().parent.parent
    # Streamlit reads .streamlit/config.toml (theme, upload limit) from the working directory.
    return subprocess.call([sys.executable, "-m", "streamlit", "run", str(root / "app" / "streamlit_app.py"),
                            *args.streamlit_args], cwd=root)


def _count(minimum: int):
    """An argparse type: a whole number >= ``minimum`` (argparse prints the message and exits with 2)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value
    parse.__name__ = "count"
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clwe", description="Cross-lingual word embeddings, step by step.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("convert", help="write any loadable space as word2vec text")
    p.add_argument("space", help=SPACE_HELP)
    p.add_argument("out", help="output path (.vec, or .vec.gz for gzip)")
    p.add_argument("--max-vocab", type=_count(1), default=None, help="keep only the N most frequent words")
    p.add_argument("--pca-dim", type=_count(1), default=None,
                   help="project on the N leading principal axes (deterministic PCA of the space itself), "
                        "e.g. 50 to give French the dimension of the bundled English for VecMap")
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("list", help="the bundled spaces and pairs, and the family each pair belongs to")
    p.add_argument("--json", action="store_true", help="one JSON object per bundled pair and line")
    p.set_defaults(func=cmd_list)

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
    p.add_argument("--max-vocab", type=_count(1), default=None, help="read only the N most frequent words of each space")
    p.add_argument("--cutoff", type=_count(0), default=None,
                   help="only the N most frequent words take part in dictionary induction (preset: 20000; "
                        "0 = all words, as VecMap)")
    p.add_argument("--max-iter", type=_count(0), default=None, help="stop self-learning after N iterations")
    p.add_argument("--collapse-patience", type=int, default=None,
                   help="stop a run whose identically spelled words have found no twin for N iterations "
                        "(preset: 10; 0 never stops early)")
    p.add_argument("--mapping", choices=("multistep", "procrustes", "least_squares", "rcsls"),
                   help="final mapping fitted on the kept dictionary (preset: multistep; rcsls = Joulin et al. "
                        "2018's relaxed CSLS, slower)")
    p.add_argument("--self-learning", action="store_true",
                   help="self-learn from the seed (the default for every init; kept for older command lines)")
    p.add_argument("--no-self-learning", action="store_true",
                   help="no self-learning: the final mapping fitted on the seed alone (with --init dictionary: "
                        "VecMap's supervised mode)")
    p.add_argument("--no-select", action="store_true",
                   help="keep the last iteration's mapping instead of the best one by the gold-free criterion "
                        "(identical strings held out from the seed + MUSE's mean CSLS cosine)")
    p.add_argument("--translate", action="append", default=[], metavar="WORD",
                   help="after the run, print the 10 nearest target words of this source word as a JSON line "
                        "(repeatable); with a fastText .bin source, unknown words are built from their n-grams")
    p.add_argument("--seed-size", type=_count(1), default=None,
                   help="--init random: pairs drawn at random (default 25); --init dictionary: only the first N pairs "
                        "of the dictionary that are in both vocabularies (semi-supervised, e.g. 500 or 1000)")
    refine = p.add_mutually_exclusive_group()
    refine.add_argument("--refine", dest="refine", action="store_true", default=None,
                        help="after self-learning and selection, refine the kept mapping contrastively (Li et al. "
                             "2022, ACL, stage C1: InfoNCE over CSLS hard negatives, dictionary augmentation), kept "
                             "only where held-out identical strings score it above its start"
                             + (f" (default for --init {', '.join(REFINE_DEFAULT)} with self-learning, where the "
                                "languages share enough identical strings to judge it and neither space has more than "
                                f"{REFINE_DEFAULT_MAX_WORDS:,} words)" if REFINE_DEFAULT else ""))
    refine.add_argument("--no-refine", dest="refine", action="store_false", help="no contrastive refinement")
    p.add_argument("--random-seed", type=int, default=0, help="seed of every stochastic step")
    p.add_argument("--out", required=True, help="output folder (built under a temporary name, renamed when complete)")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --out (an earlier run)")
    p.set_defaults(func=cmd_align)

    p = sub.add_parser("evaluate", help="bilingual lexicon induction, word similarity and analogies on mapped "
                       "(or monolingual) spaces (one JSON line)")
    p.add_argument("--src", required=True, help="mapped source space (" + SPACE_HELP + ")")
    p.add_argument("--tgt", help="mapped target space, same dimension (needed by --dictionary and by "
                   "--similarity-side tgt/cross)")
    p.add_argument("--dictionary", help="gold pairs for bilingual lexicon induction: 'src tgt' per line, TSV or "
                   "dictd .index")
    p.add_argument("--retrieval", choices=("csls", "nn", "isf"), default="csls",
                   help="BLI retrieval (default csls)")
    p.add_argument("--similarity", metavar="FILE", help="word similarity dataset, 'word1 word2 score' per line "
                   "(e.g. SimLex-999; not bundled): Spearman and Pearson correlation with the cosines")
    p.add_argument("--similarity-column", type=_count(3), default=3, metavar="N",
                   help="the column (1-based) of the similarity score (default 3; SimLex-999.txt as distributed: 4)")
    p.add_argument("--similarity-side", choices=SIMILARITY_SIDES, default="src",
                   help="where the similarity pairs are looked up: src (default) or tgt, monolingual, or cross "
                        "(word1 in --src, word2 in --tgt, e.g. SemEval-2017 Task 2 cross-lingual)")
    p.add_argument("--analogy", metavar="FILE", help="word analogy questions on --src, Google format ('a b c d' "
                   "per line, ': section' lines; not bundled): accuracy")
    p.add_argument("--analogy-method", choices=ANALOGY_METHODS, default="3cosadd",
                   help="3cosadd (Mikolov et al. 2013, default) or 3cosmul (Levy & Goldberg 2014)")
    p.add_argument("--analogy-cutoff", type=_count(0), default=DEFAULT_ANALOGY_CUTOFF, metavar="N",
                   help=f"answer among the N most frequent words (default {DEFAULT_ANALOGY_CUTOFF}; 0 = all); "
                        "questions with a word beyond them are skipped")
    p.add_argument("--max-vocab", type=_count(1), default=None, help="read only the N most frequent words")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("replay", help="rebuild a run file downloaded from the lab (bundled pair, cheap seed) "
                       "and check that every iteration comes out the same")
    p.add_argument("run", help="run.zip from the lab's 'Download this run'")
    p.add_argument("--out", required=True, help="output folder (writes run.zip)")
    p.set_defaults(func=cmd_replay)

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
    except OSError as e:  # reading and writing are wrapped already; this is the last resort
        print(f"clwe {args.command}: error: {OutputError(e.filename or 'a file', e)}", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"clwe {args.command}: error: out of memory; read fewer words with --max-vocab N", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"clwe {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
