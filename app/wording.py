"""Sentences the lab's pages say about a run, generated from the numbers the page shows.

One rule per sentence, no streamlit and no math here, so that each rule can be tested on both of its
outcomes (``tests/test_lesson_rules.py``) and a page never states what its chart does not show.
"""

from __future__ import annotations


def pct(x) -> str:
    return "–" if x is None or x != x else f"{x:.1%}"


def converged_message(view: int, best: int | None, best_p1, now_p1, n: int | None = None) -> tuple[str, str]:
    """(kind, sentence) for a run that stopped at iteration ``view``: "success" only when the shown
    accuracy *is* the best one (the chart's star), "warning" when it fell by more than two standard errors
    of the difference (binomial, both P@1 over the ``n`` test words: ``app.scenes.beats``), else "info"
    with the gap, said to be within the spread."""
    from app.scenes import TIE_SE, beats
    from core.evaluate import difference_se

    if best is None or best_p1 is None or now_p1 is None or best == view or now_p1 >= best_p1:
        return "success", (f"Converged at iteration {view}: the objective stopped improving, and accuracy "
                           f"({pct(now_p1)}) is at its best.")
    if n and beats(best_p1, now_p1, n):
        return "warning", (f"Stopped at iteration {view}: the fit of the dictionary (the objective) stopped "
                           f"improving. That is not the accuracy: the best iteration was **{best}** "
                           f"({pct(best_p1)} correct), now {pct(now_p1)} (the star on the curve), more than "
                           f"{TIE_SE:g} standard errors lower on {n:,} test words. Drag the slider to {best} to "
                           "keep that mapping.")
    spread = (f", within {TIE_SE:g} standard errors ({100 * difference_se(best_p1, now_p1, n):.1f} points each on "
              f"{n:,} test words): no real difference" if n else "")
    return "info", (f"Converged at iteration {view}: the objective stopped improving; accuracy {pct(now_p1)} is "
                    f"{100 * (best_p1 - now_p1):.1f} points below its best, {pct(best_p1)} at iteration "
                    f"{best} (the star on the curve){spread}.")


def hub_sentence(nn_max: int, cs_max: int, nn_zero: float, cs_zero: float, k: int) -> str:
    """What the hub counts show, with the counts: whether CSLS shrinks the biggest hub here or not."""
    head = (f"With plain cosine the biggest hub is among the {k} nearest neighbours of {nn_max:,} source words, "
            f"and {pct(nn_zero)} of target words are in nobody's top {k}; with CSLS the biggest hub has "
            f"{cs_max:,} and {pct(cs_zero)} are in nobody's.")
    if cs_max < nn_max and cs_zero < nn_zero:
        return head + " CSLS spreads the counts out: that is why it translates better."
    if cs_max < nn_max:
        return head + " CSLS shrinks the biggest hub, though not the share of words nobody picks."
    return head + " Here CSLS does not shrink the biggest hub."


def similarity_verdict(word: str, translation: str, unrelated: str, sim_translation: float,
                       sim_unrelated: float, rank: int, n: int) -> tuple[bool, str]:
    """The Similarity page's reading of its three words (word, its translation, an unrelated word), by the
    F7 lesson's rule (``app.scenes.panel_works``): the translation's curve is the closer one *and* the
    translation ranks among the top tenth of the n most frequent words by similarity of curves."""
    from app.scenes import panel_works

    works = panel_works({"second_order": {"translation": sim_translation, "unrelated": sim_unrelated},
                         "translation_rank": rank, "n": n})
    numbers = (f"second-order similarity {sim_translation:.2f} with **{translation}**, {sim_unrelated:.2f} with "
               f"**{unrelated}**; **{translation}** ranks {rank:,} of {n:,} (top {rank / n:.0%})")
    if works:
        return True, f"As the survey says: from **{word}**'s point of view its translation stands out ({numbers})."
    return False, (f"**A failure of the survey's picture:** from **{word}**'s point of view its translation does "
                   f"not stand out ({numbers}). Spaces trained differently are far from isomorphic (Lessons, F9), "
                   "so their curves do not line up.")


def dictionary_counts(rows: list[tuple[str, str, float]]) -> tuple[int, int]:
    """(distinct pairs, rows) of a run file's dictionary: with both retrieval directions a pair found both
    ways is written twice, and the Self-learning page counts distinct pairs."""
    return len({(s, t) for s, t, *_ in rows}), len(rows)


def search_progress(shared) -> str:
    """The stochastic search's progress in plain words: what share of identically spelled words (names,
    numbers, loanwords) agree now, and what an alignment looks like."""
    if shared is None or shared != shared:
        return "searching for an alignment"
    if shared >= 0.10:
        return f"aligned: {shared:.1%} of identically spelled words agree (an alignment reaches 10–45%)"
    return (f"searching: {shared:.1%} of identically spelled words agree; an alignment reaches 10–45%")


def align_message(outcome: str, iteration: int, steps: int, seconds: float, shared, p1,
                  shared_steps: bool = False) -> tuple[str, str]:
    """(kind, sentence) after "Run until aligned": what the last record shows, "success" only when the
    engine's take-off signal fired (``outcome == "aligned"``)."""
    when = (f"after {seconds:.0f} s" + (" (its iterations were already computed on this server)"
                                        if shared_steps else ""))
    agree = "–" if shared is None or shared != shared else f"{shared:.1%}"
    correct = f", and {pct(p1)} of the test words translate correctly" if p1 is not None else ""
    if outcome == "aligned":
        return "success", (f"**Aligned** at iteration {iteration}, {when}: {agree} of identically spelled words "
                           f"agree (an alignment reaches 10–45%){correct}. **Run until converged** finishes "
                           "the run (accuracy climbs on).")
    if outcome == "failed":
        return "error", (f"**Not aligned: this run has failed.** After {iteration} iterations only {agree} of "
                         f"identically spelled words agree (an alignment reaches 10–45%) and the fit stopped "
                         "improving.")
    if outcome == "stopped":
        return "warning", (f"**The run stopped at iteration {iteration} without aligning**: {agree} of "
                           "identically spelled words agree (an alignment reaches 10–45%).")
    return "info", (f"**Still searching** after {steps} more iterations ({when}): {agree} of identically spelled "
                    f"words agree (an alignment reaches 10–45%). Click **Run until aligned** again to go on.")


def error_text(e: BaseException, kept: str = "The previous state is kept") -> str:
    """A user-facing sentence for any exception (core's CLWEError messages already say what to fix).

    ``kept`` says what survives an unexpected failure; it must be true for the action that failed.
    """
    from core.errors import CLWEError

    if isinstance(e, CLWEError):
        return str(e)
    if isinstance(e, MemoryError):
        return "Out of memory. Lower the maximum vocabulary size and try again."
    if isinstance(e, KeyError):
        return f"Not found: {e.args[0] if e.args else e}"
    return (f"Something went wrong ({type(e).__name__}: {e}). {kept}; "
            "try other settings, and report this if it persists.")
