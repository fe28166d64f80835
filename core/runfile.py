"""The run file: one zip that keeps a self-learning run, written by ``clwe align`` and by the lab.

Members (nothing is ever pickled: JSON, text and ``.npy`` read with ``allow_pickle=False``)::

    config.json      {"format": "clwe-run", "version": 1, ...}: data, seed, AlignConfig, iteration
    history.jsonl    one JSON object per iteration (objective, dictionary size, BLI, ...)
    dictionary.tsv   source, target, score of the run's dictionary
    src_words.txt    the mapped spaces' vocabularies, one word per line, frequency order
    tgt_words.txt
    src_mapped.npy   float32 (n_src, d) and (n_tgt, d): both spaces in the shared space
    tgt_mapped.npy

Reading checks the archive's size, its member names and sizes (no zip bomb), the format version and the
shapes, and raises :class:`core.errors.FileFormatError` naming what is wrong.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import FileFormatError
from .io import Embeddings

FORMAT = "clwe-run"
VERSION = 1
MEMBERS = ("config.json", "history.jsonl", "dictionary.tsv", "src_words.txt", "tgt_words.txt",
           "src_mapped.npy", "tgt_mapped.npy")
MAX_ARCHIVE_BYTES = 820 * 2**20        # on disk: the mapped .npy members are stored, not compressed
MAX_MEMBER_BYTES = 400 * 2**20         # uncompressed, per member
MAX_TOTAL_BYTES = 800 * 2**20          # uncompressed, all members


@dataclass
class RunFile:
    """A kept run: its description, per-iteration history, dictionary and mapped spaces."""

    config: dict
    history: list[dict] = field(default_factory=list)
    dictionary: list[tuple[str, str, float]] = field(default_factory=list)
    src: Embeddings | None = None   # mapped source space
    tgt: Embeddings | None = None   # mapped target space


def history_line(rec) -> dict:
    """One iteration record as a JSON-ready dict (the format of ``clwe align``'s history.jsonl)."""
    def num(v):
        return None if v is None or v != v else round(float(v), 6)

    line = {"iteration": int(rec.iteration), "objective": num(rec.objective),
            "dictionary_size": int(rec.dictionary_size), "keep_prob": float(rec.keep_prob),
            "seconds": {k: round(float(v), 4) for k, v in (rec.seconds or {}).items()},
            "converged": bool(rec.converged), "collapse": rec.collapse}
    for name in ("mutual_ratio", "churn", "shared_agreement"):
        line[name] = num(getattr(rec, name, float("nan")))
    if rec.bli:
        line["bli"] = {name: result.as_dict() for name, result in rec.bli.items() if result is not None}
    return line


def from_learner(learner, config: dict, iteration: int | None = None, final: bool = False,
                 dictionary=None, mapped=None) -> RunFile:
    """A RunFile of a :class:`core.selflearning.SelfLearning` run.

    Parameters
    ----------
    learner : SelfLearning
    config : dict
        The run's description (data, seed, ...); ``"config"`` (the AlignConfig) and ``"iteration"`` are
        added here.
    iteration : int or None
        The iteration kept (default: the last one); the history is cut after it.
    final : bool
        Keep the final mapping (:meth:`SelfLearning.finalize`) instead of the iteration's.
    dictionary : object with ``src``, ``tgt``, ``scores`` or None
        The dictionary to keep (default: the iteration's own).
    mapped : (Embeddings, Embeddings) or None
        The kept mapping's mapped spaces when the caller has them (mapping 200k words twice costs seconds).
    """
    iteration = learner.current.iteration if iteration is None else int(iteration)
    rec = learner.history[iteration]
    if mapped is not None:
        src, tgt = mapped
    else:
        src, tgt = learner.mapped(final=True) if final else learner.mapped(iteration=iteration)
    if dictionary is None:
        s_idx, t_idx, scores = rec.src_idx, rec.tgt_idx, rec.scores
    else:
        s_idx, t_idx, scores = dictionary.src, dictionary.tgt, dictionary.scores
    scores = np.full(len(s_idx), np.nan) if scores is None else np.asarray(scores, dtype=np.float64)
    pairs = [(src.words[int(i)], tgt.words[int(j)], float(v)) for i, j, v in zip(s_idx, t_idx, scores)]
    cfg = {"src_name": learner.src.name, "tgt_name": learner.tgt.name, **config,
           "config": learner.config.to_dict(), "iteration": iteration}
    return RunFile(cfg, [history_line(r) for r in learner.history[: iteration + 1]], pairs, src, tgt)


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()


def write_run(target, run: RunFile) -> None:
    """Write ``run`` as a zip to a path or a binary file object."""
    config = {**run.config, "format": FORMAT, "version": VERSION}
    members = {
        "config.json": json.dumps(config, indent=2, default=str) + "\n",
        "history.jsonl": "".join(json.dumps(line, default=str) + "\n" for line in run.history),
        "dictionary.tsv": "source\ttarget\tscore\n" + "".join(f"{s}\t{t}\t{v:.6f}\n" for s, t, v in run.dictionary),
    }
    for side, emb in (("src", run.src), ("tgt", run.tgt)):
        if emb is not None:
            members[f"{side}_words.txt"] = "".join(w + "\n" for w in emb.words)
            members[f"{side}_mapped.npy"] = _npy(emb.vectors)
    if isinstance(target, (str, Path)):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, content in members.items():
            # float32 matrices shrink by under 10% with deflate, at 30 s for a 200k-word run: stored as they are
            z.writestr(name, content, compress_type=zipfile.ZIP_STORED if name.endswith(".npy") else None)


def run_bytes(run: RunFile) -> bytes:
    """The zip of ``run`` as bytes (for a download button)."""
    buf = io.BytesIO()
    write_run(buf, run)
    return buf.getvalue()


def read_run(source, name: str | None = None) -> RunFile:
    """Read a run file from a path, bytes or a binary file object, checking it as it goes.

    Raises
    ------
    FileFormatError
        Not a zip, too large, an unexpected member, a newer format version, or inconsistent shapes.
    """
    if isinstance(source, (str, Path)):
        name = name or str(source)
        size = Path(source).stat().st_size
        opener = source
    else:
        data = source if isinstance(source, (bytes, bytearray)) else source.read()
        name, size, opener = name or "run file", len(data), io.BytesIO(data)
    hint = "open a run.zip written by 'clwe align' or downloaded from the lab"
    if size > MAX_ARCHIVE_BYTES:
        raise FileFormatError(name, None, f"{size / 2**20:.0f} MB is above the {MAX_ARCHIVE_BYTES // 2**20} MB limit "
                                          "of a run file", "keep fewer words (a smaller vocabulary)")
    try:
        z = zipfile.ZipFile(opener)
    except (zipfile.BadZipFile, OSError) as e:
        raise FileFormatError(name, None, f"not a zip archive ({e})", hint) from None
    with z:
        infos = {i.filename: i for i in z.infolist()}
        unknown = sorted(set(infos) - set(MEMBERS))
        if unknown:
            raise FileFormatError(name, None, f"unexpected member(s) {', '.join(unknown[:5])}", hint)
        if "config.json" not in infos:
            raise FileFormatError(name, None, "no config.json inside", hint)
        big = [n for n, i in infos.items() if i.file_size > MAX_MEMBER_BYTES]
        if big or sum(i.file_size for i in infos.values()) > MAX_TOTAL_BYTES:
            raise FileFormatError(name, None, f"members too large once unpacked ({', '.join(big) or 'in total'})",
                                  "a run file holds at most a few hundred MB of vectors")

        def text(member):
            try:
                return z.read(member).decode("utf-8")
            except UnicodeDecodeError as e:
                raise FileFormatError(f"{name}:{member}", None, f"not UTF-8 text ({e})", hint) from None

        try:
            config = json.loads(text("config.json"))
        except json.JSONDecodeError as e:
            raise FileFormatError(f"{name}:config.json", e.lineno, f"not JSON ({e.msg})", hint) from None
        if not isinstance(config, dict) or config.get("format") != FORMAT:
            raise FileFormatError(f"{name}:config.json", None, f"not a {FORMAT} file", hint)
        if not isinstance(config.get("version"), int) or config["version"] > VERSION:
            raise FileFormatError(f"{name}:config.json", None, f"format version {config.get('version')} is newer "
                                  f"than this program's ({VERSION})", "update CLWE Lab")
        history = []
        if "history.jsonl" in infos:
            for k, line in enumerate(text("history.jsonl").splitlines(), 1):
                if line.strip():
                    try:
                        history.append(json.loads(line))
                    except json.JSONDecodeError as e:
                        raise FileFormatError(f"{name}:history.jsonl", k, f"not JSON ({e.msg})", hint) from None
        pairs = []
        if "dictionary.tsv" in infos:
            for k, line in enumerate(text("dictionary.tsv").splitlines()[1:], 2):
                parts = line.split("\t")
                if len(parts) != 3:
                    raise FileFormatError(f"{name}:dictionary.tsv", k, "expected source, target, score "
                                          "separated by tabs", hint)
                try:
                    pairs.append((parts[0], parts[1], float(parts[2])))
                except ValueError:
                    raise FileFormatError(f"{name}:dictionary.tsv", k, f"score {parts[2]!r} is not a number",
                                          hint) from None
        spaces = {}
        for side in ("src", "tgt"):
            if f"{side}_mapped.npy" not in infos:
                continue
            member = f"{side}_mapped.npy"
            try:
                vectors = np.load(io.BytesIO(z.read(member)), allow_pickle=False)
            except ValueError as e:
                raise FileFormatError(f"{name}:{member}", None, f"not a plain .npy array ({e})", hint) from None
            if vectors.ndim != 2 or vectors.dtype.kind != "f":
                raise FileFormatError(f"{name}:{member}", None, f"expected a 2-D float array, got {vectors.dtype} "
                                      f"of shape {vectors.shape}", hint)
            words = text(f"{side}_words.txt").splitlines() if f"{side}_words.txt" in infos else []
            if len(words) != len(vectors):
                raise FileFormatError(f"{name}:{side}_words.txt", None, f"{len(words)} words for {len(vectors)} "
                                      "vectors", hint)
            try:
                spaces[side] = Embeddings(tuple(words), vectors.astype(np.float32, copy=False),
                                          str(config.get(f"{side}_name") or side))
            except ValueError as e:
                raise FileFormatError(f"{name}:{side}_words.txt", None, str(e), hint) from None
    if "src" in spaces and "tgt" in spaces and spaces["src"].dim != spaces["tgt"].dim:
        raise FileFormatError(name, None, f"mapped spaces of different dimensions ({spaces['src'].dim} vs "
                              f"{spaces['tgt'].dim})", hint)
    return RunFile(config, history, pairs, spaces.get("src"), spaces.get("tgt"))


# Seed strategies a run file can be rebuilt from: their only parameters are kept in config.json.
REPRODUCIBLE_SEEDS = ("dictionary", "random", "identical", "numerals")


def reproduce(config: dict, callback=None):
    """Rebuild the run a lab run file describes and step it to its iteration (every step is deterministic).

    Works for runs on a bundled pair (``pair``, ``max_vocab``) with a seed of :data:`REPRODUCIBLE_SEEDS`
    that did not branch; returns the :class:`core.selflearning.SelfLearning`.

    Raises
    ------
    ConfigError
        The file does not describe such a run.
    """
    from .errors import ConfigError
    from .io import load_bundled_dictionary, load_embeddings
    from .normalize import normalize
    from .seeds import build_seed
    from .selflearning import AlignConfig, SelfLearning

    pair, init = config.get("pair"), config.get("init")
    if not pair or init not in REPRODUCIBLE_SEEDS:
        raise ConfigError("only lab runs on a bundled pair with a dictionary, random, identical or numerals seed "
                          f"can be replayed (this file: pair {pair!r}, seed {init!r})")
    if config.get("branched"):
        raise ConfigError("this run changed its settings at a branch point, so its settings alone do not "
                          "rebuild it; open the file in the lab to look at it")
    max_vocab = int(config["max_vocab"])
    src_short, tgt_short = pair.split("-")
    src, tgt = load_embeddings(src_short, max_vocab=max_vocab), load_embeddings(tgt_short, max_vocab=max_vocab)
    train, test = load_bundled_dictionary(pair, "train"), load_bundled_dictionary(pair, "test")
    align = AlignConfig.from_dict({**config["config"], "normalize": tuple(config["config"]["normalize"])})
    params = dict(config.get("seed_params") or {})
    query = config.get("query") or {}   # files written before seed_params: the lab's link has them
    if "n" in query:
        params.setdefault("n", int(query["n"]))
    params.setdefault("random_state", int(config["config"].get("random_state", 0)))
    if init in ("dictionary", "random"):
        params["pairs"] = train
    if init != "random":   # the other cheap seeds take no parameters
        params.pop("n", None)
        params.pop("random_state", None)
    seed = build_seed(init, src.with_vectors(normalize(src.vectors, align.normalize)),
                      tgt.with_vectors(normalize(tgt.vectors, align.normalize)), **params)
    run = SelfLearning(src, tgt, seed.pairs, align, gold_test=test)
    target = int(config.get("iteration", 0))
    if target > run.current.iteration:
        run.run(target - run.current.iteration, callback=callback)
    return run
