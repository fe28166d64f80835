"""core._dictd: read FreeDict dictd files built by hand in tmp_path."""

from __future__ import annotations

import gzip

import pytest

from core._dictd import decode_b64_number, parse_headword, parse_translations, read_dictd
from core.errors import FileFormatError

_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

# Entries shaped like the real Debian FreeDict data (eng-fra 2022.04.21, eng-fin/fra-fin WikDict 2022.12.07).
ENTRIES = [
    ("00databaseinfo", "English-French FreeDict Dictionary\n\nEdition: 0.1.6\n"),
    ("00-database-short", "A test dictionary\n"),
    ("dog", "dog /dɔg/\nchien, clébard\n"),
    ("surmise", "surmise /səːmaiz/\n1. conjecturer, se douter de, prévoir\n2. supposer\n"),
    ("house", "house //haʊs// <n>\n1. huone\nastrology: one of the twelve divisions\n2. pesä\ncurling: circles\n"
              "3. kamari, talo\ndebating chamber\n7. talo 2.\nhuman abode\n 3.\narchetypal structure\n"),
    ("two", "two //tu// <numeral>\nkaksi 2.\nnumerical value\n 3.\ndescribing set or group with two elements\n"),
    ("koira", "koira /kˈoira/ <n>\ndog, hound\nCanidae-heimon suden sukuinen kotieläin\n"),
    ("falloir", "falloir /falwaʀ/ <v>\n1.\n      \"Il faut quelque chose\"\n We need something\n"),
    ("chien", "chien /ʃjɛ̃/ <n, masc>\nkoira\nMammifère carnivore\n"),
    ("chien", "chien /ʃjɛ̃/ <n, masc>\nkoira; rakki\nMammifère carnivore\n"),
    ("its", "it's /ɪts/\nc'est\n"),  # dictfmt's index drops punctuation and case
    ("victoria", "Victoria /viktɔʀja/ <n>\nVictoria\n"),
    ("acdc", "AC/DC //ˌeɪ.siːˈdiː.siː// <n>\n1. vaihtovirta-tasavirta\nelectricity\n"),
]


def b64(number: int) -> str:
    text = ""
    while True:
        text = _DIGITS[number % 64] + text
        number //= 64
        if number == 0:
            return text


def write_dictd(directory, entries=ENTRIES, name="test", compress=True, extra_index_lines=()):
    """Write name.index + name.dict.dz (or name.dict) and return the index path."""
    data, lines = b"", []
    for headword, text in entries:
        body = text.encode("utf-8")
        lines.append(f"{headword}\t{b64(len(data))}\t{b64(len(body))}")
        data += body
    lines += list(extra_index_lines)
    if compress:
        with gzip.open(directory / f"{name}.dict.dz", "wb") as f:
            f.write(data)
    else:
        (directory / f"{name}.dict").write_bytes(data)
    index = directory / f"{name}.index"
    index.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return index


def test_decode_b64_number_uses_dictd_alphabet():
    assert decode_b64_number("A") == 0
    assert decode_b64_number("B0") == 64 + 52
    assert decode_b64_number("/") == 63
    assert decode_b64_number("BA+") == 64 * 64 + 62
    for bad in ("", "A=", "A-B", "é"):
        with pytest.raises(ValueError):
            decode_b64_number(bad)


def test_read_dictd_parses_translations_and_skips_meta(tmp_path):
    pairs = read_dictd(write_dictd(tmp_path))
    assert pairs == [
        ("dog", "chien"), ("dog", "clébard"),
        ("surmise", "conjecturer"), ("surmise", "se douter de"), ("surmise", "prévoir"), ("surmise", "supposer"),
        ("house", "huone"), ("house", "pesä"), ("house", "kamari"), ("house", "talo"),
        ("two", "kaksi"),
        ("koira", "dog"), ("koira", "hound"),
        ("chien", "koira"), ("chien", "rakki"),  # the repeated ("chien", "koira") is kept once
        ("it's", "c'est"), ("Victoria", "Victoria"), ("AC/DC", "vaihtovirta-tasavirta"),
    ]
    assert not any(h.startswith("00") for h, _ in pairs)


def test_headword_comes_from_the_entry_line():
    assert parse_headword("two //tu// //tuː// /[tʰu̟]/ <numeral>\nkaksi\n") == "two"
    assert parse_headword("come across /kʌməkrɔs/\nrencontrer\n") == "come across"
    assert parse_headword("abandon /abɑ̃dɔ̃/ <n, masc>\n1. abandonment\n") == "abandon"
    assert parse_headword("celui\nthat\n") == "celui"


def test_glosses_and_bare_sense_markers_are_not_translations():
    assert parse_translations("koira /k/ <n>\ndog, hound\nCanidae-heimon eläin\n") == ["dog", "hound"]
    assert parse_translations("falloir <v>\n1.\n  \"Il faut\"\n We need\n2.\n It is necessary\n") == []
    assert parse_translations("iron /aiən/\n1. fer\n2. fer à repasser\n") == ["fer", "fer à repasser"]
    assert parse_translations("headword only\n") == []


def test_plain_dict_file_is_read_when_there_is_no_dz(tmp_path):
    index = write_dictd(tmp_path, compress=False)
    assert ("dog", "chien") in read_dictd(index)


def test_missing_dict_file_names_the_index(tmp_path):
    index = write_dictd(tmp_path)
    (tmp_path / "test.dict.dz").unlink()
    with pytest.raises(FileFormatError) as info:
        read_dictd(index)
    assert info.value.path == str(index)
    assert "test.dict.dz" in str(info.value)


def test_corrupt_dz_is_a_file_format_error(tmp_path):
    index = write_dictd(tmp_path)
    (tmp_path / "test.dict.dz").write_bytes(b"not gzip at all")
    with pytest.raises(FileFormatError, match="decompress"):
        read_dictd(index)


@pytest.mark.parametrize(
    "bad_line, problem",
    [
        ("cat\tB", "expected headword<TAB>offset<TAB>length"),
        ("cat\tA\tB\tC", "expected headword<TAB>offset<TAB>length"),
        ("cat\tA=\tB", "bad offset or length"),
        ("cat\tA\t", "bad offset or length"),
        ("cat\tZZZ\tB", "beyond the"),
        ("cat\tA\tZZZ", "beyond the"),
    ],
)
def test_malformed_index_line_names_file_and_line(tmp_path, bad_line, problem):
    index = write_dictd(tmp_path, extra_index_lines=[bad_line])
    with pytest.raises(FileFormatError) as info:
        read_dictd(index)
    error = info.value
    assert error.path == str(index)
    assert error.line == len(ENTRIES) + 1
    assert f"test.index, line {len(ENTRIES) + 1}: " in str(error)
    assert problem in str(error)


def test_non_utf8_index_line(tmp_path):
    index = write_dictd(tmp_path)
    index.write_bytes(index.read_bytes() + b"caf\xe9\tA\tB\n")
    with pytest.raises(FileFormatError, match="not UTF-8") as info:
        read_dictd(index)
    assert info.value.line == len(ENTRIES) + 1


def test_non_utf8_definition_names_its_index_line(tmp_path):
    entries = [("dog", "dog\nchien\n"), ("cat", "cat\nchat\n")]
    index = write_dictd(tmp_path, entries=entries, compress=False)
    dict_file = tmp_path / "test.dict"
    dict_file.write_bytes(dict_file.read_bytes().replace(b"chat", b"ch\xe2t"))
    with pytest.raises(FileFormatError, match="definition of 'cat' is not UTF-8") as info:
        read_dictd(index)
    assert info.value.line == 2
