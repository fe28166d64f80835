"""How much of a general-language dictionary the bundled ``doc_*`` spaces cover.

The general BLI test dictionaries used to score the project are not ours to read, so this measures a proxy
built from what we have: the FreeDict pairs (both directions, single words, as ``scripts/build_doc_spaces.py``
reads them) whose source word has a frequency rank within ``--ranks FIRST LAST`` of its language in ``wordfreq`` (a
general-language frequency list; the default 5,000-6,500 is the band MUSE's test dictionaries draw from) and
whose target word is among the ``4 * LAST`` most frequent of the other.
A source word is *covered* when it is in the source space and at least one of its translations is in the target
space. Printed per pair for each folder given (for example the bundled spaces before and after a rebuild).

    python -m bench.coverage sample_data [OTHER_FOLDER ...] [--ranks 5000 6500]

Needs ``wordfreq`` (``pip install -e ".[data]"``) and the FreeDict ``.index`` files that the doc build extracts
(``~/.cache/clwe-lab/doc-inputs/extracted``).
"""

from __future__ import annotations

import argparse
import os
from collections import defaultdict
from pathlib import Path

from core._dictd import read_dictd

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "clwe-lab" / "doc-inputs" / "extracted"
PAIRS = {"doc_en-doc_fr": ("eng-fra", "fra-eng"), "doc_en-doc_de": ("eng-deu", "deu-eng"),
         "doc_en-doc_it": ("eng-ita", "ita-eng"), "doc_de-doc_fr": ("deu-fra", "fra-deu")}
EVERYDAY = {"en": "dog cat house water two three red green mother father child eat drink sleep car tree city day "
                  "night money book".split(),
            "fr": "chien chat maison eau deux trois rouge vert mère père enfant manger boire dormir voiture arbre "
                  "ville jour nuit argent livre".split(),
            "de": "hund katze haus wasser zwei drei rot grün mutter vater kind essen trinken schlafen auto baum "
                  "stadt tag nacht geld buch".split(),
            "it": "cane gatto casa acqua due tre rosso verde madre padre bambino mangiare bere dormire macchina "
                  "albero città giorno notte denaro libro".split()}


def _index(dictd: str) -> Path:
    return next(CACHE.glob(f"dict-freedict-{dictd}/usr/share/dictd/freedict-{dictd}.index"))


def general_dictionary(pair: str, ranks: tuple[int, int]) -> dict[str, set[str]]:
    """Source word -> translations: FreeDict pairs between frequent general-language words."""
    from wordfreq import top_n_list

    src, tgt = (side.removeprefix("doc_") for side in pair.split("-"))
    sources = set(top_n_list(src, ranks[1])[ranks[0]:])
    targets = set(top_n_list(tgt, 4 * ranks[1]))
    forward, inverted = PAIRS[pair]
    gold = defaultdict(set)
    candidates = list(read_dictd(_index(forward))) + [(s, t) for t, s in read_dictd(_index(inverted))]
    for s, t in candidates:
        s, t = s.strip().lower(), t.strip().lower()
        if s.isalpha() and t.isalpha() and s in sources and t in targets:
            gold[s].add(t)
    return gold


def coverage(folder: Path, pair: str, gold: dict[str, set[str]]) -> float:
    src, tgt = pair.split("-")
    vocab = {side: set((folder / f"{side}.words.txt").read_text(encoding="utf-8").split()) for side in (src, tgt)}
    covered = sum(1 for s, ts in gold.items() if s in vocab[src] and ts & vocab[tgt])
    return covered / len(gold)


def everyday_missing(folder: Path) -> dict[str, list[str]]:
    """The everyday words of :data:`EVERYDAY` that a folder's spaces lack."""
    out = {}
    for lang, words in EVERYDAY.items():
        path = folder / f"doc_{lang}.words.txt"
        if path.exists():
            vocab = set(path.read_text(encoding="utf-8").split())
            out[lang] = [w for w in words if w not in vocab]
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="+", type=Path)
    ap.add_argument("--ranks", type=int, nargs=2, default=(5_000, 6_500), metavar=("FIRST", "LAST"))
    args = ap.parse_args(argv)
    print(f"| pair | general source words (ranks {args.ranks[0]:,}-{args.ranks[1]:,}) | "
          + " | ".join(f"covered in {f}" for f in args.folders) + " |")
    print("|---|---:|" + "---:|" * len(args.folders))
    for pair in PAIRS:
        gold = general_dictionary(pair, tuple(args.ranks))
        cells = " | ".join(f"{100 * coverage(f, pair, gold):.1f}%" for f in args.folders)
        print(f"| {pair} | {len(gold):,} | {cells} |")
    for folder in args.folders:
        print(f"{folder}: everyday words missing: {everyday_missing(folder)}")


if __name__ == "__main__":
    main()
