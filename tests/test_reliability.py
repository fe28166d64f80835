"""Issue 12: no silent misreads, clear one-line errors, complete-or-absent output folders, bounded memory.

Each test is one item of the issue; the lab's items are in tests/test_reliability_app.py and the random
corruptions of the bundled files in tests/test_fuzz.py.
"""

import errno
import gzip
import json
import os
import signal
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from app import uploads
from core import io as cio
from core.cli import main
from core.errors import CLWEError, ConfigError, FileFormatError
from core.io import load_dictionary, load_embeddings, save_word2vec

ROOT = Path(__file__).resolve().parent.parent
BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def small():
    return load_embeddings("en", max_vocab=40)


def _rows(emb, sep=" "):
    return "".join(w + sep + sep.join(f"{x:.5f}" for x in v) + "\n" for w, v in zip(emb.words, emb.vectors))


def _tree(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --- silent wrong results -------------------------------------------------------------------------


@pytest.mark.parametrize("header", [False, True])
def test_bom_is_dropped_from_embeddings(tmp_path, small, header):
    text = (f"{len(small)} {small.dim}\n" if header else "") + _rows(small)
    path = tmp_path / "bom.vec"
    path.write_bytes(BOM + text.encode())
    emb = load_embeddings(path)
    assert emb.words == small.words and emb.words[0] == "the"
    np.testing.assert_allclose(emb.vectors, small.vectors, atol=1e-5)


def test_bom_keeps_the_first_dictionary_pair_and_vocabulary_word(tmp_path, small):
    path = tmp_path / "dict.txt"
    path.write_bytes(BOM + b"the le\nof de\n")
    assert load_dictionary(path) == [("the", "le"), ("of", "de")]
    np.save(tmp_path / "m.npy", small.vectors)
    (tmp_path / "m.vocab").write_bytes(BOM + "\n".join(small.words).encode() + b"\n")
    assert load_embeddings(tmp_path / "m.npy").words[0] == "the"


def test_npz_bytes_words_are_decoded(tmp_path, small):
    np.savez(tmp_path / "b.npz", words=np.array([w.encode() for w in small.words]), vectors=small.vectors)
    assert load_embeddings(tmp_path / "b.npz").words == small.words
    np.savez(tmp_path / "n.npz", words=np.arange(len(small)), vectors=small.vectors)
    with pytest.raises(FileFormatError, match="not text"):
        load_embeddings(tmp_path / "n.npz")


def test_lying_header_is_caught_with_a_vocabulary_limit(small):
    """The app always passes max_vocab; the header count must still be checked."""
    body = _rows(small).encode()
    for declared in (100, 10):   # fewer rows than declared (truncated); more rows than declared
        data = f"{declared} {small.dim}\n".encode() + body
        with pytest.raises(CLWEError, match=rf"up\.vec, line 1: the header declares {declared} words"):
            uploads.load_uploaded_embeddings(data, "up.vec", max_vocab=30 if declared == 10 else 1000)
    ok = f"{len(small)} {small.dim}\n".encode() + body
    assert len(uploads.load_uploaded_embeddings(ok, "up.vec", max_vocab=20)) == 20


def test_evaluate_with_no_covered_pair_is_an_error(tmp_path, small, capsys):
    save_word2vec(small, tmp_path / "s.vec")
    (tmp_path / "d.txt").write_text("zzzz yyyy\nqqqq wwww\n", encoding="utf-8")
    code = main(["evaluate", "--src", str(tmp_path / "s.vec"), "--tgt", str(tmp_path / "s.vec"),
                 "--dictionary", str(tmp_path / "d.txt")])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert "d.txt: none of its 2 source words has a translation" in err


def test_negative_max_iter_is_refused(tmp_path, capsys):
    from core.selflearning import AlignConfig

    with pytest.raises(ConfigError, match="max_iter"):
        AlignConfig(max_iter=-1)
    with pytest.raises(SystemExit) as exit_:
        main(["align", "--src", "en", "--tgt", "fr", "--init", "identical", "--max-iter", "-1",
              "--out", str(tmp_path / "o")])
    assert exit_.value.code == 2 and "--max-iter: must be at least 0" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


# --- unclear messages -----------------------------------------------------------------------------


@pytest.mark.parametrize("first", [b"15OO 50\n", BOM + b"15OO 50\n"])
def test_non_numeric_header_is_named(tmp_path, small, first):
    path = tmp_path / "h.vec"
    path.write_bytes(first + _rows(small).encode())
    with pytest.raises(FileFormatError, match=r"h\.vec, line 1: a bad header '15OO 50'.*two whole numbers"):
        load_embeddings(path)


def test_tab_separated_vectors_load(tmp_path, small):
    path = tmp_path / "tabs.vec"
    path.write_text(_rows(small, sep="\t"), encoding="utf-8")
    emb = load_embeddings(path)
    assert emb.words == small.words
    np.testing.assert_allclose(emb.vectors, small.vectors, atol=1e-5)


def test_glove_row_of_whole_numbers_is_not_a_header(tmp_path):
    path = tmp_path / "glove.txt"
    path.write_text("100 3 2 5\nthe 1 2 3\nof 4 5 6\n", encoding="utf-8")
    emb = load_embeddings(path)
    assert emb.words == ("100", "the", "of") and emb.dim == 3


def _write_space(path, words, dim=8, seed=0):
    rng = np.random.default_rng(seed)
    save_word2vec(cio.Embeddings(words, rng.normal(size=(len(words), dim)), path.name), path)
    return str(path)


def test_identical_seed_on_different_scripts_suggests_another_strategy(tmp_path, capsys):
    src = _write_space(tmp_path / "en.vec", ["ok"] + [f"word{i}" for i in range(60)])
    tgt = _write_space(tmp_path / "ru.vec", ["ok"] + [f"слово{i}" for i in range(60)], seed=1)
    code = main(["align", "--src", src, "--tgt", tgt, "--init", "identical", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "identical seed found only 1 pair" in err and "--init unsupervised" in err
    assert "identical/numerals" not in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("content, found", [("zz yy\nqq ww\n", 0), ("word1 mot1\nzz yy\n", 1)])
def test_align_dictionary_errors_name_the_file(tmp_path, capsys, content, found):
    src = _write_space(tmp_path / "s.vec", [f"word{i}" for i in range(60)])
    tgt = _write_space(tmp_path / "t.vec", [f"mot{i}" for i in range(60)], seed=1)
    (tmp_path / "gold.txt").write_text(content, encoding="utf-8")
    code = main(["align", "--src", src, "--tgt", tgt, "--init", "dictionary", "--dictionary",
                 str(tmp_path / "gold.txt"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and f"gold.txt: {found} of its 2 pairs have both words" in err


# --- tracebacks: every output problem is one line and exit status 2 ----------------------------------


def test_out_is_an_existing_file(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    assert main(["align", "--src", "en", "--tgt", "fr", "--init", "identical", "--out", str(tmp_path / "f")]) == 2
    assert "is an existing file" in capsys.readouterr().err
    assert main(["convert", "en", str(tmp_path), "--max-vocab", "5"]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_out_below_a_file_and_unwritable_folder(tmp_path, capsys, monkeypatch):
    (tmp_path / "f").write_text("x")
    assert main(["convert", "en", str(tmp_path / "f" / "x.vec"), "--max-vocab", "5"]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and "is a file, not a folder" in err and "Traceback" not in err

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path))
    monkeypatch.setattr("tempfile.mkstemp", denied)
    assert main(["convert", "en", str(tmp_path / "x.vec"), "--max-vocab", "5"]) == 2
    assert "permission denied" in capsys.readouterr().err


def test_convert_into_a_missing_folder_creates_it(tmp_path):
    out = tmp_path / "new" / "deeper" / "en.vec"
    assert main(["convert", "en", str(out), "--max-vocab", "7"]) == 0
    assert len(load_embeddings(out)) == 7 and [p.name for p in out.parent.iterdir()] == ["en.vec"]


def _partial_writer(real):
    """A save_word2vec that writes part of the file and then finds the disk full."""
    def write(emb, path, *args, **kwargs):
        with open(path, "w") as f:
            f.write(f"{len(emb)} {emb.dim}\nthe 0.1\n")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    return write


def test_full_disk_during_convert_leaves_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("core.cli.save_word2vec", _partial_writer(save_word2vec))
    assert main(["convert", "en", str(tmp_path / "en.vec"), "--max-vocab", "50"]) == 2
    assert "no space left on the device" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


ALIGN = ["align", "--src", "en", "--tgt", "fr", "--init", "identical", "--max-vocab", "400", "--max-iter", "2",
         "--no-eval"]


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("earlier") / "run"
    assert main(ALIGN + ["--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "dictionary.tsv", "history.jsonl",
                                                     "run.zip", "src.vec", "tgt.vec"]
    return out


def test_full_disk_during_align_leaves_no_results(tmp_path, capsys, monkeypatch):
    # clwe align writes its two spaces through core.io.save_word2vec_all, which calls core.io.save_word2vec
    monkeypatch.setattr("core.io.save_word2vec", _partial_writer(save_word2vec))
    assert main(ALIGN + ["--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "no space left on the device" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []   # no truncated src.vec or history.jsonl that look like results


def test_non_empty_out_is_refused_without_overwrite(earlier_run, capsys):
    before = _tree(earlier_run)
    assert main(ALIGN + ["--out", str(earlier_run)]) == 2
    err = capsys.readouterr().err
    assert "is not empty" in err and "--overwrite" in err
    assert _tree(earlier_run) == before


def test_interrupted_rerun_keeps_the_earlier_run_whole(earlier_run, capsys, monkeypatch):
    from core.selflearning import SelfLearning

    before = _tree(earlier_run)
    real = SelfLearning.step

    def interrupted(self, *args, **kwargs):
        real(self, *args, **kwargs)
        raise KeyboardInterrupt
    monkeypatch.setattr(SelfLearning, "step", interrupted)
    assert main(ALIGN + ["--out", str(earlier_run), "--overwrite"]) == 130
    assert _tree(earlier_run) == before
    assert [p.name for p in earlier_run.parent.iterdir()] == ["run"]   # no partial folder beside it


def test_killed_rerun_leaves_a_complete_run_or_a_hidden_incomplete_folder(earlier_run):
    """SIGKILL (no clean-up at all) in the middle of a re-run with --overwrite."""
    before = _tree(earlier_run)
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", *ALIGN[:-3], "--max-iter", "50",
                             "--collapse-patience", "0", "--out", str(earlier_run), "--overwrite"],
                            cwd=ROOT, stderr=subprocess.PIPE, text=True)
    seen = next((line for line in proc.stderr if "iteration 1:" in line or "error" in line), "")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert "iteration 1:" in seen, seen   # killed mid-run, not refused
    assert _tree(earlier_run) == before
    others = [p for p in earlier_run.parent.iterdir() if p.name != "run"]
    assert all(p.name.startswith(".run.incomplete-") for p in others)


def test_file_size_limit_is_a_clear_error(tmp_path):
    """A real EFBIG: the child process may write at most 64 KB."""
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536)); "
            "from core.cli import main; sys.exit(main(sys.argv[1:]))")
    result = subprocess.run([sys.executable, "-c", code, "convert", "en", str(tmp_path / "en.vec"),
                             "--max-vocab", "2000"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    assert "beyond the allowed size" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


# --- memory and time bounds -----------------------------------------------------------------------


def test_gzip_of_one_endless_line_is_refused_in_bounded_memory(tmp_path):
    path = tmp_path / "bomb.vec.gz"
    with gzip.open(path, "wb", compresslevel=1) as f:
        chunk = b"a" * (1 << 20)
        for _ in range(48):
            f.write(chunk)
    tracemalloc.start()
    try:
        with pytest.raises(FileFormatError, match=r"line 1: a line longer than 1 MB"):
            load_embeddings(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"peak {peak / 2**20:.0f} MB"
    with pytest.raises(CLWEError, match="longer than"):
        uploads.load_uploaded_embeddings(path.read_bytes(), "bomb.vec.gz", max_vocab=1000)


def test_too_many_rows_without_a_limit_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(cio, "MAX_WORDS", 1000)
    path = tmp_path / "rows.txt.gz"
    with gzip.open(path, "wt") as f:
        f.writelines(f"w{i} 1 {i + 1}\n" for i in range(5000))
    with pytest.raises(FileFormatError, match=r"line 1001: more than 1,000 words.*--max-vocab"):
        load_embeddings(path)
    assert len(load_embeddings(path, max_vocab=500)) == 500


def test_huge_dimension_is_refused_at_the_first_line(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "wide.vec"
    with open(path, "w") as f:
        f.write("300 10000\n")
        for i in range(3):
            f.write(f"w{i} " + " ".join(f"{x:.3f}" for x in rng.normal(size=10_000)) + "\n")
    with pytest.raises(FileFormatError, match=r"line 1: 10,000-dimensional vectors, but this lab takes spaces of 2 to 4,096 dimensions \(a limit of the lab"):
        load_embeddings(path)
    path.write_text("w0 " + " ".join(["0.5"] * 10_000) + "\n")   # no header: the first row says it
    with pytest.raises(FileFormatError, match=r"line 1: 10,000-dimensional vectors"):
        load_embeddings(path)


def test_more_dimensions_than_words_is_refused_before_aligning(tmp_path, capsys):
    rng = np.random.default_rng(0)
    for name in ("s", "t"):
        np.savez(tmp_path / f"{name}.npz", words=np.array([f"{name}{i}" for i in range(300)]),
                 vectors=rng.normal(size=(300, 1000)).astype(np.float32))
    code = main(["align", "--src", str(tmp_path / "s.npz"), "--tgt", str(tmp_path / "t.npz"), "--init",
                 "unsupervised", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "1,000 dimensions but only 300 words" in err
    assert not (tmp_path / "o").exists()


def test_npz_member_that_expands_too_far_is_refused(tmp_path, monkeypatch, small):
    monkeypatch.setattr(cio, "MAX_VALUES", 100)
    np.savez_compressed(tmp_path / "z.npz", words=np.array(small.words), vectors=np.ones((3000, 1000), np.float32))
    with pytest.raises(FileFormatError, match="the member 'vectors' expands to"):
        load_embeddings(tmp_path / "z.npz")
