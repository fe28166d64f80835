"""Which words a projection plots and which lines join them (lookups only; the numbers come from core)."""

from __future__ import annotations

from dataclasses import dataclass, field

LINK_MODES = ("gold (test dictionary)", "induced dictionary", "none")


@dataclass
class PlotSelection:
    src_rows: list[int]
    tgt_rows: list[int]
    words: list[str]
    langs: list[str]                 # "src" / "tgt" per plotted word
    highlight: list[bool]
    links: list[tuple[int, int, bool | None]] = field(default_factory=list)   # (point, point, correct?)
    missing: list[str] = field(default_factory=list)                          # searched, in neither vocabulary


def csls_words(config, n_query_space: int, n_other_space: int) -> tuple[int, int]:
    """How many words of the query and the other side the inspector's CSLS compares: all of them up to the
    run's ``log_vocab`` (20,000) words per side; beyond, the run's cutoff words (those that take part in
    induction), since exact CSLS over two 200,000-word vocabularies is a product of the two (minutes per
    iteration) -- the choice of the engine's per-iteration log (``core.selflearning.SelfLearning._bli``)."""
    from core.induction import resolve_cutoff

    if max(n_query_space, n_other_space) <= config.log_vocab:
        return n_query_space, n_other_space
    return resolve_cutoff(config.cutoff, n_query_space, n_other_space)


def parse_words(text: str) -> list[str]:
    return [w.strip() for w in text.replace(";", ",").split(",") if w.strip()]


def teaching_rows(data, n: int, min_len: int = 4) -> tuple[list[int], list[int]]:
    """``n`` source words worth showing a class, and their translations: content words (alphabetic, at least
    ``min_len`` letters) with a test-dictionary translation in the target vocabulary, taken evenly from the
    frequent to the rare ones (the most frequent words are function words, drawn as one blob). Without a
    test dictionary: the ``n`` most frequent words of each side."""
    first: dict[str, int] = {}
    count: dict[str, int] = {}
    for s, t in data.test:
        count[s] = count.get(s, 0) + 1
        if s in data.src.index and t in data.tgt.index and s not in first:
            first[s] = data.tgt.index[t]
    # at most two listed translations: function words ("that": cela, ce, que, quoi, ...) have many
    cands = sorted((data.src.index[s] for s in first if s.isalpha() and len(s) >= min_len and count[s] <= 2))
    if not cands:
        return list(range(min(n, len(data.src)))), list(range(min(n, len(data.tgt))))
    picked = [cands[k * len(cands) // min(n, len(cands))] for k in range(min(n, len(cands)))]
    return picked, list(dict.fromkeys(first[data.src.words[i]] for i in picked))


def select(data, record, n: int, searched: list[str], mode: str, retrieval: str, marks_fn,
           neighbours_fn=None) -> PlotSelection:
    """``n`` content words of each side (:func:`teaching_rows`), searched words with their gold translations and
    (with ``neighbours_fn``) their nearest neighbours in the other language, and each plotted source word's
    partners (test-dictionary or induced, by ``mode``).

    ``neighbours_fn(side, row)`` gives the rows of the other side nearest to word ``row`` of ``side`` ("src" or
    "tgt"), searched by the caller among the whole other vocabulary (core retrieval), so a 200,000-word space
    shows a searched word's real neighbours, not those of a sample.

    Gold lines are coloured by the record's BLI result for the source word (P@1 correct or not); induced
    lines by ``marks_fn(src_idx, tgt_idx)`` (core's marks against gold, or ``None``).
    """
    gold = data.test + data.train
    src_rows, tgt_rows = teaching_rows(data, n)
    missing = []
    for w in searched:
        hit = False
        if w in data.src.index:
            src_rows.append(data.src.index[w])
            tgt_rows += [data.tgt.index[t] for s, t in gold if s == w and t in data.tgt.index]
            if neighbours_fn is not None:
                tgt_rows += [int(j) for j in neighbours_fn("src", data.src.index[w])]
            hit = True
        if w in data.tgt.index:
            tgt_rows.append(data.tgt.index[w])
            src_rows += [data.src.index[s] for s, t in gold if t == w and s in data.src.index]
            if neighbours_fn is not None:
                src_rows += [int(i) for i in neighbours_fn("tgt", data.tgt.index[w])]
            hit = True
        if not hit:
            missing.append(w)
    src_rows = list(dict.fromkeys(src_rows))
    plotted = set(src_rows)
    # Each plotted source word's partners too, so that every source word can have its line.
    if mode.startswith("gold"):
        tgt_rows += [data.tgt.index[t] for s, t in data.test
                     if data.src.index.get(s) in plotted and t in data.tgt.index]
    elif mode.startswith("induced"):
        tgt_rows += [int(j) for i, j in zip(record.src_idx, record.tgt_idx) if int(i) in plotted]
    tgt_rows = list(dict.fromkeys(tgt_rows))
    words = [data.src.words[i] for i in src_rows] + [data.tgt.words[j] for j in tgt_rows]
    sel = PlotSelection(src_rows, tgt_rows, words, ["src"] * len(src_rows) + ["tgt"] * len(tgt_rows),
                        [w in searched for w in words], missing=missing)

    sel.links = links(data, record, src_rows, tgt_rows, mode, retrieval, marks_fn)
    return sel


def links(data, record, src_rows, tgt_rows, mode: str, retrieval: str, marks_fn) -> list[tuple[int, int, bool | None]]:
    """Lines between plotted points (indices into src_rows + tgt_rows) for one iteration's record."""
    out = []
    src_pos = {i: k for k, i in enumerate(src_rows)}
    tgt_pos = {j: len(src_rows) + k for k, j in enumerate(tgt_rows)}
    if mode.startswith("gold"):
        bli = (getattr(record, "bli", None) or {}).get(retrieval)
        rank = {w.src: w.gold_rank for w in bli.per_word} if bli is not None else {}
        for s, t in data.test:   # only test pairs are evaluated at every iteration
            i, j = data.src.index.get(s), data.tgt.index.get(t)
            if i in src_pos and j in tgt_pos:
                out.append((src_pos[i], tgt_pos[j], None if s not in rank else rank[s] == 1))
    elif mode.startswith("induced"):
        keep = [k for k, (i, j) in enumerate(zip(record.src_idx, record.tgt_idx))
                if int(i) in src_pos and int(j) in tgt_pos]
        if keep:
            sel_s, sel_t = record.src_idx[keep], record.tgt_idx[keep]
            marks = marks_fn(sel_s, sel_t)
            for k in range(len(keep)):
                ok = None if marks is None or marks[k] < 0 else bool(marks[k] == 1)
                out.append((src_pos[int(sel_s[k])], tgt_pos[int(sel_t[k])], ok))
    return out


def drawn_text(sel: PlotSelection, n: int, n_src_space: int, n_tgt_space: int, n_neighbours: int) -> str:
    """What a projection draws, said in full: how many points, of which words, out of which spaces (no point is
    ever sampled away)."""
    n_src = sum(1 for lang in sel.langs if lang == "src")
    n_tgt = len(sel.langs) - n_src
    extra = " and their gold translations"
    if n_neighbours and any(sel.highlight):
        extra += f" and {n_neighbours} nearest neighbours in the other language"
    return (f"{len(sel.words):,} points drawn ({n_src:,} source and {n_tgt:,} target words) out of "
            f"{n_src_space:,} + {n_tgt_space:,}: up to {n} content words per language, the highlighted "
            f"words{extra} (searched among all the words), and the partners the lines join. Every point is "
            "drawn; none is sampled.")
