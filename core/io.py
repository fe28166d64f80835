"""Reading and writing embedding spaces, bilingual dictionaries and evaluation datasets.

Formats: word2vec/fastText text (with or without the ``count dim`` header), GloVe text, any of them
gzip-compressed, ``.npy`` + vocabulary file, ``.npz`` (``words`` + ``vectors``), the bundled spaces by
short name, and dictionaries as whitespace pairs (MUSE/VecMap), TSV or FreeDict dictd; word similarity
datasets (``word1 word2 score``) and word analogies (the Google format).

No pickle anywhere: a user-supplied file never executes code.
"""

from __future__ import annotations

import gzip
import itertools
import os
import re
import struct
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from .errors import ConfigError, FileFormatError

SAMPLE_DATA = Path(os.environ.get("CLWE_SAMPLE_DATA", Path(__file__).resolve().parent.parent / "sample_data"))
BUNDLED_SPACES = {"en": "English (GloVe 6B 50d)", "fr": "French (fastText, spaCy fr_core_news_md)",
                  "fi": "Finnish (floret, spaCy fi experimental web md)",
                  "doc_en": "English (skip-gram on documentation, a Bible and game stories)",
                  "doc_fr": "French (skip-gram on documentation, a Bible and game stories)",
                  "doc_de": "German (skip-gram on documentation, a Bible and game stories)",
                  "doc_it": "Italian (skip-gram on documentation, a Bible and game stories)"}

# The two families of bundled pairs, and why the difference matters (Søgaard et al. 2018; Vulić et al. 2019).
FAMILY_TRAINED_DIFFERENTLY = "trained differently"
FAMILY_SAME_ALGORITHM = "same algorithm"
FAMILIES = {
    FAMILY_TRAINED_DIFFERENTLY: "different algorithms, dimensions and corpora (GloVe / fastText / floret): far "
                                "from isomorphic, so fully unsupervised seeds fail or stay below a dictionary "
                                "(README, 'Two families of bundled pairs')",
    FAMILY_SAME_ALGORITHM: "one algorithm, same settings, comparable corpora (Debian's translated documentation, "
                           "a Bible translation and Wesnoth's stories in each language): roughly isomorphic, so "
                           "fully unsupervised mapping works (README, 'Two families of bundled pairs')",
}


@dataclass(frozen=True)
class BundledPair:
    """A bundled language pair: its two spaces, its FreeDict gold splits and the family it belongs to.

    ``same_algorithm`` is true when both spaces come from one algorithm with the same settings on comparable
    corpora, the condition under which unsupervised mapping is expected to work (Søgaard et al. 2018).
    """

    pair: str
    family: str
    description: str

    @property
    def src(self) -> str:
        return self.pair.split("-")[0]

    @property
    def tgt(self) -> str:
        return self.pair.split("-")[1]

    @property
    def same_algorithm(self) -> bool:
        return self.family == FAMILY_SAME_ALGORITHM

    @property
    def why(self) -> str:
        return FAMILIES[self.family]

    def split_path(self, split: str) -> Path:
        return SAMPLE_DATA / "dictionaries" / f"{self.pair}.{split}.txt"

    @property
    def train(self) -> Path:
        return self.split_path("train")

    @property
    def test(self) -> Path:
        return self.split_path("test")

    def as_dict(self) -> dict:
        return {"pair": self.pair, "src": self.src, "tgt": self.tgt, "train": str(self.train),
                "test": str(self.test), "family": self.family, "same_algorithm": self.same_algorithm,
                "description": self.description}


PAIR_REGISTRY = {p.pair: p for p in (
    BundledPair("en-fr", FAMILY_TRAINED_DIFFERENTLY, "English GloVe 50-d vs French fastText 300-d"),
    BundledPair("fi-fr", FAMILY_TRAINED_DIFFERENTLY, "Finnish floret 300-d vs French fastText 300-d"),
    BundledPair("en-fi", FAMILY_TRAINED_DIFFERENTLY, "English GloVe 50-d vs Finnish floret 300-d"),
    BundledPair("doc_en-doc_fr", FAMILY_SAME_ALGORITHM, "English vs French skip-gram, docs + Bible + Wesnoth"),
    BundledPair("doc_en-doc_de", FAMILY_SAME_ALGORITHM, "English vs German skip-gram, docs + Bible + Wesnoth"),
    BundledPair("doc_en-doc_it", FAMILY_SAME_ALGORITHM, "English vs Italian skip-gram, docs + Bible + Wesnoth"),
    BundledPair("doc_de-doc_fr", FAMILY_SAME_ALGORITHM, "German vs French skip-gram, docs + Bible + Wesnoth"),
)}
BUNDLED_PAIRS = tuple(PAIR_REGISTRY)

# Bounds that keep a hostile or mistaken file from taking unbounded memory or time. The largest
# published word embeddings (fastText crawl, 2M x 300) fit well inside them.
MAX_LINE_BYTES = 1 << 20       # one text line: a 4096-d vector at 25 characters per value is 100 KB
MAX_DIM = 4096                 # the lab's limit (d x d mappings in memory); word embeddings have 25-1024
MIN_DIM = 2                    # a mapping between 1-dimensional spaces is only a scaling
MAX_WORDS = 5_000_000          # without --max-vocab; fastText's largest release has 2.5M words
MAX_VALUES = 1 << 30           # words x dim: 4 GiB of float32
MAX_PAIRS = 10_000_000         # dictionary pairs (FreeDict's largest has a few hundred thousand)
_FIELD_SEPARATORS = re.compile(r"[ \t]+")
_BOM = "\ufeff"


@dataclass(frozen=True, eq=False)
class Embeddings:
    """A monolingual (or mapped) embedding space.

    Parameters
    ----------
    words : tuple of str
        The vocabulary, in frequency order: row ``i`` of ``vectors`` is ``words[i]``.
    vectors : ndarray of shape (n_words, dim)
        float32, C-contiguous.
    name : str
        A label for messages and plots (file name or bundled short name).
    subwords : callable or None
        For a fastText ``.bin`` model: ``subwords(word)`` is the vector fastText builds for any word
        from its character n-grams (Bojanowski et al. 2017), in the space *as loaded* (before any
        normalisation or mapping; see :func:`core.selflearning.SelfLearning.query_vector`). None for
        formats without subword information.
    """

    words: tuple[str, ...]
    vectors: np.ndarray
    name: str = ""
    subwords: Callable[[str], np.ndarray] | None = field(default=None, repr=False, compare=False)
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self):
        words = tuple(self.words)
        vectors = np.ascontiguousarray(self.vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise ValueError(f"{len(words)} words but vectors of shape {vectors.shape}")
        object.__setattr__(self, "words", words)
        object.__setattr__(self, "vectors", vectors)
        object.__setattr__(self, "index", {w: i for i, w in enumerate(words)})
        if len(self.index) != len(words):
            raise ValueError("duplicate words in an Embeddings; load through load_embeddings to drop them")

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word) -> bool:
        return word in self.index

    def __repr__(self) -> str:
        return f"Embeddings({self.name!r}, n={len(self)}, dim={self.dim})"

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def vector(self, word: str) -> np.ndarray:
        """The row of ``word``; raises KeyError with the space's name if it is missing."""
        try:
            return self.vectors[self.index[word]]
        except KeyError:
            raise KeyError(f"'{word}' is not in the vocabulary of {self.name or 'this space'}") from None

    def head(self, n: int) -> "Embeddings":
        """The ``n`` most frequent words (the first ``n`` rows)."""
        if n >= len(self):
            return self
        return Embeddings(self.words[:n], self.vectors[:n], self.name, self.subwords)

    def with_vectors(self, vectors: np.ndarray) -> "Embeddings":
        """Same words, new matrix (normalised or mapped); the dimension may change. ``subwords`` is kept
        and still gives vectors of the space as loaded."""
        return Embeddings(self.words, vectors, self.name, self.subwords)


# --------------------------------------------------------------------------------------------------
# Embeddings: loading


def load_embeddings(source: str | Path, max_vocab: int | None = None, name: str | None = None,
                    vocab: str | Path | None = None,
                    progress: Callable[[float], None] | None = None) -> Embeddings:
    """Load an embedding space from a bundled short name or a file.

    Parameters
    ----------
    source : str or Path
        a key of :data:`BUNDLED_SPACES` (``"en"``, ``"doc_fr"``, ...) for a bundled space; otherwise a path to word2vec/fastText text
        (with or without header), GloVe text, either gzip-compressed, a ``.npy`` matrix with a vocabulary
        file beside it (one word per line: ``X.vocab``, ``X.words.txt`` or ``X.txt``) or a ``.npz``
        holding ``words`` and ``vectors``.
    max_vocab : int, optional
        Keep only the first ``max_vocab`` words (files are in frequency order); reading stops early.
    name : str, optional
        Label for the space; defaults to the short name or the file name.
    vocab : path, optional
        The vocabulary file of a ``.npy`` matrix, when it is not beside it.
    progress : callable, optional
        ``progress(fraction)`` while a text file is read (the larger of the share of its bytes, compressed
        bytes for ``.gz``, and the share of the rows to keep when ``max_vocab`` or a header says how many),
        and ``progress(1.0)`` once the space is read. It changes nothing in what is read.

    Raises
    ------
    FileFormatError
        When the file cannot be read; the message names the file, the line and what to fix.
    """
    if max_vocab is not None and max_vocab < 1:
        raise ConfigError(f"max_vocab must be a positive number of words, got {max_vocab}")
    if str(source) in BUNDLED_SPACES:
        return _load_bundled_space(str(source), max_vocab)
    path = Path(source)
    if path.is_dir():
        raise FileFormatError(path, None, "a folder, not a file", "Give the embedding file itself")
    if not path.is_file():
        hint = f"Bundled spaces are {', '.join(BUNDLED_SPACES)}." if not path.suffix else "Check the path."
        raise FileFormatError(path, None, "no such file", hint)
    label = name or path.name
    suffix = path.suffix.lower()
    if suffix == ".bin" and _is_fasttext_bin(path):
        words, vectors, subwords = _read_fasttext_bin(path, max_vocab)
        return Embeddings(words, vectors, label, subwords)
    if suffix == ".npy":
        words, vectors = _read_npy(path, vocab, max_vocab)
    elif suffix == ".npz":
        words, vectors = _read_npz(path, max_vocab)
    else:
        words, vectors = _read_text(path, max_vocab, progress)
    if progress is not None:
        progress(1.0)
    return Embeddings(words, vectors, label)


FASTTEXT_MAGIC = (793712314).to_bytes(4, "little")  # fastText's FASTTEXT_FILEFORMAT_MAGIC_INT32


def _is_fasttext_bin(path: Path) -> bool:
    """A fastText model starts with its magic number; any other .bin goes to the text reader, which names
    binary word2vec files and garbage as such."""
    with open(path, "rb") as f:
        return f.read(4) == FASTTEXT_MAGIC


def _read_fasttext_bin(path: Path, max_vocab: int | None):
    """A fastText ``.bin`` model (Bojanowski et al. 2017): its words in frequency order, their vectors and
    a function giving any word's vector from its character n-grams.

    Read with gensim's own functions for fastText's binary layout (``gensim.models._fasttext_bin``: the header
    fields, the vocabulary, the matrix header; nothing in the file is executed), but only what is kept: the
    vocabulary's strings are read in full (a few tens of MB for 2M words), the input matrix is memory-mapped,
    and of its rows only the first ``max_vocab`` word rows are copied; the n-gram bucket rows are read from the
    file as the kept words' vectors (gensim's ``adjust_vectors``) and unknown words (``get_vector``) need them.
    ``load_facebook_vectors`` instead reads the whole matrix (every word and every bucket: 4.8 GB for a 2M-word,
    2M-bucket, 300-d model) and composes the vectors of all its words. The vectors are gensim's, bit for bit
    (``tests/test_fasttext_bin.py`` compares them with ``load_facebook_vectors``).
    """
    try:
        from gensim.models import _fasttext_bin as ftb
        from gensim.models.fasttext import FastTextKeyedVectors
    except ImportError:
        raise FileFormatError(path, None, "reading fastText .bin models needs gensim",
                              "pip install gensim (or convert the model to .vec text first)") from None
    try:
        with open(path, "rb") as fin:
            magic, _version = ftb._struct_unpack(fin, "@2i")
            header = {name: ftb._struct_unpack(fin, fmt)[0] for name, fmt in ftb._NEW_HEADER_FORMAT}
            raw_vocab, _vocab_size, nwords, _ntokens = ftb._load_vocab(fin, True)
            quantized, = ftb._struct_unpack(fin, "@?")
            num_vectors, dim = ftb._struct_unpack(fin, "@2q")
            offset = fin.tell()
    except (ValueError, OSError, EOFError, AssertionError, NotImplementedError, MemoryError, struct.error) as e:
        raise FileFormatError(path, None, f"cannot read the fastText model ({type(e).__name__}: {str(e)[:200]})",
                              "Check that the file is complete") from None
    if quantized:
        raise FileFormatError(path, None, "a quantized fastText model (.ftz)",
                              "Use the full .bin model (quantized models have no plain vectors)")
    bucket = int(header["bucket"])
    if num_vectors != nwords + bucket or dim != header["dim"] or len(raw_vocab) != nwords:
        raise FileFormatError(path, None, f"the matrix holds {num_vectors} rows of {dim}, but the model has "
                              f"{nwords} words, {bucket} n-gram buckets and {header['dim']} dimensions",
                              "Check that the file is complete")
    itemsize = ftb._FLOAT_DTYPE.itemsize
    if path.stat().st_size < offset + num_vectors * dim * itemsize:
        raise FileFormatError(path, None, "the file ends inside its vectors (truncated)",
                              "Download or copy the model again")
    n = nwords if max_vocab is None else min(max_vocab, nwords)
    _check_size(path, None, dim, n)
    words = [str(w) for w in itertools.islice(raw_vocab, n)]
    _check_words(path, words, lambda i: None)
    matrix = np.memmap(path, dtype=ftb._FLOAT_DTYPE, mode="r", offset=offset, shape=(num_vectors, dim))
    kv = FastTextKeyedVectors(vector_size=dim, min_n=header["minn"], max_n=header["maxn"], bucket=bucket)
    kv.index_to_key = list(words)
    kv.key_to_index = {w: i for i, w in enumerate(words)}
    kv.vectors_vocab = np.array(matrix[:n])      # the kept words' own rows
    kv.vectors_ngrams = matrix[nwords:]          # buckets stay on disk; rows are read when used
    kv.recalc_char_ngram_buckets()
    kv.adjust_vectors()                          # fastText's word vector: its row and its n-grams' mean
    vectors = np.array(kv.vectors, dtype=np.float32)
    words, vectors = _checked(path, words, vectors, line_of_row=None)

    def subwords(word: str) -> np.ndarray:
        """fastText's vector of ``word``: its own if kept, else the mean of its n-gram vectors."""
        return np.asarray(kv.get_vector(word), dtype=np.float32)

    return words, vectors, subwords


def _load_bundled_space(short: str, max_vocab: int | None) -> Embeddings:
    npy = SAMPLE_DATA / f"{short}.npy"
    if not npy.is_file():
        raise FileFormatError(npy, None, "the bundled space is missing",
                              "Rebuild it with `python scripts/build_doc_spaces.py`" if short.startswith("doc_")
                              else "Rebuild it with `python scripts/build_sample_data.py`")
    words, vectors = _read_npy(npy, SAMPLE_DATA / f"{short}.words.txt", max_vocab)
    return Embeddings(words, vectors, short)


def _vocab_beside(path: Path) -> Path:
    for candidate in (path.with_suffix(".vocab"), path.with_suffix(".words.txt"), path.with_suffix(".txt")):
        if candidate.is_file():
            return candidate
    raise FileFormatError(path, None, "no vocabulary file found beside the matrix",
                          f"Put one word per line in {path.with_suffix('.vocab').name}")


def _read_npy(path: Path, vocab: str | Path | None, max_vocab: int | None):
    try:
        matrix = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:  # pickled object arrays, bad magic, truncated or empty data
        raise FileFormatError(path, None, f"not a plain numeric .npy array ({type(e).__name__}: {str(e)[:200]})",
                              "Save the matrix with numpy.save from a float array") from None
    vocab_path = Path(vocab) if vocab is not None else _vocab_beside(path)
    words = _read_word_list(vocab_path)
    if matrix.ndim == 2:
        _check_size(path, None, matrix.shape[1], len(words) if max_vocab is None else min(max_vocab, len(words)))
    if matrix.ndim != 2 or matrix.shape[0] != len(words):
        raise FileFormatError(path, None, f"a matrix of shape {matrix.shape} does not fit the {len(words)} words "
                              f"of {vocab_path.name}", "Use one matrix row per vocabulary line")
    n = len(words) if max_vocab is None else min(max_vocab, len(words))
    words, block = _checked(path, words[:n], np.asarray(matrix[:n]), line_of_row=None)
    return _drop_duplicates(vocab_path, words, block, lambda i: i + 1)


def _read_npz(path: Path, max_vocab: int | None):
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise FileFormatError(path, None, "this is a single .npy array, not an .npz archive",
                                  "Rename it to .npy and put its words in a .vocab file beside it")
        with archive:
            keys = set(archive.files)
            wkey = next((k for k in ("words", "vocab", "vocabulary") if k in keys), None)
            vkey = next((k for k in ("vectors", "embeddings", "matrix") if k in keys), None)
            if wkey is None or vkey is None:
                raise FileFormatError(path, None, f"the archive holds {sorted(keys)[:10]}",
                                      "Store the words as 'words' and the matrix as 'vectors'")
            _check_npz_member_sizes(path, archive, (wkey, vkey))
            words, matrix = _npz_head(archive, wkey, max_vocab), _npz_head(archive, vkey, max_vocab)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, KeyError, NotImplementedError) as e:
        if isinstance(e, FileFormatError):
            raise
        raise FileFormatError(path, None, f"cannot read the .npz archive ({type(e).__name__}: {str(e)[:200]})",
                              "Store plain arrays with numpy.savez; object arrays are refused") from None
    if words.ndim != 1 or matrix.ndim != 2 or len(words) != matrix.shape[0]:
        raise FileFormatError(path, None, f"{words.shape} words do not fit a matrix of shape {matrix.shape}")
    _check_size(path, None, matrix.shape[1], len(words) if max_vocab is None else min(max_vocab, len(words)))
    words = _npz_words(path, words[:max_vocab])
    words, matrix = _checked(path, words, matrix[:len(words)], line_of_row=None)
    return _drop_duplicates(path, words, matrix, lambda i: None)


def _npz_head(archive, key: str, n: int | None) -> np.ndarray:
    """The first ``n`` rows of an .npz member, decompressing only those (a 2M-word archive read with
    ``--max-vocab 200000`` reads a tenth of it); the whole member when ``n`` is None or the layout is not
    plain C order."""
    if n is None:
        return archive[key]
    with archive.zip.open(f"{key}.npy") as f:
        version = np.lib.format.read_magic(f)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)  # numpy's own parser (no pickle)
        shape, fortran, dtype = read_header(f)
        if fortran or dtype.hasobject or len(shape) == 0:
            return archive[key]
        rows = min(n, shape[0])
        count = rows * int(np.prod(shape[1:], dtype=np.int64))
        data = f.read(count * dtype.itemsize)
    if len(data) != count * dtype.itemsize:
        raise ValueError(f"the member '{key}' is truncated")
    return np.frombuffer(data, dtype=dtype).reshape((rows, *shape[1:])).copy()


def _check_npz_member_sizes(path: Path, archive, keys) -> None:
    """Refuse members that would expand beyond the memory bound before decompressing them (zip bombs)."""
    for key in keys:
        try:
            size = archive.zip.getinfo(f"{key}.npy").file_size
        except KeyError:
            continue
        if size > 4 * MAX_VALUES + (1 << 20):
            raise FileFormatError(path, None, f"the member '{key}' expands to {size / 2**30:,.1f} GiB",
                                  f"Keep at most {MAX_VALUES:,} values (words x dimensions)")


def _npz_words(path: Path, words: np.ndarray) -> list[str]:
    """Words of an .npz as str: unicode arrays as they are, bytes arrays (``S`` dtype) decoded as UTF-8."""
    if words.dtype.kind == "U":
        out = [str(w) for w in words]
    elif words.dtype.kind == "S":
        try:
            out = [w.decode("utf-8") for w in words.tolist()]
        except UnicodeDecodeError:
            raise FileFormatError(path, None, "the words are bytes that are not UTF-8",
                                  "Store the words as a str array (numpy dtype U) or UTF-8 bytes") from None
    else:
        raise FileFormatError(path, None, f"the words array has dtype {words.dtype}, not text",
                              "Store the words as a str array (numpy dtype U)")
    _check_words(path, out, lambda i: None)
    return out


def _check_words(path: Path, words: list[str], line_of) -> None:
    """A word is non-empty and holds no space, tab or line break (word2vec text could not be re-read)."""
    for i, w in enumerate(words):
        if not w or any(c in w for c in " \t\r\n"):
            where = line_of(i)
            raise FileFormatError(path, where, f"word {i + 1} ({w[:40]!r}) is empty or holds white space"
                                  if where is None else f"the word {w[:40]!r} is empty or holds white space",
                                  "Join multi-word entries with '_' (as word2vec phrases do)")


def _read_word_list(path: Path) -> list[str]:
    words = []
    for lineno, line in _numbered_lines(path):
        word = line.strip()
        if not word:
            raise FileFormatError(path, lineno, "an empty line in the vocabulary", "Put exactly one word per line")
        if any(c in word for c in " \t"):
            raise FileFormatError(path, lineno, f"the word {word[:40]!r} holds white space",
                                  "Put exactly one word per line; join multi-word entries with '_'")
        words.append(word)
        if len(words) > MAX_WORDS:
            raise FileFormatError(path, lineno, f"more than {MAX_WORDS:,} words in the vocabulary",
                                  "Keep the most frequent words")
    return words


def _open_binary(path: Path):
    with open(path, "rb") as f:
        magic = f.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


PROGRESS_LINES = 4096   # lines between two progress reports of a text file


def _numbered_lines(path: Path, max_line: int = MAX_LINE_BYTES,
                    progress: Callable[[float], None] | None = None) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, decoded line); errors name the line.

    ``progress(fraction of the file's bytes read)`` is called every ``PROGRESS_LINES`` lines (for a gzip
    file, the compressed bytes).

    A line is read at most ``max_line`` bytes at a time, so a file that expands to one endless line
    (a gzip bomb, a binary file) is refused without reading it into memory. A UTF-8 byte order mark at the
    start is dropped (Windows editors write one).
    """
    try:
        total = max(path.stat().st_size, 1) if progress is not None else 1
        with _open_binary(path) as f:
            raw_file = getattr(f, "fileobj", None) or f   # gzip: where it is in the compressed bytes
            lineno = 0
            while raw := f.readline(max_line + 1):
                lineno += 1
                if progress is not None and lineno % PROGRESS_LINES == 0:
                    progress(min(raw_file.tell() / total, 1.0))
                if len(raw) > max_line:
                    raise FileFormatError(path, lineno, f"a line longer than {max_line / 2**20:g} MB",
                                          f"An embedding row holds at most {MAX_DIM} values and a dictionary "
                                          "line two words; is this the right file?")
                if b"\x00" in raw:
                    raise FileFormatError(path, lineno, "binary data where text was expected",
                                          "Give a text file (binary word2vec .bin is not supported; "
                                          "convert it to .vec text first)")
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise FileFormatError(path, lineno, f"bytes that are not UTF-8 (at byte {e.start})",
                                          "Save the file as UTF-8") from None
                yield lineno, (line[1:] if lineno == 1 and line.startswith(_BOM) else line)
    except (OSError, EOFError, zlib.error) as e:  # gzip.BadGzipFile is an OSError
        raise FileFormatError(path, None, f"cannot read the file ({type(e).__name__}: {str(e)[:200]})",
                              "Check that it is complete") from None


def _is_int(token: str) -> bool:
    return token.isascii() and token.isdigit()


def _fields(line: str) -> list[str]:
    """Split a row on single spaces (fastText/GloVe); runs of spaces or tabs also separate fields.

    Words may hold other white space (U+00A0), so only space and tab separate.
    """
    stripped = line.rstrip("\r\n ")
    tokens = stripped.split(" ")
    if "" in tokens or "\t" in stripped:
        tokens = [t for t in _FIELD_SEPARATORS.split(stripped) if t]
    return tokens


def dimension_limit(dim: int) -> str:
    """The lab's dimension limits, said as the lab's (not as a fault in the file)."""
    return (f"{dim:,}-dimensional vectors, but this lab takes spaces of {MIN_DIM} to {MAX_DIM:,} dimensions "
            "(a limit of the lab, not an error in the file)")


def _check_size(path: Path, lineno: int | None, dim: int, n_words: int) -> None:
    """Refuse a dimension or a matrix beyond the bounds (MAX_DIM, MAX_WORDS, MAX_VALUES)."""
    if dim > MAX_DIM or dim < MIN_DIM:
        raise FileFormatError(path, lineno, dimension_limit(dim), "Reduce the space to at most "
                              f"{MAX_DIM:,} dimensions first (e.g. PCA to 300), or check that the matrix is not "
                              "transposed" if dim > MAX_DIM else "Use vectors of at least 2 dimensions "
                              "(word embeddings have 25-1,024)")
    if n_words > MAX_WORDS or n_words * dim > MAX_VALUES:
        count = f"more than {n_words - 1:,}" if lineno is not None else f"{n_words:,}"  # text: counted so far
        raise FileFormatError(path, lineno, f"{count} words of {dim} "
                              f"dimensions, beyond the lab's memory bound ({MAX_WORDS:,} words, "
                              f"{MAX_VALUES:,} values)", "Read only the most frequent words (--max-vocab N)")


def _read_text(path: Path, max_vocab: int | None, progress: Callable[[float], None] | None = None):
    """word2vec/fastText text (optional ``count dim`` header) or GloVe text; space- or tab-separated.

    A header is exactly two whole numbers on the first line; any other first line is a vector row (a
    GloVe row may be all numbers, e.g. the word ``100``).
    """
    words: list[str] = []
    lines_of_rows: list[int] = []
    matrix = np.empty((0, 0), np.float32)
    declared = dim = None
    first_row_numeric = False

    def report(byte_share: float) -> None:
        # with --max-vocab or a header, the rows kept so far say more than the bytes (reading stops early)
        expected = min(x for x in (max_vocab, declared, MAX_WORDS) if x)
        progress(min(max(byte_share, len(words) / expected), 0.99))

    for lineno, line in _numbered_lines(path, progress=report if progress is not None else None):
        tokens = _fields(line)
        if not tokens:
            continue
        if lineno == 1 and len(tokens) == 2:
            # a word and one value: 1-d rows -- unless it reads as a mistyped header ('15OO 50')
            typo = tokens[0][:1].isdigit() and _is_int(tokens[1])
            if not _is_int(tokens[0]) and _is_float(tokens[1]) and not typo:
                raise FileFormatError(path, 1, dimension_limit(1), "Use vectors of at least 2 dimensions "
                                      "(word embeddings have 25-1,024)")
            if not (_is_int(tokens[0]) and _is_int(tokens[1])):
                raise FileFormatError(path, 1, f"a bad header {line.strip()[:60]!r}",
                                      "A word2vec header is '<word count> <dimension>', two whole numbers "
                                      "(and 1-dimensional vectors are not supported)")
            declared, dim = int(tokens[0]), int(tokens[1])
            if dim < 1:
                raise FileFormatError(path, 1, f"a header that declares dimension {dim}",
                                      "A word2vec header is '<word count> <dimension>'")
            _check_size(path, 1, dim, 0)
            continue
        if dim is None:
            dim = len(tokens) - 1
            if dim < 1:
                raise FileFormatError(path, lineno, "a word with no vector",
                                      "Every row must be a word followed by its values, separated by spaces")
            _check_size(path, lineno, dim, 0)
            first_row_numeric = lineno == 1 and all(_is_int(t) for t in tokens)
            first_row = " ".join(tokens)
        if len(tokens) != dim + 1:
            hint = "Every row must be a word followed by the same number of values"
            if first_row_numeric and len(words) == 1:
                hint += (f"; line 1 ('{first_row[:40]}') was read as a vector row, since a word2vec "
                         "header is exactly two numbers")
            raise FileFormatError(path, lineno, f"{len(tokens) - 1} values where {dim} were expected", hint)
        n = len(words)
        if n == len(matrix):
            _check_size(path, lineno, dim, n + 1)
            matrix = _grown(matrix, n, dim, max_vocab)
        try:
            matrix[n] = tokens[1:]
        except ValueError:
            bad = next((t for t in tokens[1:] if not _is_float(t)), tokens[1])
            raise FileFormatError(path, lineno, f"{bad[:40]!r} is not a number") from None
        words.append(tokens[0])
        lines_of_rows.append(lineno)
        if max_vocab is not None and len(words) >= max_vocab:
            break
    if not words:
        raise FileFormatError(path, None, "no word vectors found (the file is empty)",
                              "Give a word2vec, fastText or GloVe text file")
    stopped_early = max_vocab is not None and len(words) >= max_vocab
    if declared is not None and (declared < len(words) or (declared != len(words) and not stopped_early)):
        raise FileFormatError(path, 1, f"the header declares {declared} words but the file has "
                              f"{'more than ' if stopped_early else ''}{len(words)}",
                              "Fix the header or the file (it may be truncated)")
    matrix = matrix if len(matrix) == len(words) else matrix[:len(words)].copy()  # free the spare rows
    words, matrix = _checked(path, words, matrix, lines_of_rows)
    return _drop_duplicates(path, words, matrix, lambda i: lines_of_rows[i])


def _grown(matrix: np.ndarray, n: int, dim: int, max_vocab: int | None) -> np.ndarray:
    """A float32 buffer of twice the rows (within ``max_vocab`` and the bounds) holding the first ``n`` rows."""
    rows = min(max(1024, 2 * n), MAX_WORDS, MAX_VALUES // dim)  # grows exactly at the bound, never past it
    if max_vocab is not None:
        rows = min(rows, max_vocab)
    rows = max(rows, n + 1)
    grown = np.empty((rows, dim), np.float32)
    if n:
        grown[:n] = matrix[:n]
    return grown


def _is_float(token: str) -> bool:
    try:
        float(token)
        return True
    except ValueError:
        return False


def _drop_duplicates(path, words, matrix, line_of):
    """Keep the first occurrence of each word (files are in frequency order) and warn."""
    seen: dict[str, int] = {}
    keep = []
    dupes = []
    for i, w in enumerate(words):
        if w in seen:
            dupes.append((w, line_of(i)))
        else:
            seen[w] = i
            keep.append(i)
    if dupes:
        w, line = dupes[0]
        where = f", first at line {line}" if line is not None else ""
        warnings.warn(f"{path}: {len(dupes)} duplicate word(s) dropped, keeping the first occurrence "
                      f"('{w}'{where})", stacklevel=3)
        words = [words[i] for i in keep]
        matrix = matrix[keep]
    return words, matrix


def _checked(path, words, matrix, line_of_row):
    """Refuse non-numeric, NaN/inf and all-zero rows, naming the first bad line."""
    if not np.issubdtype(matrix.dtype, np.number) or np.iscomplexobj(matrix):
        raise FileFormatError(path, None, f"the matrix has dtype {matrix.dtype}", "Use float32 or float64")
    matrix = np.asarray(matrix, dtype=np.float32)

    def where(row):
        return line_of_row[row] if line_of_row is not None else None

    finite = np.isfinite(matrix).all(axis=1)
    if not finite.all():
        row = int(np.argmin(finite))
        raise FileFormatError(path, where(row), f"the vector of '{words[row]}' contains NaN or infinity"
                              + ("" if line_of_row is not None else f" (row {row})"),
                              "Remove the word or fix its values")
    zero = ~matrix.any(axis=1)
    if zero.any():
        row = int(np.argmax(zero))
        raise FileFormatError(path, where(row), f"the vector of '{words[row]}' is all zeros"
                              + ("" if line_of_row is not None else f" (row {row})") +
                              f" ({int(zero.sum())} such rows)",
                              "All-zero vectors have no direction; remove those words")
    return words, matrix


def check_alignable(emb: Embeddings) -> None:
    """Refuse a space with more dimensions than words before any d x d work starts.

    Such a space is rank-deficient (its words span at most ``n_words`` of the ``dim`` directions), so the
    whitening and orthogonal mappings of self-learning are not determined by the data, and their d x d
    matrices make a 10,000-d space of 300 words take minutes. It is usually a transposed matrix or a
    file cut too short.
    """
    if emb.dim > len(emb):
        raise ConfigError(f"{emb.name or 'a space'} has {emb.dim:,} dimensions but only {len(emb):,} words; a "
                          "mapping needs more words than dimensions (is the matrix transposed, or the vocabulary "
                          "cut too short with --max-vocab?)")


# --------------------------------------------------------------------------------------------------
# Embeddings: writing


def save_word2vec(emb: Embeddings, path: str | Path, precision: int = 6) -> None:
    """Write ``emb`` as word2vec text with a ``count dim`` header (gzip when the name ends in .gz).

    Values are written in fixed point with enough decimals that a typical (median) value keeps
    ``precision`` significant digits (unit rows of 300 dimensions: 7 decimals); the text is built by array arithmetic
    (:func:`_fixed_point_rows`), about twenty times faster than ``%g`` formatting (200k x 300 in seconds).
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    sizes = np.abs(emb.vectors[:10000]).ravel()
    sizes = sizes[np.isfinite(sizes) & (sizes > 0)]
    typical = float(np.median(sizes)) if sizes.size else 1.0
    largest = float(np.abs(emb.vectors).max()) if emb.vectors.size else 0.0
    decimals = int(min(max(precision - 1 - int(np.floor(np.log10(typical))), 1), 12))
    int_digits = max(1, int(np.floor(np.log10(largest))) + 1 if largest >= 1 else 1)
    with opener(path, "wb") as f:
        f.write(f"{len(emb)} {emb.dim}\n".encode())
        for start in range(0, len(emb), 4096):
            rows = _fixed_point_rows(emb.vectors[start:start + 4096], decimals, int_digits)
            words = emb.words[start:start + 4096]
            f.write(b"".join(w.encode("utf-8") + b" " + r for w, r in zip(words, rows)))


# Below this many values (words x dims, all spaces together) the spaces are written one after the other: starting
# a writer process (about half a second) costs more than it saves.
PARALLEL_WRITE_VALUES = 8_000_000


def save_word2vec_all(spaces, precision: int = 6) -> None:
    """Write several spaces as :func:`save_word2vec` does, all but the last in forked writer processes meanwhile.

    Formatting 200k x 300 values as text takes about 4.5 CPU seconds per space, so the two mapped spaces of
    ``clwe align`` are written side by side, one per core. The bytes of every file are exactly those of
    :func:`save_word2vec` (the same function writes them). A writer is a ``fork`` of this process (no copy of
    the matrix, nothing re-imported, unlike a spawned process, which would re-run an unguarded calling script):
    it only formats and writes, touching no BLAS or thread pool of the parent, and leaves with ``os._exit``.
    A writer that fails is retried here, so its error is raised as :func:`save_word2vec` raises it. Without
    ``os.fork`` (Windows) or below ``PARALLEL_WRITE_VALUES`` the spaces are written one after the other.

    Parameters
    ----------
    spaces : sequence of (Embeddings, path)
    precision : int
    """
    spaces = list(spaces)
    values = sum(emb.vectors.size for emb, _ in spaces)
    if len(spaces) < 2 or values < PARALLEL_WRITE_VALUES or not hasattr(os, "fork"):
        for emb, path in spaces:
            save_word2vec(emb, path, precision)
        return
    *others, (last, last_path) = spaces
    children = []
    for emb, path in others:
        pid = os.fork()
        if pid == 0:   # the writer: format, write, leave without running any of the parent's cleanup
            code = 1
            try:
                save_word2vec(emb, path, precision)
                code = 0
            finally:
                os._exit(code)
        children.append((pid, emb, path))
    try:
        save_word2vec(last, last_path, precision)
    finally:   # reap every writer, also when this one failed
        failed = [(emb, path) for pid, emb, path in children if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) != 0]
    for emb, path in failed:
        save_word2vec(emb, path, precision)   # again here: its error (disk full, ...) is raised as usual


_DIGITS = {w: np.frombuffer("".join(f"{i:0{w}d}" for i in range(10 ** w)).encode(), np.uint8).reshape(-1, w)
           for w in (1, 2, 3, 4)}
_DIGIT_WORDS = np.ascontiguousarray(_DIGITS[4]).view(np.uint32).ravel()   # "0000".."9999" as 4-byte words


def _fixed_point_rows(V: np.ndarray, decimals: int, int_digits: int) -> list[bytes]:
    """Rows of ``V`` as space-separated fixed-point text (``-0.0123457``), each ending in a newline.

    Every value gets a fixed-width slot of bytes (sign, integer digits, point, decimals, separator); unused
    leading slots hold 0 and are dropped at the end, which gives variable-width text without a Python loop
    over values.
    """
    V = np.asarray(V, np.float64)
    n, d = V.shape
    scale = 10 ** decimals
    q = np.rint(np.abs(V) * scale).astype(np.int64)
    ip, fp = np.divmod(q, scale)
    width = 1 + int_digits + 1 + decimals + 1
    out = np.zeros((n, d, width), np.uint8)
    out[..., 0] = np.where(V < 0, ord("-"), 0)
    for k in range(int_digits):
        place = 10 ** (int_digits - 1 - k)
        digit = (ip // place) % 10
        if k == int_digits - 1:   # the units digit is always shown
            out[..., 1 + k] = 48 + digit
        else:
            out[..., 1 + k] = np.where(ip >= place, 48 + digit, 0)
    out[..., 1 + int_digits] = ord(".")
    # Decimals four at a time from a table of "0000".."9999" read as 4-byte words: one gather per group into
    # a contiguous buffer (groups padded with leading zeros on the left), then one copy into the slots.
    groups = -(-decimals // 4)
    words = np.empty((n, d, groups), np.uint32)
    for g in range(groups - 1, -1, -1):
        fp, chunk = np.divmod(fp, 10000)
        words[..., g] = _DIGIT_WORDS[chunk]
    out[..., 2 + int_digits:2 + int_digits + decimals] = words.view(np.uint8).reshape(n, d, 4 * groups)[..., -decimals:]
    out[..., -1] = ord(" ")
    out[:, -1, -1] = ord("\n")
    keep = out != 0
    flat = out[keep].tobytes()
    ends = np.cumsum(keep.reshape(n, -1).sum(axis=1))
    starts = np.concatenate([[0], ends[:-1]])
    return [flat[a:b] for a, b in zip(starts.tolist(), ends.tolist())]


# --------------------------------------------------------------------------------------------------
# Dictionaries and evaluation datasets (word similarity, analogies)


def _content_lines(path: Path, what: str, unit: str, too_many: str) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, stripped line) of a text list (dictionary, word similarity, analogies).

    Blank lines and lines starting with ``#`` are skipped. A missing file or a folder is refused (``what``
    names the kind of file in the hint), and so is a file of more than ``MAX_PAIRS`` such lines, each
    one of ``unit`` (``too_many``: the hint saying why that many is suspect).
    """
    if not path.is_file():
        raise FileFormatError(path, None, "a folder, not a file" if path.is_dir() else "no such file",
                              f"Check the path of the {what}")
    count = 0
    for lineno, line in _numbered_lines(path):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        count += 1
        if count > MAX_PAIRS:
            raise FileFormatError(path, lineno, f"more than {MAX_PAIRS:,} {unit}", too_many)
        yield lineno, stripped


def _split_line(stripped: str) -> list[str]:
    """The fields of a list line: tab-separated when it holds a tab (a field may then hold spaces),
    otherwise separated by runs of white space."""
    return [f.strip() for f in stripped.split("\t")] if "\t" in stripped else stripped.split()


def load_dictionary(path: str | Path) -> list[tuple[str, str]]:
    """Read bilingual pairs: ``src tgt`` per line (MUSE/VecMap), TSV, or a FreeDict dictd ``.index``.

    Blank lines and lines starting with ``#`` are skipped; duplicate pairs are kept once, in order.
    In TSV files (any tab in the line) the first two columns are used.
    """
    path = Path(path)
    if path.suffix == ".index" and path.is_file():
        from ._dictd import read_dictd
        pairs = read_dictd(path)
    else:
        pairs = []
        for lineno, stripped in _content_lines(path, "dictionary", "translation pairs", "A bilingual dictionary for "
                                               "BLI holds thousands of pairs; is this the right file?"):
            fields = _split_line(stripped)
            if len(fields) < 2 or ("\t" not in stripped and len(fields) != 2) or not all(fields[:2]):
                raise FileFormatError(path, lineno, f"expected two words, got {len(fields)} field(s)",
                                      "Write one 'source target' pair per line (or source<TAB>target)")
            pairs.append((fields[0], fields[1]))
    if not pairs:
        raise FileFormatError(path, None, "no translation pairs found", "Write one 'source target' pair per line")
    return list(dict.fromkeys(pairs))


SIMILARITY_HINT = ("Write one 'word1 word2 score' pair per line (whitespace or tabs), or name the score's column "
                   "(SimLex-999.txt keeps it in column 4: --similarity-column 4)")


def _finite(token: str) -> float | None:
    """``token`` as a finite float, or None."""
    try:
        value = float(token)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def load_similarity(path: str | Path, column: int = 3) -> list[tuple[str, str, float]]:
    """Read a word-similarity dataset: ``word1 word2 score`` per line (SimLex-999, WordSim-353, MEN,
    SemEval-2017 Task 2 with its gold scores pasted beside the pairs, ...).

    Fields are separated by tabs when a line holds one (a field may then hold spaces), otherwise by white
    space; the two words are the first two fields and the score is field ``column`` (1-based; 3 by
    default, 4 for SimLex-999.txt as distributed), other columns ignored. Blank lines and ``#`` comments are
    skipped. The first line is a header, and skipped, when its score field is not a number (SimLex-999
    has one); on any later line a missing or non-numeric score is an error naming the line. Every line
    is one judgement: a repeated pair is kept as often as it occurs (the dataset's own weighting), and
    words are looked up as written (no lower-casing).

    Returns
    -------
    list of (word1, word2, score)
    """
    path = Path(path)
    if column < 3:
        raise ConfigError(f"the score column must be 3 or more (columns 1 and 2 hold the words), got {column}")
    items: list[tuple[str, str, float]] = []
    first = True
    for lineno, stripped in _content_lines(path, "word similarity file", "word pairs",
                                           "A word similarity dataset holds hundreds or thousands of pairs"):
        fields = _split_line(stripped)
        score = _finite(fields[column - 1]) if len(fields) >= column else None
        if first and len(fields) >= column and score is None:
            first = False
            continue          # a header: "word1 word2 POS SimLex999 ..."
        first = False
        if len(fields) < column or not all(fields[:2]):
            raise FileFormatError(path, lineno, f"expected two words and a score in column {column}, got "
                                  f"{len(fields)} field(s)", SIMILARITY_HINT)
        if score is None:
            raise FileFormatError(path, lineno, f"the score {fields[column - 1][:40]!r} (column {column}) is not "
                                  "a finite number", SIMILARITY_HINT)
        items.append((fields[0], fields[1], score))
    if not items:
        raise FileFormatError(path, None, "no scored word pairs found", SIMILARITY_HINT)
    return items


ANALOGY_HINT = ("Write one question 'a b c d' (a is to b as c is to d) per line, and ': name' on a line of "
                "its own to start a section (the Google analogy format)")


def load_analogies(path: str | Path) -> list[tuple[str, str, str, str, str]]:
    """Read word analogy questions in the Google format (Mikolov, Chen, Corrado & Dean 2013): a line
    ``: section-name`` starts a section, every other line holds exactly four words ``a b c d``, read
    "a is to b as c is to d".

    Questions before the first section line belong to the section ``""``. Blank lines and ``#`` comments
    are skipped; tabs separate the words when a line holds one. Questions are kept as given, repeats
    included, and words are looked up as written (no lower-casing).

    Returns
    -------
    list of (section, a, b, c, d)
    """
    path = Path(path)
    questions: list[tuple[str, str, str, str, str]] = []
    section = ""
    for lineno, stripped in _content_lines(path, "analogy file", "questions",
                                           "The Google analogy set holds about 20,000 questions"):
        if stripped.startswith(":"):
            section = stripped[1:].strip()
            continue
        fields = _split_line(stripped)
        if len(fields) != 4 or not all(fields):
            raise FileFormatError(path, lineno, f"expected four words, got {len(fields)} field(s)", ANALOGY_HINT)
        questions.append((section, *fields))
    if not questions:
        raise FileFormatError(path, None, "no analogy questions found", ANALOGY_HINT)
    return questions


def load_bundled_dictionary(pair: str, split: str) -> list[tuple[str, str]]:
    """Gold pairs of a bundled language pair (a key of :data:`PAIR_REGISTRY`), ``"train"`` or ``"test"``."""
    if pair not in BUNDLED_PAIRS or split not in ("train", "test"):
        raise ConfigError(f"no bundled dictionary {pair}.{split}; pairs are {', '.join(BUNDLED_PAIRS)}, "
                          "splits are train and test")
    return load_dictionary(PAIR_REGISTRY[pair].split_path(split))


@dataclass(frozen=True)
class Coverage:
    """How much of a dictionary two vocabularies cover.

    ``ratio`` follows VecMap: the share of distinct source words that are in the source vocabulary and
    have at least one translation in the target vocabulary.
    """

    n_pairs: int
    n_in_vocab: int
    n_src_words: int
    n_src_covered: int

    @property
    def ratio(self) -> float:
        return self.n_src_covered / self.n_src_words if self.n_src_words else 0.0


def dictionary_coverage(pairs: Iterable[tuple[str, str]], src: Embeddings, tgt: Embeddings) -> Coverage:
    """Count the pairs and distinct source words that ``src`` and ``tgt`` cover."""
    pairs = list(pairs)
    inside = [(s, t) for s, t in pairs if s in src.index and t in tgt.index]
    return Coverage(len(pairs), len(inside), len({s for s, _ in pairs}), len({s for s, _ in inside}))


def shared_string_pairs(src: Embeddings, tgt: Embeddings, n_src: int, n_tgt: int,
                        min_length: int = 2) -> np.ndarray:
    """(source row, target row) of the words spelled identically in both vocabularies, among the
    ``n_src`` / ``n_tgt`` most frequent: names, numbers and loanwords, mostly translations of each other
    (Søgaard, Ruder & Vulić 2018) -- a silver dictionary available without supervision.

    Parameters
    ----------
    src, tgt : Embeddings
    n_src, n_tgt : int
    min_length : int
        Shorter strings (single letters) are skipped.

    Returns
    -------
    int64 (n, 2), in source frequency order
    """
    index = {w: j for j, w in enumerate(tgt.words[:n_tgt])}
    pairs = [(i, index[w]) for i, w in enumerate(src.words[:n_src]) if len(w) >= min_length and w in index]
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)


def pairs_to_indices(pairs: Iterable[tuple[str, str]], src: Embeddings, tgt: Embeddings) -> np.ndarray:
    """Row indices ``(k, 2)`` of the in-vocabulary pairs, first occurrence order, no duplicates."""
    rows = dict.fromkeys((src.index[s], tgt.index[t]) for s, t in pairs if s in src.index and t in tgt.index)
    return np.array(list(rows), dtype=np.int64).reshape(-1, 2)


def split_dictionary(pairs: Iterable[tuple[str, str]], test_share: float = 0.2, random_state=0):
    """Split pairs into train and test by source word, so no source word is on both sides.

    Returns
    -------
    train, test : list of (str, str)
        In the order of ``pairs``; a source word's translations all go to the same side.
    """
    if not 0.0 < test_share < 1.0:
        raise ConfigError(f"test_share must be between 0 and 1, got {test_share}")
    pairs = list(pairs)
    sources = list(dict.fromkeys(s for s, _ in pairs))
    if len(sources) < 2:
        raise ConfigError("a dictionary needs at least two source words to be split into train and test")
    rng = np.random.default_rng(random_state)
    n_test = min(len(sources) - 1, max(1, round(len(sources) * test_share)))
    test_sources = {sources[i] for i in rng.choice(len(sources), size=n_test, replace=False)}
    return ([p for p in pairs if p[0] not in test_sources], [p for p in pairs if p[0] in test_sources])
