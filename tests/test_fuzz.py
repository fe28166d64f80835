"""Fuzz every loader with random truncations, byte flips and line splices of slices of the bundled files.

Whatever the damage, a loader either returns a well-formed result or raises one of the project's own errors
(core.errors.CLWEError: one line naming the file), never another exception, and its memory stays bounded
(tracemalloc peak per case). Seeded, so a failure names a case that can be replayed.
"""

import gzip
import io
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest

from app import uploads
from core.errors import CLWEError
from core.io import SAMPLE_DATA, Embeddings, load_dictionary, load_embeddings, save_word2vec

N_CASES_PER_FILE = 120
PEAK_BYTES = 64 << 20        # a case handles files of < 100 KB; the bound leaves room for numpy's buffers
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _b64(n: int) -> str:
    digits = ""
    while True:
        digits = _B64[n % 64] + digits
        n //= 64
        if n == 0:
            return digits


def _dictd(pairs) -> tuple[bytes, bytes]:
    """A small FreeDict-style dictd dictionary: (index bytes, .dict.dz bytes)."""
    by_word: dict[str, list[str]] = {}
    for s, t in pairs:
        by_word.setdefault(s, []).append(t)
    data, index = b"", []
    for word, translations in by_word.items():
        entry = f"{word} <n>\n" + "".join(f"{k + 1}. {t}\n" for k, t in enumerate(translations))
        raw = entry.encode()
        index.append(f"{word}\t{_b64(len(data))}\t{_b64(len(raw))}\n")
        data += raw
    return "".join(index).encode(), gzip.compress(data)


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    """Byte contents of every format, made from slices of the bundled data."""
    folder = tmp_path_factory.mktemp("fuzz_src")
    en = load_embeddings("en", max_vocab=120)
    fr = load_embeddings("fr", max_vocab=40)
    save_word2vec(en, folder / "en.vec")
    save_word2vec(Embeddings(fr.words, fr.vectors[:, :60], "fr"), folder / "fr.vec")
    glove = "".join(w + " " + " ".join(f"{x:.4f}" for x in v) + "\n" for w, v in zip(en.words, en.vectors))
    buf = io.BytesIO()
    np.savez(buf, words=np.array(en.words), vectors=en.vectors)
    pairs = load_dictionary(SAMPLE_DATA / "dictionaries" / "en-fr.train.txt")[:150]
    index, dz = _dictd(pairs)
    vec = (folder / "en.vec").read_bytes()
    return {
        "vec": vec,
        "fr.vec": (folder / "fr.vec").read_bytes(),
        "glove.txt": glove.encode(),
        "vec.gz": gzip.compress(vec),
        "npz": buf.getvalue(),
        "npy.vocab": ("\n".join(en.words) + "\n").encode(),
        "dict.txt": "".join(f"{s} {t}\n" for s, t in pairs).encode(),
        "dict.tsv": "".join(f"{s}\t{t}\n" for s, t in pairs).encode(),
        "index": index,
        "dict.dz": dz,
        "_npy_matrix": en.vectors,
    }


def _mutate(data: bytes, rng: np.random.Generator, originals: dict) -> tuple[str, bytes]:
    kind = rng.choice(["truncate", "flip", "splice", "splice", "flip+truncate"])
    if kind in ("truncate", "flip+truncate"):
        data = data[:int(rng.integers(0, len(data) + 1))]
    if kind in ("flip", "flip+truncate") and data:
        data = bytearray(data)
        for pos in rng.integers(0, len(data), size=int(rng.integers(1, 8))):
            data[pos] = int(rng.integers(0, 256))
        data = bytes(data)
    if kind == "splice":
        lines = data.split(b"\n")
        donor = originals[str(rng.choice(["vec", "glove.txt", "dict.txt", "index", "fr.vec"]))].split(b"\n")
        for _ in range(int(rng.integers(1, 4))):
            op = rng.integers(0, 5)
            i = int(rng.integers(0, len(lines)))
            if op == 0:                                   # drop a line
                del lines[i]
            elif op == 1:                                 # duplicate a line
                lines.insert(i, lines[i])
            elif op == 2 and i + 1 < len(lines):          # join two lines
                lines[i:i + 2] = [lines[i] + lines[i + 1]]
            elif op == 3:                                 # a line from another file
                lines.insert(i, donor[int(rng.integers(0, len(donor)))])
            else:                                         # cut a line in two
                cut = int(rng.integers(0, len(lines[i]) + 1))
                lines[i:i + 1] = [lines[i][:cut], lines[i][cut:]]
            if not lines:
                lines = [b""]
        data = b"\n".join(lines)
    return kind, data


def _check_embeddings(emb):
    assert isinstance(emb, Embeddings) and len(emb) >= 1 and emb.vectors.dtype == np.float32
    assert np.isfinite(emb.vectors).all() and emb.vectors.any(axis=1).all()
    assert all(w and not any(c in w for c in " \t\n\r") and not w.startswith("\ufeff") for w in emb.words)


def _check_pairs(pairs):
    assert pairs and all(isinstance(s, str) and isinstance(t, str) and s and t for s, t in pairs)


def _cases(originals, folder: Path):
    """(case name, loader thunk, result check) for every file kind; the files are written before each call."""
    def write(name, data):
        (folder / name).write_bytes(data)
        return folder / name

    def emb_file(name):
        return lambda data: (lambda: load_embeddings(write(name, data))), _check_embeddings

    yield "vec", *emb_file("x.vec")
    yield "fr.vec", *emb_file("fr.vec")
    yield "glove.txt", *emb_file("g.txt")
    yield "vec.gz", *emb_file("x.vec.gz")
    yield "npz", *emb_file("x.npz")

    def npy_vocab(data):
        np.save(folder / "m.npy", originals["_npy_matrix"])
        write("m.vocab", data)
        return lambda: load_embeddings(folder / "m.npy")
    yield "npy.vocab", npy_vocab, _check_embeddings

    yield "dict.txt", (lambda data: (lambda: load_dictionary(write("d.txt", data)))), _check_pairs
    yield "dict.tsv", (lambda data: (lambda: load_dictionary(write("d.tsv", data)))), _check_pairs

    def dictd_index(data):
        write("f.dict.dz", originals["dict.dz"])
        return lambda: load_dictionary(write("f.index", data))
    yield "index", dictd_index, _check_pairs

    def dictd_data(data):
        write("g.index", originals["index"])
        write("g.dict.dz", data)
        return lambda: load_dictionary(folder / "g.index")
    yield "dict.dz", dictd_data, _check_pairs

    # The upload path: the same bytes through app.uploads (with the app's vocabulary limit).
    yield "vec", (lambda data: (lambda: uploads.load_uploaded_embeddings(data, "up.vec", max_vocab=1000))), \
        _check_embeddings
    yield "vec.gz", (lambda data: (lambda: uploads.load_uploaded_embeddings(data, "up.vec.gz", max_vocab=50))), \
        _check_embeddings
    yield "dict.txt", (lambda data: (lambda: uploads.load_uploaded_dictionary(data, "up.txt"))), _check_pairs


def test_every_loader_gives_a_result_or_a_clwe_error(originals, tmp_path):
    rng = np.random.default_rng(20261202)
    outcomes = {"ok": 0, "error": 0}
    tracemalloc.start()
    try:
        for source, make, check in _cases(originals, tmp_path):
            for k in range(N_CASES_PER_FILE):
                kind, data = _mutate(originals[source], rng, originals)
                case = f"{source} #{k} ({kind}, {len(data)} bytes)"
                tracemalloc.reset_peak()
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")   # duplicate words are dropped with a warning
                        result = make(data)()
                except CLWEError as e:
                    msg = str(e)
                    assert msg and "\n" not in msg.strip() and "Traceback" not in msg, case
                    outcomes["error"] += 1
                except Exception as e:  # noqa: BLE001 - the point of the test
                    pytest.fail(f"{case}: {type(e).__name__}: {e}")
                else:
                    check(result)
                    outcomes["ok"] += 1
                peak = tracemalloc.get_traced_memory()[1]
                assert peak < PEAK_BYTES, f"{case}: peak {peak / 2**20:.0f} MB"
    finally:
        tracemalloc.stop()
    # Both outcomes occur: the mutations are neither all harmless nor all fatal.
    assert outcomes["ok"] > 50 and outcomes["error"] > 200, outcomes


def test_bombs_are_refused_early(tmp_path):
    """The compressed corruptions the random mutations cannot reach: expansion to a huge line or many rows
    (the row bound without --max-vocab is tested in test_reliability.py)."""
    line = gzip.compress(b"x" * (8 << 20), compresslevel=9)
    rows = gzip.compress(b"a 1 2\n" * (2 << 20), compresslevel=9)
    tracemalloc.start()
    try:
        for name, data, match in (("line.vec.gz", line, "a line longer than"),
                                  ("line.txt.gz", line, "a line longer than")):
            (tmp_path / name).write_bytes(data)
            with pytest.raises(CLWEError, match=match):
                (load_dictionary if name.endswith(".txt.gz") else load_embeddings)(tmp_path / name)
        (tmp_path / "rows.vec.gz").write_bytes(rows)   # 2M identical rows: read up to the limit only
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert load_embeddings(tmp_path / "rows.vec.gz", max_vocab=1000).words == ("a",)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < PEAK_BYTES, f"peak {peak / 2**20:.0f} MB"
