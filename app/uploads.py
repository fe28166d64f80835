"""Turn uploaded bytes into spaces and dictionaries through core.io.

Kept free of widgets so tests can call it with bytes and a file name (AppTest cannot upload files).
Every problem becomes a CLWEError whose message names the uploaded file, not the temporary copy.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from core import io as cio
from core.errors import CLWEError, ConfigError, FileFormatError

# Same as server.maxUploadSize in .streamlit/config.toml (a 200k x 300 text file is about 600 MB).
MAX_UPLOAD_BYTES = 1024 * 1024 * 1024
# The lab's own limits on a space (core.io refuses others with a message naming them).
MAX_DIM = cio.MAX_DIM


def limit_text() -> str:
    """The upload limits, as the Data page states them."""
    return (f"**Limits of this lab:** each file at most {MAX_UPLOAD_BYTES / 2**20:,.0f} MB (a 200,000-word, "
            f"300-dimension text file is about 600 MB), 2 to {MAX_DIM:,} dimensions per space. A larger file: keep "
            "its most frequent words with `clwe convert SPACE out.vec --max-vocab 200000`. Reading a few hundred MB "
            "takes a minute on a busy server; the other students' pages keep working meanwhile.")


EMBEDDING_SUFFIXES = (".vec", ".txt", ".gz", ".npz", ".glove", ".w2v")
DICTIONARY_SUFFIXES = (".txt", ".tsv", ".dic", ".dict", ".index", ".gz")


def safe_name(filename: str) -> str:
    """The upload's base name with control characters (NUL, line breaks, escapes) shown as '?'.

    The browser sends the name; it is only ever a label, never a path on the server.
    """
    name = Path(str(filename).replace("\\", "/")).name or "upload"
    return "".join("?" if (ord(c) < 32 or ord(c) == 127) else c for c in name)[:200]


def _suffix(filename: str) -> str:
    # Keep ".vec.gz" etc.: core.io picks the reader from the suffix. Only plain suffixes reach mkstemp.
    suffixes = [s.lower() for s in Path(safe_name(filename)).suffixes[-2:]
                if 1 < len(s) <= 8 and s[1:].isascii() and s[1:].isalnum()]
    return "".join(suffixes)


def _check_size(data: bytes, filename: str) -> None:
    if len(data) == 0:
        raise FileFormatError(filename, None, "the file is empty", "Upload a word2vec/fastText/GloVe text file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise FileFormatError(filename, None, f"the file is {len(data) / 2**20:,.0f} MB, above the "
                              f"{MAX_UPLOAD_BYTES / 2**20:,.0f} MB limit",
                              "Keep the most frequent words (e.g. `clwe convert --max-vocab 200000`) and retry")


def _with_temp_copy(data: bytes, filename: str, read):
    """Write ``data`` to a temporary file with the upload's suffix, call ``read(path)``, clean up."""
    fd, tmp = tempfile.mkstemp(prefix="clwe-upload-", suffix=_suffix(filename))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        try:
            return read(tmp)
        except FileFormatError as e:
            raise FileFormatError(filename, e.line, e.problem, e.hint) from None
        except UnicodeDecodeError as e:
            raise FileFormatError(filename, None, f"not UTF-8 text ({e.reason} at byte {e.start})",
                                  "Save the file as UTF-8 text") from None
    finally:
        os.unlink(tmp)


def load_uploaded_embeddings(data: bytes, filename: str, max_vocab: int | None = None, progress=None):
    """An Embeddings from an uploaded file (word2vec/fastText/GloVe text, optionally .gz, or .npz).

    A file above ``READER_PROCESS_BYTES`` is read in a separate process (see :func:`read_embeddings`).
    ``progress(fraction)`` is called as the file is read (from the thread that called this function)."""
    filename = safe_name(filename)
    _check_size(data, filename)
    if _suffix(filename).endswith(".npy"):
        raise FileFormatError(filename, None, "a bare .npy matrix has no words",
                              "Upload an .npz holding 'words' and 'vectors', or a .vec text file")
    if len(data) < READER_PROCESS_BYTES:
        return _with_temp_copy(data, filename, lambda p: cio.load_embeddings(p, max_vocab=max_vocab, name=filename,
                                                                           progress=progress))
    return _with_temp_copy(data, filename, lambda p: read_embeddings(p, max_vocab, filename, progress))


# Parsing text holds the interpreter lock: a 200 MB upload read in the server process slowed every other
# student's clicks ~7-fold for half a minute (bench/class_load.py --upload-mb 200). Above this size the file
# is read by a separate Python process, so the server's own threads keep running; small files stay in-process.
# (A plain subprocess, not multiprocessing: its spawn would re-run the Streamlit script, Streamlit's __main__.)
READER_PROCESS_BYTES = 16 * 2**20
READER_TIMEOUT = 900   # seconds
PROGRESS_PREFIX = "progress "   # the reader's progress lines on stdout; the last line is its JSON reply


def _reader_main(argv=None) -> int:
    """The reader process: ``path max_vocab name out.npz``; writes words and vectors to ``out.npz``, prints
    ``progress <fraction>`` lines while it reads, then one JSON line: {"kind": "ok"} or the error's fields (a
    CLWEError does not cross a process as such)."""
    import json
    import sys

    import numpy as np

    path, max_vocab, name, out = argv or sys.argv[1:]
    os.nice(10)   # behind the class: on a 2-core server the students' steps come first

    def progress(fraction: float) -> None:
        print(f"{PROGRESS_PREFIX}{fraction:.4f}", flush=True)

    try:
        emb = cio.load_embeddings(path, max_vocab=int(max_vocab) or None, name=name, progress=progress)
        np.save(out, np.ascontiguousarray(emb.vectors))   # raw .npy: read back by one np.load, no zip
        with open(out + ".words", "w", encoding="utf-8", newline="") as f:
            f.write("\n".join(emb.words))   # a word holds no line break (core.io refuses them)
        reply = {"kind": "ok"}
    except FileFormatError as e:
        reply = {"kind": "file", "value": [e.path, e.line, e.problem, e.hint]}
    except UnicodeDecodeError as e:
        reply = {"kind": "unicode", "value": [e.reason, e.start]}
    except CLWEError as e:
        reply = {"kind": "config", "value": str(e)}
    except MemoryError:
        reply = {"kind": "config", "value": f"{name}: out of memory while reading it. Lower the maximum "
                                            "vocabulary size and try again"}
    print(json.dumps(reply), flush=True)
    return 0


def read_embeddings(path, max_vocab: int | None, name: str, progress=None):
    """``core.io.load_embeddings`` in a reader process; its errors are raised here as they would be there.

    ``progress(fraction)`` is called here as the reader reports it (from this thread, so a Streamlit
    progress bar may be drawn from it)."""
    import json
    import subprocess
    import sys
    import threading

    import numpy as np

    fd, out = tempfile.mkstemp(prefix="clwe-upload-read-", suffix=".npy")
    os.close(fd)
    proc = None
    try:
        code = "import sys; from app.uploads import _reader_main; sys.exit(_reader_main())"
        root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
        proc = subprocess.Popen([sys.executable, "-c", code, str(path), str(max_vocab or 0), name, out], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        timer = threading.Timer(READER_TIMEOUT, proc.kill)   # a hung reader is killed, then reported below
        timer.start()
        lines = []
        try:
            for line in proc.stdout:
                if line.startswith(PROGRESS_PREFIX):
                    if progress is not None:
                        progress(float(line[len(PROGRESS_PREFIX):]))
                elif line.strip():
                    lines.append(line.strip())
            proc.wait()
        finally:
            timed_out = not timer.is_alive() and proc.returncode not in (0, None) and not lines
            timer.cancel()
        if timed_out:
            raise ConfigError(f"{name}: reading took more than {READER_TIMEOUT // 60} minutes. Lower the maximum "
                              "vocabulary size and try again")
        if proc.returncode != 0 or not lines:
            raise ConfigError(f"{name}: reading the file stopped (out of memory?). Lower the maximum vocabulary "
                              "size and try again")
        reply = json.loads(lines[-1])
        kind, value = reply["kind"], reply.get("value")
        if kind == "ok":
            vectors = np.load(out, allow_pickle=False)
            with open(out + ".words", encoding="utf-8", newline="") as f:
                words = f.read().split("\n")
            return cio.Embeddings(tuple(words), vectors, name=name)
        if kind == "file":
            raise FileFormatError(*value)
        if kind == "unicode":
            raise UnicodeDecodeError("utf-8", b"", value[1], value[1] + 1, value[0])
        raise ConfigError(value)
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        for leftover in (out, out + ".words"):
            if os.path.exists(leftover):
                os.unlink(leftover)


def load_uploaded_dictionary(data: bytes, filename: str) -> list[tuple[str, str]]:
    """Translation pairs from an uploaded dictionary (``src tgt`` per line, TSV or dictd .index)."""
    filename = safe_name(filename)
    _check_size(data, filename)
    return _with_temp_copy(data, filename, cio.load_dictionary)


def check_usable(pairs, src, tgt, filename: str) -> None:
    """Refuse a dictionary none of whose pairs is in the two vocabularies."""
    cov = cio.dictionary_coverage(pairs, src, tgt)
    if cov.n_in_vocab == 0:
        example = ", ".join(f"{s} → {t}" for s, t in list(pairs)[:3])
        raise ConfigError(f"{filename}: none of its {cov.n_pairs} pairs has both words in the uploaded spaces "
                          f"(e.g. {example}). Check that the dictionary goes source → target for these two "
                          "files and uses the same case and spelling")


def load_uploaded_pair(src_file: tuple[bytes, str], tgt_file: tuple[bytes, str],
                       train_file: tuple[bytes, str] | None = None, test_file: tuple[bytes, str] | None = None,
                       max_vocab: int | None = None, progress=None):
    """Load two uploaded spaces and optional dictionaries; raise CLWEError on any problem.

    Each ``*_file`` is ``(bytes, filename)``. Returns ``(src, tgt, train_pairs, test_pairs)``.
    ``progress(fraction, text)`` is called from this thread while the spaces are read (see :func:`_read_two`).
    Nothing is kept if any part fails, so the caller's previous data stays in use.
    """
    src, tgt = _read_two(src_file, tgt_file, max_vocab, progress)
    if len(src) < 10 or len(tgt) < 10:
        small = src.name if len(src) < 10 else tgt.name
        raise ConfigError(f"{small} has fewer than 10 words; the lab needs real vocabularies")
    cio.check_alignable(src)
    cio.check_alignable(tgt)
    train = test = []
    if train_file is not None:
        train = load_uploaded_dictionary(*train_file)
        check_usable(train, src, tgt, safe_name(train_file[1]))
    if test_file is not None:
        test = load_uploaded_dictionary(*test_file)
        check_usable(test, src, tgt, safe_name(test_file[1]))
    return src, tgt, train, test


def _read_two(src_file, tgt_file, max_vocab: int | None, progress=None, poll: float = 0.25):
    """Both uploaded spaces, read at the same time when both go to reader processes (one per core: a pair of
    200k-word files takes the time of one), else one after the other.

    ``progress(fraction, text)`` is called from the calling thread (Streamlit draws only from the script's
    thread): the mean of the two files' fractions, and a line naming each file's share read.
    """
    from concurrent.futures import ThreadPoolExecutor, wait

    files = (src_file, tgt_file)
    names = [safe_name(f[1]) for f in files]
    done = [0.0, 0.0]

    def tell():
        if progress is not None:
            progress(sum(done) / 2, "Reading " + ", ".join(f"{n}: {100 * x:.0f}%" for n, x in zip(names, done)))

    def reporter(i):
        def report(fraction):
            done[i] = max(done[i], float(fraction))
        return report

    if not all(len(f[0]) >= READER_PROCESS_BYTES for f in files):
        out = []
        for i, f in enumerate(files):
            out.append(load_uploaded_embeddings(*f, max_vocab=max_vocab,
                                                progress=(lambda x, i=i: (reporter(i)(x), tell()))))
        return out[0], out[1]
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="clwe-upload") as pool:
        futures = [pool.submit(load_uploaded_embeddings, *f, max_vocab=max_vocab, progress=reporter(i))
                   for i, f in enumerate(files)]
        while wait(futures, timeout=poll)[1]:
            tell()
        tell()
        return futures[0].result(), futures[1].result()
