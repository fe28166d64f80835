"""Read FreeDict dictionaries in dictd format (``.index`` + ``.dict.dz`` or ``.dict``).

An index line is ``headword<TAB>offset<TAB>length``; offset and length are numbers written in
dictd's own base64 digits (``A-Za-z0-9+/``, most significant first) and address the
*uncompressed* ``.dict`` text. A ``.dict.dz`` is a dictzip file, which is plain gzip to any reader.

FreeDict definitions (rendered from TEI) look like::

    dog /dɔg/ <n>            <- headword line: headword, pronunciation, part of speech
    1. koira                 <- numbered sense: comma-separated translations
    animal                   <- WikDict-derived dictionaries add a gloss line per sense
    2. uroskoira, koira 2.   <- a trailing "2." marks further senses of the same translations
     3.

and, when there is a single sense, the first line after the headword line holds the translations.
The index spells headwords case-folded and without punctuation ("it's" -> "its", "-able" -> "able"), so
the headword is taken from the entry's first line instead.
"""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

from core.errors import FileFormatError

_B64_DIGITS = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
_HEADWORD_LINE = re.compile(r"(.*?)(?:\s+/.*/)?(?:\s+<[^<>]*>)?\s*$")  # "dog /dɔg/ <n>" -> "dog"
_NUMBERED_SENSE = re.compile(r"\d+\.(?=\s|$)(.*)")  # "2. text" at the line start; " 3." is a marker
_SENSE_MARKER = re.compile(r"(\s+\d+\.)+$")
_HINT = "Is this a dictd .index file from FreeDict, next to its .dict.dz (or .dict)?"
# Bounds against hostile files: FreeDict's largest dictionaries hold tens of MB of definitions.
MAX_DATA_BYTES = 256 << 20
MAX_ENTRY_BYTES = 1 << 20
MAX_HEADWORD_LINE = 1000  # longer first lines are cut before the (backtracking) headword pattern


def decode_b64_number(text: str) -> int:
    """Decode a dictd base64 number (``"B0"`` -> 116). Raises ValueError on anything else."""
    if not text or any(char not in _B64_DIGITS for char in text):
        raise ValueError(f"{text!r} is not a dictd base64 number")
    value = 0
    for char in text:
        value = value * 64 + _B64_DIGITS[char]
    return value


def parse_headword(definition: str) -> str:
    """The headword as the entry writes it: its first line without pronunciation and part of speech."""
    first = definition.split("\n", 1)[0][:MAX_HEADWORD_LINE]
    return _HEADWORD_LINE.match(first).group(1).strip()


def parse_translations(definition: str) -> list[str]:
    """Translations in one FreeDict definition: the numbered senses, else the first line after the headword.

    Gloss lines (unnumbered lines after a sense) are skipped; translations are split on ``,`` and ``;``
    and stripped of trailing sense markers such as ``" 2."``. Multi-word translations are kept.
    """
    # Lines are cut to a bounded length: the sense patterns backtrack, and no real sense is that long.
    body = [line[:MAX_HEADWORD_LINE] for line in definition.splitlines()[1:]]
    senses = [m.group(1) for line in body if (m := _NUMBERED_SENSE.match(line))]
    if not senses:
        senses = [line for line in body if line.strip()][:1]
    translations = []
    for sense in senses:
        for part in re.split(r"[,;]", _SENSE_MARKER.sub("", sense.strip())):
            if part.strip() and part.strip() not in translations:
                translations.append(part.strip())
    return translations


def _read_bounded(f, limit: int) -> bytearray:
    """At most ``limit`` bytes, read in 1 MB chunks (``read(limit)`` would allocate ``limit`` at once)."""
    data = bytearray()   # grows in place: no second copy of the whole data at the end
    while len(data) < limit and (chunk := f.read(min(1 << 20, limit - len(data)))):
        data += chunk
    return data


def _dict_data(index_path: Path) -> bytearray:
    stem = index_path.name[: -len(".index")] if index_path.name.endswith(".index") else index_path.stem
    for candidate, opener in ((index_path.with_name(stem + ".dict.dz"), gzip.open), (index_path.with_name(stem + ".dict"), open)):
        if candidate.exists():
            try:
                with opener(candidate, "rb") as f:
                    data = _read_bounded(f, MAX_DATA_BYTES + 1)
            except (OSError, EOFError, zlib.error) as exc:
                raise FileFormatError(candidate, None, f"cannot decompress the dictionary data ({exc})", _HINT) from None
            if len(data) > MAX_DATA_BYTES:
                raise FileFormatError(candidate, None, f"the dictionary data expands beyond {MAX_DATA_BYTES >> 20} MB",
                                      "FreeDict dictionaries are far smaller; is this the right file?")
            return data
    raise FileFormatError(index_path, None, f"no {stem}.dict.dz or {stem}.dict beside the index", _HINT)


def read_dictd(index_path: str | Path) -> list[tuple[str, str]]:
    """Read a dictd dictionary as ``(headword, translation)`` pairs, in index order.

    Parameters
    ----------
    index_path : str or Path
        The ``.index`` file; the ``.dict.dz`` (or ``.dict``) with the same stem must sit beside it.

    Returns
    -------
    list of (str, str)
        Each distinct translation of each entry (see :func:`parse_translations`), first-seen order, with the
        headword as the entry writes it (case and punctuation kept). The ``00-database-*`` meta entries are skipped.

    Raises
    ------
    core.errors.FileFormatError
        Malformed index line, missing data file, an entry beyond the end of the data, or text that is not UTF-8.
    """
    index_path = Path(index_path)
    data = _dict_data(index_path)
    pairs: list[tuple[str, str]] = []
    try:
        index = index_path.read_bytes()
    except OSError as exc:
        raise FileFormatError(index_path, None, f"cannot read the index ({exc.strerror})", _HINT) from None
    if len(index) > MAX_DATA_BYTES:
        raise FileFormatError(index_path, None, f"the index is larger than {MAX_DATA_BYTES >> 20} MB", _HINT)
    for line_no, raw in enumerate(index.removeprefix(b"\xef\xbb\xbf").splitlines(), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise FileFormatError(index_path, line_no, "index line is not UTF-8", _HINT) from None
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise FileFormatError(index_path, line_no, f"expected headword<TAB>offset<TAB>length, got {line[:80]!r}", _HINT)
        headword, offset_text, length_text = fields
        try:
            offset, length = decode_b64_number(offset_text), decode_b64_number(length_text)
        except ValueError as exc:
            raise FileFormatError(index_path, line_no, f"bad offset or length in {line[:80]!r}", _HINT) from None
        if headword.replace("-", "").startswith("00database"):
            continue
        if length > MAX_ENTRY_BYTES:
            raise FileFormatError(index_path, line_no, f"an entry of {length:,} bytes", _HINT)
        if offset + length > len(data):
            raise FileFormatError(
                index_path, line_no,
                f"entry {headword!r} ends at byte {offset + length}, beyond the {len(data)} bytes of dictionary data",
                "The .index does not belong to this .dict.dz, or the data file is truncated.",
            )
        try:
            definition = data[offset : offset + length].decode("utf-8")
        except UnicodeDecodeError:
            raise FileFormatError(index_path, line_no, f"definition of {headword!r} is not UTF-8", _HINT) from None
        headword = parse_headword(definition) or headword.strip()
        pairs.extend((headword, t) for t in parse_translations(definition))
    return list(dict.fromkeys(pairs))  # entries split by part of speech repeat translations
