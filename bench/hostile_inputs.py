"""Catalogue of hostile and clumsy inputs (issue 12): every case runs in its own process, bounded in memory
(RLIMIT_AS 4 GB, peak resident memory 1 GB) and time (90 s), and is classed as

    clear error      exit 2, one line "clwe CMD: error: ..." (or the upload's CLWEError), no output left
    unclear error    a clear error, but its message does not say what the case needs it to say (e.g. that a
                     dimension is beyond the lab's limit, not a fault in the file)
    correct success  exit 0 and the result checked against what the file holds
    silent wrong     exit 0 but a wrong result (a misread word, n = 0 evaluation, a bad value accepted)
    traceback        any other exception or exit status
    mixed folder     an output folder that is neither a complete run nor clearly not one
    unbounded        killed by the memory or time bound

Usage: python bench/hostile_inputs.py [--repo PATH] [--only SUBSTRING]
(--repo runs the same cases against another checkout, e.g. the code before the fix.)
"""

from __future__ import annotations

import argparse
import errno
import gzip
import hashlib
import io
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))
from core.io import Embeddings, load_dictionary, load_embeddings, save_word2vec  # noqa: E402

MEMORY = 4 << 30           # address space of a case (numpy's and BLAS's reservations need room)
RSS_BOUND = 1 << 30        # peak resident memory above which a case counts as unbounded (inputs are < 30 MB)
TIMEOUT = 90
RSS_WRAPPER = ("import os, resource, subprocess, sys\n"
               "code = subprocess.call(sys.argv[1:])\n"
               "print('CLWE-MAXRSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
               "sys.exit(code if code >= 0 else 128 - code)\n")
PEAKS: dict[str, int | None] = {}   # case name -> peak resident bytes of its process
CLASSES = ("clear error", "unclear error", "correct success", "silent wrong", "traceback", "mixed folder",
           "unbounded")
LAB_LIMIT = "a limit of the lab"   # what a refused dimension must say (the lab's limit, not the file's fault)
# What the message (stdout + stderr) of these cases must say, besides being one clear line.
SAYS = {"text: 1-dimensional rows": LAB_LIMIT, "text: 10,000 dimensions": LAB_LIMIT,
        "text: 5,000 dimensions, no header": LAB_LIMIT, "npz: npz of 5000 dimensions": LAB_LIMIT,
        "align: 10,000-d space of 300 words": LAB_LIMIT,
        "convert: into a missing folder": "created the folder new/deeper",
        "align: --cutoff 0 (all words, as VecMap)": "all words take part"}


@dataclass
class Case:
    name: str
    argv: list[str]                                  # clwe arguments, or ["-c", code] for a python snippet
    expect: str = "error"                            # "error" or "success"
    check: Callable[[Path, str], bool] | None = None  # success check (folder, stdout)
    folder_check: Callable[[Path], bool] | None = None
    setup: Callable[[Path], None] | None = None
    kill_after: str | None = None                    # send SIGKILL/SIGINT once stderr shows this text
    kill_signal: int = signal.SIGKILL
    fsize: int | None = None
    says: str | None = None                          # the output must contain this (see SAYS)


@dataclass
class Fixture:
    folder: Path
    small: Embeddings = field(default=None)


def _limits(fsize):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    return apply


def run_case(case: Case, repo: Path, work: Path) -> tuple[str, str, float]:
    if case.setup:
        case.setup(work)
    if case.argv[:1] == ["-c"]:
        cmd = [sys.executable, "-c", case.argv[1], *case.argv[2:]]
    else:
        cmd = [sys.executable, "-m", "core.cli", *case.argv]
    if not case.kill_after:   # a parent that reports its one child's peak resident memory
        cmd = [sys.executable, "-c", RSS_WRAPPER, *cmd]
    env = dict(os.environ, PYTHONPATH=str(repo), CLWE_SAMPLE_DATA=str(HERE / "sample_data"))
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_limits(case.fsize), errors="replace")
    err_lines = []
    try:
        if case.kill_after:
            for line in proc.stderr:
                err_lines.append(line)
                if case.kill_after in line:
                    proc.send_signal(case.kill_signal)
                    break
        out, err = proc.communicate(timeout=TIMEOUT)
        err = "".join(err_lines) + err
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return "unbounded", f"over {TIMEOUT} s", time.perf_counter() - t0
    seconds = time.perf_counter() - t0
    code = proc.returncode
    peak = [int(ln.split()[1]) * 1024 for ln in err.splitlines() if ln.startswith("CLWE-MAXRSS ")]
    err = "\n".join(ln for ln in err.splitlines() if not ln.startswith("CLWE-MAXRSS "))
    PEAKS[case.name] = peak[0] if peak else None
    if peak and peak[0] > RSS_BOUND:
        return "unbounded", f"peak {peak[0] / 2**30:.1f} GB resident", seconds
    last = [ln for ln in err.strip().splitlines() if not ln.startswith("[clwe ")] or [""]
    detail = last[-1][:150]
    if "MemoryError" in err or code in (-signal.SIGKILL, 128 + signal.SIGKILL) and not case.kill_after:
        return "unbounded", detail, seconds
    if case.folder_check is not None and not case.folder_check(work):
        return "mixed folder", detail, seconds
    if "Traceback" in err or code not in (0, 2, 130, -signal.SIGKILL, 1 if case.argv[:1] == ["-c"] else 2):
        return "traceback", detail, seconds
    if case.kill_after:
        return ("clear error" if case.folder_check else "traceback"), f"killed; {detail}", seconds
    if code == 0:
        if case.expect == "success" and (case.check is None or _safe_check(case.check, work, out)) \
                and (case.says is None or case.says in out + err):
            return "correct success", (out.strip() or detail)[:150], seconds
        return "silent wrong", (out.strip() or detail)[:150], seconds
    # exit 2 (or 1 from a snippet that printed the error): a message
    one_line = len(last) == 1 or all("error" not in ln for ln in last[:-1])
    if case.expect == "success":
        return "clear error" if one_line else "traceback", "REFUSED VALID INPUT: " + detail, seconds
    if not (one_line and ("error" in detail or "Error" in detail)):
        return "traceback", detail, seconds
    return ("clear error" if case.says is None or case.says in detail else "unclear error"), detail, seconds


def _safe_check(check, work, out) -> bool:
    """A success check; an output the checker cannot even read is a wrong result."""
    try:
        return bool(check(work, out))
    except Exception:  # noqa: BLE001 - e.g. a written file that no longer loads
        return False


# --------------------------------------------------------------------------------------------------
# Cases


def rows(emb, sep=" ", fmt="{:.5f}"):
    return "".join(w + sep + sep.join(fmt.format(x) for x in v) + "\n" for w, v in zip(emb.words, emb.vectors))


def header(emb):
    return f"{len(emb)} {emb.dim}\n"


def loads_as(words, vectors=None, name="out.vec"):
    """Success check of `clwe convert`: the written space holds exactly these words (and vectors)."""
    def check(work, out):
        emb = load_embeddings(work / name)
        ok = emb.words == tuple(words)
        if vectors is not None:
            ok = ok and np.allclose(emb.vectors, vectors, atol=1e-4)
        return ok
    return check


def embedding_cases(fx: Fixture) -> list[Case]:
    e = fx.small
    W, V = list(e.words), e.vectors
    cases: list[tuple[str, bytes, str, object]] = [
        ("text with header", (header(e) + rows(e)).encode(), "success", loads_as(W, V)),
        ("GloVe text, no header", rows(e).encode(), "success", loads_as(W, V)),
        ("BOM, no header", b"\xef\xbb\xbf" + rows(e).encode(), "success", loads_as(W, V)),
        ("BOM + header", b"\xef\xbb\xbf" + (header(e) + rows(e)).encode(), "success", loads_as(W, V)),
        ("tab-separated", rows(e, "\t").encode(), "success", loads_as(W, V)),
        ("tab after the word only", "".join(w + "\t" + " ".join(f"{x:.5f}" for x in v) + "\n"
                                            for w, v in zip(W, V)).encode(), "success", loads_as(W, V)),
        ("CRLF line ends", (header(e) + rows(e)).replace("\n", "\r\n").encode(), "success", loads_as(W, V)),
        ("trailing spaces", rows(e).replace("\n", " \n").encode(), "success", loads_as(W, V)),
        ("double spaces", rows(e).replace(" ", "  ").encode(), "success", loads_as(W, V)),
        ("blank lines between rows", rows(e).replace("\n", "\n\n").encode(), "success", loads_as(W, V)),
        ("scientific notation", rows(e, fmt="{:.6e}").encode(), "success", loads_as(W, V)),
        ("plus signs", rows(e, fmt="{:+.5f}").encode(), "success", loads_as(W, V)),
        ("no final newline", rows(e).rstrip("\n").encode(), "success", loads_as(W, V)),
        ("word with U+00A0", rows(e).replace("the ", "t\u00a0he ", 1).encode(), "success",
         loads_as(["t\u00a0he"] + W[1:], V)),
        ("GloVe first row whole numbers", ("100 3 2 5\n" + "".join(f"w{i} {i + 1} 2 3\n" for i in range(30))).encode(),
         "success", loads_as(["100"] + [f"w{i}" for i in range(30)])),
        ("duplicate word (first kept)", (rows(e) + rows(e.head(3))).encode(), "success", loads_as(W, V)),
        ("header declares more words", (f"{len(e) + 60} {e.dim}\n" + rows(e)).encode(), "error", None),
        ("header declares fewer words", (f"{len(e) - 5} {e.dim}\n" + rows(e)).encode(), "error", None),
        ("header 15OO 50", ("15OO 50\n" + rows(e)).encode(), "error", None),
        ("BOM + header 15OO 50", b"\xef\xbb\xbf" + ("15OO 50\n" + rows(e)).encode(), "error", None),
        ("header with three numbers", ("40 50 3\n" + rows(e)).encode(), "error", None),
        ("header wrong dimension", (f"{len(e)} 30\n" + rows(e)).encode(), "error", None),
        ("header dimension 0", (f"{len(e)} 0\n" + rows(e)).encode(), "error", None),
        ("header negative count", (f"-5 {e.dim}\n" + rows(e)).encode(), "error", None),
        ("header superscript digits", ("4\u00b2 50\n" + rows(e)).encode(), "error", None),
        ("only a header", header(e).encode(), "error", None),
        ("empty file", b"", "error", None),
        ("only blank lines", b"\n\n\n", "error", None),
        ("row with a value missing", (rows(e) + "zz " + " ".join(["0.1"] * (e.dim - 1)) + "\n").encode(), "error", None),
        ("row with an extra value", (rows(e) + "zz " + " ".join(["0.1"] * (e.dim + 1)) + "\n").encode(), "error", None),
        ("non-numeric value", (rows(e) + "zz " + " ".join(["0.1"] * (e.dim - 1) + ["abc"]) + "\n").encode(), "error", None),
        ("comma decimals", (rows(e) + "zz " + " ".join(["0,1"] * e.dim) + "\n").encode(), "error", None),
        ("hex float", (rows(e) + "zz " + " ".join(["0x1p-3"] * e.dim) + "\n").encode(), "error", None),
        ("NaN value", (rows(e) + "zz " + " ".join(["nan"] * e.dim) + "\n").encode(), "error", None),
        ("infinite value", (rows(e) + "zz " + " ".join(["inf"] * e.dim) + "\n").encode(), "error", None),
        ("overflowing value", (rows(e) + "zz " + " ".join(["1e60"] * e.dim) + "\n").encode(), "error", None),
        ("all-zero vector", (rows(e) + "zz " + " ".join(["0"] * e.dim) + "\n").encode(), "error", None),
        ("word without vector", b"lonely\n", "error", None),
        ("1-dimensional rows", b"a 0.5\nb 0.7\nc 0.1\n", "error", None),
        ("Latin-1 bytes", rows(e).replace("the", "caf\u00e9", 1).encode("latin-1"), "error", None),
        ("NUL byte", rows(e).encode().replace(b"of", b"o\x00f", 1), "error", None),
        ("binary garbage", bytes(np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8)), "error", None),
        ("word2vec binary", (header(e).encode() + b"".join(w.encode() + b" " + v.tobytes() for w, v in zip(W, V))),
         "error", None),
        ("10,000 dimensions", ("3 10000\n" + "".join(f"w{i} " + " ".join(["0.5"] * 10000) + "\n"
                                                     for i in range(3))).encode(), "error", None),
        ("5,000 dimensions, no header", ("w " + " ".join(["0.5"] * 5000) + "\n").encode(), "error", None),
        ("old Mac CR line ends", rows(e).replace("\n", "\r").encode(), "error", None),
        ("UTF-16 text", rows(e).encode("utf-16"), "error", None),
        ("HTML page", b"<!DOCTYPE html><html><body>404 Not Found</body></html>\n", "error", None),
        ("a dictionary given as space", b"the le\nof de\n", "error", None),
    ]
    out = []
    for name, data, expect, check in cases:
        out.append(_convert_case(f"text: {name}", data, expect, check))
    gz_cases = [
        ("gzip text", gzip.compress((header(e) + rows(e)).encode()), "success", loads_as(W, V)),
        ("gzip with BOM", gzip.compress(b"\xef\xbb\xbf" + rows(e).encode()), "success", loads_as(W, V)),
        ("gzip truncated", gzip.compress((header(e) + rows(e)).encode())[:-200], "error", None),
        ("gzip CRC broken", gzip.compress(rows(e).encode())[:-8] + b"\0" * 8, "error", None),
        ("gzip byte flipped", _flip(gzip.compress(rows(e).encode()), 300), "error", None),
        ("gzip of garbage", gzip.compress(bytes(np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8))),
         "error", None),
        ("gzip magic only", b"\x1f\x8b", "error", None),
        ("two gzip members", gzip.compress(rows(e.head(10)).encode()) + gzip.compress(rows(e).encode()[
            len(rows(e.head(10)).encode()):]), "success", loads_as(W, V)),
    ]
    for name, data, expect, check in gz_cases:
        out.append(_convert_case(f"gzip: {name}", data, expect, check, suffix=".vec.gz"))
    out.append(_convert_case("text named .gz", (header(e) + rows(e)).encode(), "success", loads_as(W, V),
                             suffix=".vec.gz"))
    return out


def _flip(data: bytes, pos: int) -> bytes:
    b = bytearray(data)
    b[pos % len(b)] ^= 0xFF
    return bytes(b)


def _convert_case(name, data, expect, check, suffix=".vec", extra=()):
    def setup(work, data=data, suffix=suffix):
        (work / f"in{suffix}").write_bytes(data)
    return Case(name, ["convert", f"in{suffix}", "out.vec", *extra], expect, check, setup=setup,
                folder_check=None if expect == "success" else (lambda w: not (w / "out.vec").exists()))


def bomb_cases() -> list[Case]:
    def line_bomb(work):
        with gzip.open(work / "in.vec.gz", "wb", compresslevel=1) as f:
            chunk = b"a" * (16 << 20)
            for _ in range(64):            # one 1 GB line
                f.write(chunk)

    def rows_bomb(work):
        with gzip.open(work / "in.vec.gz", "wb", compresslevel=1) as f:
            for block in range(0, 6_000_000, 100_000):
                f.write("".join(f"w{i} 1 2\n" for i in range(block, block + 100_000)).encode())

    def dict_bomb(work):
        with gzip.open(work / "d.txt.gz", "wb", compresslevel=1) as f:
            for _ in range(16):
                f.write(b"b" * (16 << 20))
        save_word2vec(load_embeddings("en", max_vocab=50), work / "s.vec")

    return [
        Case("bomb: gzip expanding to one 1 GB line", ["convert", "in.vec.gz", "out.vec"], setup=line_bomb,
             folder_check=lambda w: not (w / "out.vec").exists()),
        Case("bomb: gzip of 6M short rows, no --max-vocab", ["convert", "in.vec.gz", "out.vec"], setup=rows_bomb,
             folder_check=lambda w: not (w / "out.vec").exists()),
        Case("bomb: 6M short rows with --max-vocab 1000", ["convert", "in.vec.gz", "out.vec", "--max-vocab", "1000"],
             "success", loads_as([f"w{i}" for i in range(1000)]), setup=rows_bomb),
        Case("bomb: gzip dictionary of one 256 MB line", ["evaluate", "--src", "s.vec", "--tgt", "s.vec",
                                                           "--dictionary", "d.txt.gz"], setup=dict_bomb),
    ]


def npz_cases(fx: Fixture) -> list[Case]:
    e = fx.small
    W, V = list(e.words), e.vectors

    def npz(**arrays):
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        return buf.getvalue()

    good = npz(words=np.array(W), vectors=V)
    obj = io.BytesIO()
    np.savez(obj, words=np.array(W, dtype=object), vectors=V)
    specs = [
        ("npz", good, "success", loads_as(W, V)),
        ("npz compressed", _compressed(words=np.array(W), vectors=V), "success", loads_as(W, V)),
        ("npz bytes words", npz(words=np.array([w.encode() for w in W]), vectors=V), "success", loads_as(W, V)),
        ("npz vocab/embeddings keys", npz(vocab=np.array(W), embeddings=V), "success", loads_as(W, V)),
        ("npz integer vectors", npz(words=np.array(W), vectors=(V * 1000).astype(np.int32)), "success",
         loads_as(W, (V * 1000).astype(np.int32).astype(np.float32))),
        ("npz float16 vectors", npz(words=np.array(W), vectors=V.astype(np.float16)), "success",
         lambda w, o: load_embeddings(w / "out.vec").words == tuple(W)),
        ("npz object words (pickle)", obj.getvalue(), "error", None),
        ("npz missing words", npz(vectors=V), "error", None),
        ("npz length mismatch", npz(words=np.array(W[:-1]), vectors=V), "error", None),
        ("npz integer words", npz(words=np.arange(len(W)), vectors=V), "error", None),
        ("npz words with spaces", npz(words=np.array([w + " x" for w in W]), vectors=V), "error", None),
        ("npz empty word", npz(words=np.array([""] + W[1:]), vectors=V), "error", None),
        ("npz non-UTF-8 bytes words", npz(words=np.array([b"\xff\xfe"] + [w.encode() for w in W[1:]]), vectors=V),
         "error", None),
        ("npz complex vectors", npz(words=np.array(W), vectors=V.astype(np.complex64)), "error", None),
        ("npz string vectors", npz(words=np.array(W), vectors=V.astype(str)), "error", None),
        ("npz 3-d vectors", npz(words=np.array(W), vectors=V[:, :, None]), "error", None),
        ("npz truncated", good[: len(good) // 2], "error", None),
        ("npz byte flipped", _flip(good, len(good) // 2), "error", None),
        ("npz NaN", npz(words=np.array(W), vectors=np.where(np.arange(len(W))[:, None] == 3, np.nan, V)), "error", None),
        (".npz holding a .npy", _npy_bytes(V), "error", None),
        (".npz that is text", rows(e).encode(), "error", None),
        ("npz of 5000 dimensions", npz(words=np.array(["a", "b"]), vectors=np.ones((2, 5000), np.float32)), "error", None),
    ]
    return [_convert_case(f"npz: {n}", d, x, c, suffix=".npz") for n, d, x, c in specs]


def _compressed(**arrays):
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def _npy_bytes(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def npy_cases(fx: Fixture) -> list[Case]:
    e = fx.small
    W, V = list(e.words), e.vectors
    vocab = ("\n".join(W) + "\n").encode()

    def make(matrix_bytes, vocab_bytes):
        def setup(work):
            (work / "m.npy").write_bytes(matrix_bytes)
            if vocab_bytes is not None:
                (work / "m.vocab").write_bytes(vocab_bytes)
        return setup

    obj = io.BytesIO()
    np.save(obj, np.array(W, dtype=object), allow_pickle=True)
    specs = [
        ("npy + vocab", _npy_bytes(V), vocab, "success", loads_as(W, V)),
        ("npy Fortran order", _npy_bytes(np.asfortranarray(V)), vocab, "success", loads_as(W, V)),
        ("npy float64", _npy_bytes(V.astype(np.float64)), vocab, "success", loads_as(W, V)),
        ("vocab with BOM", _npy_bytes(V), b"\xef\xbb\xbf" + vocab, "success", loads_as(W, V)),
        ("vocab CRLF", _npy_bytes(V), vocab.replace(b"\n", b"\r\n"), "success", loads_as(W, V)),
        ("no vocab file", _npy_bytes(V), None, "error", None),
        ("vocab one word short", _npy_bytes(V), ("\n".join(W[:-1]) + "\n").encode(), "error", None),
        ("vocab empty line", _npy_bytes(V), ("\n".join(W[:5] + [""] + W[6:]) + "\n").encode(), "error", None),
        ("vocab word with space", _npy_bytes(V), ("\n".join(["new york"] + W[1:]) + "\n").encode(), "error", None),
        ("npy object array", obj.getvalue(), vocab, "error", None),
        ("npy 1-d", _npy_bytes(V[:, 0]), vocab, "error", None),
        ("npy truncated", _npy_bytes(V)[:-100], vocab, "error", None),
        ("npy bad magic", b"NOTNUMPY" + _npy_bytes(V)[8:], vocab, "error", None),
        ("npy empty file", b"", vocab, "error", None),
        ("npy with inf", _npy_bytes(np.where(np.arange(len(W))[:, None] == 2, np.inf, V).astype(np.float32)), vocab,
         "error", None),
        ("npy booleans", _npy_bytes(V > 0), vocab, "error", None),
    ]
    return [Case(f"npy: {n}", ["convert", "m.npy", "out.vec"], x, c, setup=make(m, v),
                 folder_check=None if x == "success" else (lambda w: not (w / "out.vec").exists()))
            for n, m, v, x, c in specs]


def _b64(n: int) -> str:
    digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    out = ""
    while True:
        out = digits[n % 64] + out
        n //= 64
        if n == 0:
            return out


def dictionary_cases(fx: Fixture) -> list[Case]:
    """Through `clwe evaluate` on one small space against itself: word -> itself is always right."""
    e = fx.small
    W = list(e.words)
    pairs = "".join(f"{w} {w}\n" for w in W[:20])

    def evaluate(name, data, expect, n=None, suffix=".txt", extra_files=None):
        def setup(work):
            save_word2vec(e, work / "s.vec")
            (work / f"d{suffix}").write_bytes(data)
            for fname, content in (extra_files or {}).items():
                (work / fname).write_bytes(content)

        def check(work, out):
            result = json.loads(out)
            return result["n"] == n and result["p@1"] == 1.0
        return Case(f"dictionary: {name}", ["evaluate", "--src", "s.vec", "--tgt", "s.vec", "--dictionary",
                                            f"d{suffix}"], expect, check, setup=setup)

    entries = {w: [w] for w in W[:20]}
    data, index = b"", ""
    for w, ts in entries.items():
        raw = (f"{w} <n>\n" + "".join(f"{k + 1}. {t}\n" for k, t in enumerate(ts))).encode()
        index += f"{w}\t{_b64(len(data))}\t{_b64(len(raw))}\n"
        data += raw
    dz = gzip.compress(data)
    return [
        evaluate("pairs", pairs.encode(), "success", 20),
        evaluate("BOM", b"\xef\xbb\xbf" + pairs.encode(), "success", 20),
        evaluate("TSV", pairs.replace(" ", "\t").encode(), "success", 20),
        evaluate("TSV with extra columns", pairs.replace("\n", "\tnoun\t0.9\n").replace(" ", "\t").encode(),
                 "success", 20),
        evaluate("CRLF", pairs.replace("\n", "\r\n").encode(), "success", 20),
        evaluate("comments and blank lines", ("# gold\n\n" + pairs + "\n# end\n").encode(), "success", 20),
        evaluate("gzip", gzip.compress(pairs.encode()), "success", 20, suffix=".txt.gz"),
        evaluate("duplicate pairs", (pairs + pairs).encode(), "success", 20),
        evaluate("half out of vocabulary", (pairs + "zzz yyy\n" * 5).encode(), "success", 20),
        evaluate("no pair in the vocabularies", b"zzz yyy\nqqq www\n", "error"),
        evaluate("three words on a line", (pairs + "a b c\n").encode(), "error"),
        evaluate("one word on a line", (pairs + "lonely\n").encode(), "error"),
        evaluate("empty", b"", "error"),
        evaluate("only comments", b"# nothing\n", "error"),
        evaluate("Latin-1", "caf\u00e9 caf\u00e9\n".encode("latin-1"), "error"),
        evaluate("NUL byte", b"the\x00 the\n", "error"),
        evaluate("a space file given as dictionary", rows(e).encode(), "error"),
        evaluate("dictd", index.encode(), "success", 20, suffix=".index", extra_files={"d.dict.dz": dz}),
        evaluate("dictd with BOM", b"\xef\xbb\xbf" + index.encode(), "success", 20, suffix=".index",
                 extra_files={"d.dict.dz": dz}),
        evaluate("dictd plain .dict", index.encode(), "success", 20, suffix=".index", extra_files={"d.dict": data}),
        evaluate("dictd without data", index.encode(), "error", suffix=".index"),
        evaluate("dictd offsets beyond data", index.encode(), "error", suffix=".index",
                 extra_files={"d.dict.dz": gzip.compress(data[:50])}),
        evaluate("dictd bad base64", b"the\t!!\tB0\n", "error", suffix=".index", extra_files={"d.dict.dz": dz}),
        evaluate("dictd two fields", b"the\tAA\n", "error", suffix=".index", extra_files={"d.dict.dz": dz}),
        evaluate("dictd corrupt data", index.encode(), "error", suffix=".index",
                 extra_files={"d.dict.dz": _flip(dz, len(dz) // 2)}),
        evaluate("dictd data bomb (600 MB)", b"the\tA\tB\n", "error", suffix=".index",
                 extra_files={"d.dict.dz": _zeros_gz(600 << 20)}),
        evaluate("dictd huge entry length", b"the\tA\t////\n", "error", suffix=".index", extra_files={"d.dict.dz": dz}),
        Case("dictionary: missing dictionary file", ["evaluate", "--src", "s.vec", "--tgt", "s.vec", "--dictionary",
                                                    "nothere.txt"], setup=lambda w: save_word2vec(e, w / "s.vec")),
        Case("dictionary: a folder as dictionary", ["evaluate", "--src", "s.vec", "--tgt", "s.vec", "--dictionary",
                                                   "."], setup=lambda w: save_word2vec(e, w / "s.vec")),
    ]


def _zeros_gz(n: int) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as f:
        chunk = b"\0" * (16 << 20)
        for _ in range(n // len(chunk)):
            f.write(chunk)
    return buf.getvalue()


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.iterdir()):
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


RUN_FILES = {"config.json", "dictionary.tsv", "history.jsonl", "src.vec", "tgt.vec", "run.zip"}
ALIGN = ["align", "--src", "en", "--tgt", "fr", "--init", "identical", "--max-vocab", "400", "--no-eval"]


def _complete_run(folder: Path) -> bool:
    return folder.is_dir() and {p.name for p in folder.iterdir()} == RUN_FILES and \
        json.loads((folder / "config.json").read_text())["command"] == "clwe align"


def _only_complete_or_hidden(work: Path, name="run", digest=None) -> bool:
    """The folder is a complete run (the earlier one when ``digest`` is given) or absent; others are hidden."""
    folder = work / name
    if folder.exists() and not _complete_run(folder):
        return False
    if digest is not None and (not folder.exists() or _digest(folder) != digest[0]):
        return False
    return all(p.name.startswith(".") or p.name in (name, "f", "s.vec", "t.vec", "s.npz", "t.npz", "gold.txt")
               for p in work.iterdir())


def cli_cases(fx: Fixture, earlier: Path) -> list[Case]:
    digest = [None]

    def with_earlier(work):
        import shutil
        shutil.copytree(earlier, work / "run")
        digest[0] = _digest(work / "run")

    def a_file(work):
        (work / "f").write_text("x")

    def script_spaces(work):
        rng = np.random.default_rng(0)
        save_word2vec(Embeddings(["ok"] + [f"word{i}" for i in range(60)], rng.normal(size=(61, 8)), "s"), work / "s.vec")
        save_word2vec(Embeddings(["ok"] + [f"слово{i}" for i in range(60)], rng.normal(size=(61, 8)), "t"), work / "t.vec")

    def dict_spaces(content):
        def setup(work):
            script_spaces(work)
            (work / "gold.txt").write_text(content)
        return setup

    def wide(work):
        rng = np.random.default_rng(0)
        for n in ("s", "t"):
            np.savez(work / f"{n}.npz", words=np.array([f"{n}{i}" for i in range(300)]),
                     vectors=rng.normal(size=(300, 1000)).astype(np.float32))

    def very_wide(work):
        with open(work / "s.vec", "w") as f:
            f.write("300 10000\n")
            row = " ".join(["0.5"] * 10000)
            for i in range(300):
                f.write(f"w{i} {row}\n")

    def small_en(work):
        save_word2vec(load_embeddings("en", max_vocab=100), work / "s.vec")
        save_word2vec(load_embeddings("fr", max_vocab=100), work / "t.vec")

    complete = lambda w: _only_complete_or_hidden(w)  # noqa: E731
    absent = lambda w: not (w / "run").exists() and _only_complete_or_hidden(w)  # noqa: E731
    unchanged = lambda w: _only_complete_or_hidden(w, digest=digest)  # noqa: E731
    enospc = ("import errno, sys; import core.cli as c\n"
              "def full(emb, path, *a, **k):\n"
              "    open(path, 'w').write('3 50\\nthe 0.1\\n')\n"
              "    raise OSError(errno.ENOSPC, 'No space left on device', str(path))\n"
              "c.save_word2vec = full\n"
              "sys.exit(c.main(sys.argv[1:]))")
    return [
        Case("align: a complete small run", ALIGN + ["--max-iter", "2", "--out", "run"], "success",
             lambda w, o: _complete_run(w / "run"), folder_check=complete),
        Case("align: --out is an existing file", ALIGN + ["--out", "f"], setup=a_file),
        Case("align: --out below a file", ALIGN + ["--out", "f/run"], setup=a_file),
        Case("align: --out holds an earlier run", ALIGN + ["--out", "run"], setup=with_earlier, folder_check=unchanged),
        Case("align: re-run with --overwrite, SIGINT mid-run", ALIGN + ["--max-iter", "30", "--collapse-patience", "0",
                                                                        "--out", "run", "--overwrite"],
             setup=with_earlier, folder_check=unchanged, kill_after="iteration 1:", kill_signal=signal.SIGINT),
        Case("align: re-run with --overwrite, SIGKILL mid-run", ALIGN + ["--max-iter", "30", "--collapse-patience",
                                                                         "0", "--out", "run", "--overwrite"],
             setup=with_earlier, folder_check=unchanged, kill_after="iteration 1:"),
        Case("align: re-run with --overwrite completes", ALIGN + ["--max-iter", "1", "--out", "run", "--overwrite"],
             "success", lambda w, o: _complete_run(w / "run") and
             json.loads((w / "run" / "config.json").read_text())["iterations"] == 1,
             setup=with_earlier, folder_check=complete),
        Case("align: file-size limit (EFBIG) while writing", ALIGN + ["--max-iter", "1", "--out", "run"],
             fsize=200_000, folder_check=absent),
        Case("align: disk full (ENOSPC) while writing", ["-c", enospc, *ALIGN, "--max-iter", "1", "--out", "run"],
             folder_check=absent),
        Case("align: --max-iter -1", ALIGN + ["--max-iter", "-1", "--out", "run"], folder_check=absent),
        Case("align: --max-iter x", ALIGN + ["--max-iter", "x", "--out", "run"], folder_check=absent),
        Case("align: --max-vocab 0", ALIGN[:-3] + ["--max-vocab", "0", "--out", "run"], folder_check=absent),
        Case("align: --cutoff -5", ALIGN + ["--cutoff", "-5", "--out", "run"], folder_check=absent),
        Case("align: --cutoff 0 (all words, as VecMap)", ALIGN + ["--max-iter", "1", "--cutoff", "0", "--out", "run"],
             "success", lambda w, o: _complete_run(w / "run") and
             json.loads((w / "run" / "config.json").read_text())["config"]["cutoff"] == 400),
        Case("align: --seed-size 0", ["align", "--src", "en", "--tgt", "fr", "--init", "random", "--seed-size", "0",
                                      "--out", "run"], folder_check=absent),
        Case("align: --seed-size above the dictionary", ["align", "--src", "en", "--tgt", "fr", "--init", "random",
                                                        "--seed-size", "100000", "--out", "run"], folder_check=absent),
        Case("align: --collapse-patience -1", ALIGN + ["--collapse-patience", "-1", "--out", "run"], folder_check=absent),
        Case("align: identical seed, different scripts", ["align", "--src", "s.vec", "--tgt", "t.vec", "--init",
                                                         "identical", "--out", "run"], setup=script_spaces,
             folder_check=absent),
        Case("align: numerals on alphabetic vocabularies", ALIGN[:5] + ["--init", "numerals", "--max-vocab", "400",
                                                                        "--out", "run"], folder_check=absent),
        Case("align: dictionary all out of vocabulary", ["align", "--src", "s.vec", "--tgt", "t.vec", "--init",
                                                        "dictionary", "--dictionary", "gold.txt", "--out", "run"],
             setup=dict_spaces("zz yy\nqq ww\n"), folder_check=absent),
        Case("align: dictionary with one usable pair", ["align", "--src", "s.vec", "--tgt", "t.vec", "--init",
                                                       "dictionary", "--dictionary", "gold.txt", "--out", "run"],
             setup=dict_spaces("word1 слово1\nzz yy\n"), folder_check=absent),
        Case("align: eval dictionary all out of vocabulary", ["align", "--src", "s.vec", "--tgt", "t.vec", "--init",
                                                             "identical", "--eval-dictionary", "gold.txt", "--out", "run"],
             setup=dict_spaces("zz yy\n"), folder_check=absent),
        Case("align: --init dictionary without a dictionary", ["align", "--src", "s.vec", "--tgt", "t.vec", "--init",
                                                              "dictionary", "--out", "run"], setup=script_spaces,
             folder_check=absent),
        Case("align: 1,000-d spaces of 300 words", ["align", "--src", "s.npz", "--tgt", "t.npz", "--init",
                                                   "unsupervised", "--out", "run"], setup=wide, folder_check=absent),
        Case("align: 10,000-d space of 300 words", ["align", "--src", "s.vec", "--tgt", "s.vec", "--init",
                                                   "unsupervised", "--out", "run"], setup=very_wide, folder_check=absent),
        Case("align: missing source file", ["align", "--src", "nothere.vec", "--tgt", "fr", "--init", "identical",
                                           "--out", "run"], folder_check=absent),
        Case("align: unknown bundled name", ["align", "--src", "de", "--tgt", "fr", "--init", "identical",
                                            "--out", "run"], folder_check=absent),
        Case("convert: into a missing folder", ["convert", "en", "new/deeper/en.vec", "--max-vocab", "20"], "success",
             lambda w, o: len(load_embeddings(w / "new/deeper/en.vec")) == 20),
        Case("convert: --out is a folder", ["convert", "en", ".", "--max-vocab", "20"]),
        Case("convert: --out below a file", ["convert", "en", "f/en.vec", "--max-vocab", "20"], setup=a_file),
        Case("convert: file-size limit (EFBIG)", ["convert", "en", "en.vec"], fsize=100_000,
             folder_check=lambda w: not (w / "en.vec").exists()),
        Case("convert: disk full (ENOSPC)", ["-c", enospc, "convert", "en", "en.vec"],
             folder_check=lambda w: not (w / "en.vec").exists()),
        Case("convert: --max-vocab -3", ["convert", "en", "en.vec", "--max-vocab", "-3"]),
        Case("convert: gzip output", ["convert", "fr", "fr.vec.gz", "--max-vocab", "30"], "success",
             lambda w, o: load_embeddings(w / "fr.vec.gz").words == load_embeddings("fr", max_vocab=30).words),
        Case("evaluate: spaces of different dimensions", ["evaluate", "--src", "s.vec", "--tgt", "t.vec", "--dictionary",
                                                         str(HERE / "sample_data/dictionaries/en-fr.test.txt")],
             setup=small_en),
        Case("evaluate: no pair covered", ["evaluate", "--src", "s.vec", "--tgt", "s.vec", "--dictionary",
                                          str(HERE / "sample_data/dictionaries/fi-fr.test.txt")], setup=small_en),
        Case("evaluate: --retrieval bogus", ["evaluate", "--src", "en", "--tgt", "en", "--dictionary", "x",
                                            "--retrieval", "bogus"]),
    ]


UPLOAD = ("import sys; from app import uploads\n"
          "from core.errors import CLWEError\n"
          "data = open(sys.argv[1], 'rb').read()\n"
          "try:\n"
          "    r = {kind}\n"
          "except CLWEError as e:\n"
          "    print('upload error:', e, file=sys.stderr); sys.exit(2)\n"
          "print({show})\n")


def upload_cases(fx: Fixture) -> list[Case]:
    e = fx.small

    def up(name, data, filename, expect, check=None, max_vocab=1000, kind="emb"):
        call = (f"uploads.load_uploaded_embeddings(data, {filename!r}, max_vocab={max_vocab})" if kind == "emb"
                else f"uploads.load_uploaded_dictionary(data, {filename!r})")
        show = "repr((r.name, r.words[:3], len(r)))" if kind == "emb" else "repr(r[:3])"

        def setup(work, data=data):
            (work / "blob").write_bytes(data)
        return Case(f"upload: {name}", ["-c", UPLOAD.format(kind=call, show=show), "blob"], expect,
                    check, setup=setup)

    good = (header(e) + rows(e)).encode()
    first3 = repr(e.words[:3])
    return [
        up("good file", good, "en.vec", "success", lambda w, o: first3 in o),
        up("NUL in the file name", good, "bad\x00name.vec", "success", lambda w, o: "'bad?name.vec'" in o),
        up("path in the file name", good, "../../etc/passwd.vec", "success", lambda w, o: "'passwd.vec'" in o),
        up("control characters in the name", good, "a\x1b[31mred.vec", "success", lambda w, o: first3 in o),
        up("BOM", b"\xef\xbb\xbf" + rows(e).encode(), "en.vec", "success", lambda w, o: first3 in o),
        up("header declares more words (max_vocab 1000)", (f"{len(e) + 60} {e.dim}\n" + rows(e)).encode(), "en.vec",
           "error"),
        up("header declares fewer words (max_vocab 20)", (f"10 {e.dim}\n" + rows(e)).encode(), "en.vec", "error",
           max_vocab=20),
        up("gzip bomb line (256 MB)", _a_line_gz(256 << 20), "en.vec.gz", "error"),
        up("empty", b"", "en.vec", "error"),
        up("a bare .npy", _npy_bytes(e.vectors), "en.npy", "error"),
        up("npz bytes words", _npz_bytes(words=np.array([w.encode() for w in e.words]), vectors=e.vectors), "en.npz",
           "success", lambda w, o: first3 in o),
        up("tabs", rows(e, "\t").encode(), "en.tsv.txt", "success", lambda w, o: first3 in o),
        up("dictionary with BOM", b"\xef\xbb\xbfthe le\nof de\n", "d.txt", "success",
           lambda w, o: "('the', 'le')" in o, kind="dict"),
        up("dictionary NUL name", b"the le\n", "d\x00.txt", "success", lambda w, o: "('the', 'le')" in o, kind="dict"),
        up("dictionary gzip bomb line", _a_line_gz(64 << 20), "d.txt.gz", "error", kind="dict"),
        up("markdown image as a word", ("![x](http://HOST/p.png) " + " ".join(["0.5"] * 4) + "\n" +
                                         "".join(f"w{i} {i + 1} 1 2 3\n" for i in range(20))).encode(), "x.vec",
           "success", lambda w, o: "![x](http://HOST/p.png)" in o),
    ]


def _npz_bytes(**arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _a_line_gz(n: int) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=1) as f:
        chunk = b"a" * (16 << 20)
        for _ in range(n // len(chunk)):
            f.write(chunk)
    return buf.getvalue()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", default=str(HERE), help="checkout whose core/ and app/ are run")
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    args = parser.parse_args(argv)
    repo = Path(args.repo).resolve()
    fx = Fixture(Path(tempfile.mkdtemp(prefix="clwe-hostile-")), load_embeddings("en", max_vocab=40))
    earlier = fx.folder / "earlier"
    env = dict(os.environ, PYTHONPATH=str(HERE))
    subprocess.run([sys.executable, "-m", "core.cli", *ALIGN, "--max-iter", "2", "--out", str(earlier)],
                   cwd=HERE, env=env, check=True, capture_output=True)
    cases = (embedding_cases(fx) + bomb_cases() + npz_cases(fx) + npy_cases(fx) + dictionary_cases(fx)
             + cli_cases(fx, earlier) + upload_cases(fx))
    for c in cases:
        c.says = SAYS.get(c.name, c.says)
    cases = [c for c in cases if args.only in c.name]
    totals = dict.fromkeys(CLASSES, 0)
    print(f"{'case':58} {'outcome':16} {'s':>5} {'MB':>5}  detail")
    for k, case in enumerate(cases):
        work = fx.folder / f"case{k}"
        work.mkdir()
        outcome, detail, seconds = run_case(case, repo, work)
        totals[outcome] += 1
        peak = PEAKS.get(case.name)
        mb = f"{peak / 2**20:5.0f}" if peak else "    –"
        print(f"{case.name[:58]:58} {outcome:16} {seconds:5.1f} {mb}  {detail[:110]}", flush=True)
    print()
    print(f"{len(cases)} cases against {repo}: " + ", ".join(f"{n} {c}" for c, n in totals.items()))
    measured = [p for p in PEAKS.values() if p]
    if measured:
        print(f"largest peak resident memory of a case: {max(measured) / 2**20:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
