"""Lessons: every figure of the survey in one click, on the bundled data.

One button per figure sets up its scene (pair, seed, settings, iteration, view, see ``app/lessons.py``) and
shows the chart with two or three sentences and a check of the survey's claim on this data. Results are
cached once per server (``st.cache_resource`` keyed by the scene's settings), so a class opening the same
lesson costs one computation; long runs come precomputed from ``app/lesson_results.json``. What a session
looks at (lesson, iteration) lives in its own Session State.
"""

import streamlit as st

from app import lesson_charts as lc
from app import actions, scenes, ui
from app.lessons import BY_ID, SCENES
from app.state import SEED_LABELS
from app.state import lab as get_lab

ss = st.session_state
MARK = {1: "✔", 0: "✘", -1: "?"}


@st.cache_resource(show_spinner=False)
def _precomputed() -> dict:
    return scenes.load_precomputed()


@st.cache_resource(max_entries=32, show_spinner=False)
def _result(key: str) -> dict:
    """One scene's numbers, shared read-only by every session of the server (key = ``Scene.key``)."""
    scene = next(s for s in SCENES if s.key == key)
    return scenes.result(scene, _precomputed())


def _set_iter(it: int) -> None:
    ss["lesson_iter"] = it


@st.cache_resource(max_entries=128, show_spinner=False)
def _figure(key: str, name: str, *args):
    """A lesson's plotly figure, built once per server and shared read-only (building one costs 25-100 ms
    of Python, every rerun of every student; the result is a pure function of the scene and ``args``)."""
    res = _result(key)
    if name == "learning_curves":
        return lc.learning_curves(res["rows"], args[0], len(res["rows"]), *args[1:])
    return getattr(lc, name)(res, *args)


def _open(scene_id: str) -> None:
    ss["lesson"] = scene_id
    ss["lesson_iter"] = BY_ID[scene_id].iteration


# Scenes whose run the lab can reproduce in a few seconds: the widgets they set before starting it.
LAB_WIDGETS = {
    "F3": lambda p: {"w_seed_strategy": "dictionary", "w_cutoff": 5000},
    "F12": lambda p: {"w_seed_strategy": "dictionary", "w_cutoff": 5000},
    "F4": lambda p: {"w_seed_strategy": "random", "w_seed_n": p["n"], "w_cutoff": p["cutoff"],
                     "w_retrieval": p["retrieval"], "w_direction": p["direction"], "w_keep_prob": p["keep_prob"],
                     "w_max_iter": p["max_iter"]},
}


def _open_in_lab(scene_id: str, iteration: int) -> None:
    """Load the scene's pair and start its run in this session's lab (then Step in the sidebar goes on)."""
    scene = BY_ID[scene_id]
    lab = get_lab()
    try:
        ss.update({"w_data_source": "Bundled pair", "w_pair": scene.pair, "w_max_vocab": scene.max_vocab,
                   "w_seed_random_state": 0, **LAB_WIDGETS[scene_id](scene.params)})
        actions.load_bundled(lab, scene.pair, scene.max_vocab)
        strategy, params, settings = actions.settings_from_widgets()
        actions.start_run(lab, strategy, params, settings)
        if iteration:
            actions.run_n(lab, 0, iteration)
        ss["pending_iter"] = lab.run.learner.current.iteration
        ss["lesson_lab_msg"] = (f"The lab now holds this scene: {scene.pair}, {lab.run.seed_label}, iteration "
                                f"{lab.run.learner.current.iteration}. Step on in the sidebar or open any page.")
    except Exception as e:  # noqa: BLE001 - shown to the user in one line, the lab keeps its state
        ss["lesson_lab_msg"] = f"Could not open the scene in the lab: {ui.error_text(e)}"


present = ui.presenting()
# One scene per screen at 1280x720, its chart and verdict above the fold: less padding above the buttons,
# compact scene buttons, a one-line heading (a rule later than the page's wins over its padding).
st.markdown("<style>[data-testid='stMainBlockContainer']{padding-top:" + ("2.1rem" if present else "1.8rem")
            + " !important;padding-bottom:1rem}"
            "div[data-testid='stMainBlockContainer'] h3{padding-top:0;padding-bottom:0.1rem;font-size:1.3rem}"
            ".st-key-lesson_nav button{min-height:2.1rem;padding-top:0.1rem;padding-bottom:0.1rem}"
            ".st-key-lesson_nav [data-testid='stHorizontalBlock']{gap:0.5rem}"
            ".st-key-lesson_nav{gap:0.45rem}"
            # Streamlit's stylesheet shrinks Graphviz labels to the page font; keep the diagram's own size
            "div[data-testid='stGraphVizChart'] svg text{font-size:27px !important}</style>",
            unsafe_allow_html=True)
# chart heights (px) that keep each chart and the text under it above the fold at 1280x720
H = {"projection": 420, "curves": 330, "losses": 340, "distributions": 400, "seed_size": 400,
     "isomorphism": 400, "bands": 400} if present else \
    {"projection": 390, "curves": 300, "losses": 360, "distributions": 380, "seed_size": 360,
     "isomorphism": 380, "bands": 380}
if present:
    # One scene per screen: Previous / Next instead of eight buttons (whole labels at 1280x720, more room).
    ids = [s.id for s in SCENES]
    if ss.get("lesson") not in ids:
        _open(ids[0])
    k = ids.index(ss["lesson"])
    n1, n2, n3 = st.columns([1.3, 5, 1.3], vertical_alignment="center")
    n1.button("◀ Previous", key="lesson_prev", disabled=k == 0, width="stretch", on_click=_open,
              args=(ids[max(k - 1, 0)],), help=f"{SCENES[max(k - 1, 0)].label}")
    n3.button("Next ▶", key="lesson_next", disabled=k == len(ids) - 1, width="stretch", type="primary",
              on_click=_open, args=(ids[min(k + 1, len(ids) - 1)],), help=f"{SCENES[min(k + 1, len(ids) - 1)].label}")
else:
    cols = st.container(key="lesson_nav").columns(4, gap="small")
    for k, scene in enumerate(SCENES):
        cols[k % 4].button(scene.label, key=f"lesson_{scene.id}", width="stretch",
                           help=f"{scene.title}: {scene.figure}",
                           type="primary" if ss.get("lesson") == scene.id else "secondary",
                           on_click=_open, args=(scene.id,))

scene = BY_ID.get(ss.get("lesson"))
if scene is None:
    st.subheader("Lessons: the survey's figures, live")
    st.info("Pick a figure above. Each button sets up one figure of the survey (Ruder, Søgaard & Vulić, "
            "*Unsupervised cross-lingual representation learning*, 2019) on the bundled data, with the "
            "chart, a short explanation and whether the data agrees with the survey.")
    st.stop()

with st.spinner(f"Setting up {scene.id}: {scene.title}…"):
    res = _result(scene.key)
holds, numbers = scenes.verdict(scene, res)
src_name, tgt_name = scene.pair.split("-")

# the subtitle says what the chart plots; F7's is generated from the words it draws
figure = lc.distributions_title(res) if scene.view == "distributions" else scene.figure
heading = f"{scene.id} · {scene.title}: <span style='font-weight:400;font-size:0.8em'>{figure}</span>"
if present:
    n2.markdown(f"<div style='font-size:1.15rem;font-weight:600;line-height:1.3'>{heading}</div>",
                unsafe_allow_html=True)
else:
    st.markdown(f"### {heading}", unsafe_allow_html=True)
# F2's diagram and F3's projection scale to their column: a wider one on a normal page keeps their type large
chart_col, text_col = st.columns([2.4, 1] if scene.view in ("diagram", "projection") and not present else [2, 1])


def _explain(extra: str = "", pair_note: str = "") -> None:
    """The text beside the chart: the verdict first (on a projector the explanation is the lecturer's to say,
    folded away)."""
    # the rule's conclusion in the box (above the fold), the numbers behind it beside the explanation
    head, _, more = numbers.partition(scenes.MORE)
    more = f"**The numbers:** {more}" if more else ""
    with text_col:
        if holds:
            st.success(f"**The data agrees.** {head}", icon=":material/check_circle:")
        else:
            st.warning(f"**The data disagrees** with the survey ({scene.claim}). {head}",
                       icon=":material/info:")
        if present:
            with st.expander("What this shows", expanded=False):
                st.markdown(scene.explanation)
                if more:
                    st.markdown(more)
        else:
            if more:
                st.markdown(more)
            st.markdown(scene.explanation)
        if extra:
            st.markdown(extra)
        st.caption((pair_note or f"Pair {scene.pair}, {scene.max_vocab:,} words per side.")
                   + f" The survey: {scene.claim}.")
        if scene.id in LAB_WIDGETS:
            st.button("Open this scene in the lab", key="lesson_to_lab", on_click=_open_in_lab,
                      args=(scene.id, int(ss.get("lesson_iter", 0)) if scene.steps else 0),
                      help="Loads the pair, seed and settings of this scene into the lab (a few seconds), so "
                           "the sidebar's Step and every page continue from here")
        if ss.get("lesson_lab_msg"):
            st.info(ss.pop("lesson_lab_msg"), icon=":material/science:")


if scene.view == "diagram":
    lab = get_lab()
    run = lab.run if lab is not None else None
    p = scene.params
    choices = {"src": src_name, "tgt": tgt_name, "seed": scene.seed, "mapping": p["mapping"],
               "retrieval": p["retrieval"], "normalize": p["normalize"], "pairs": p["n"], "iteration": 1}
    if run is not None:   # the run open in the lab: highlight its own choices
        rec = ui.view_record(lab)
        strategy = next((k for k, v in SEED_LABELS.items() if v == run.seed_label), run.seed.strategy)
        p1 = (rec.bli or {}).get("csls")
        choices.update(src=f"{run.src_norm.name} ({run.src_norm.dim}-d)", tgt=f"{run.tgt_norm.name} ({run.tgt_norm.dim}-d)",
                       seed=strategy, mapping=run.config.mapping, retrieval=run.config.retrieval,
                       normalize=", ".join(run.config.normalize), pairs=f"{int(rec.dictionary_size):,}",
                       iteration=rec.iteration, p1=f"{p1.p_at_1:.1%}" if p1 else "–")
    with chart_col:
        st.graphviz_chart(lc.framework_dot(choices, narrow=not present), width="stretch")
    drawn = (f"The diagram shows the run open in the lab: {lab.data.label}, {len(lab.data.src):,} words per side."
             if run is not None else f"The diagram shows the scene's own choices on {scene.pair}.")
    _explain(f"Highlighted now: seed **{choices['seed']}**, map **{choices['mapping']}**, retrieval "
             f"**{choices['retrieval'].upper()}**, iteration {choices['iteration']}.", pair_note=drawn)

elif scene.view == "projection":
    with chart_col:
        st.plotly_chart(_figure(scene.key, "projection_pair", (src_name, tgt_name), H["projection"],
                                *((330, 18) if present else (280, 15))),
                        width="stretch", theme=None, key="lesson_chart")
    note = ("" if res["same_dim"] else
            f"*Before* shows each language's own PCA side by side: the {src_name} and {tgt_name} spaces have "
            "different dimensions, so before mapping they share no coordinates at all.")
    _explain(f"W was learned from {res['n_train']:,} training pairs; P@1 on the whole test dictionary "
             f"{res['p1_csls']:.1%} (CSLS). {note}")

elif scene.view == "curves":
    rows = res["rows"]
    it = min(int(ss.get("lesson_iter", 0)), len(rows) - 1)
    with chart_col:
        b1, b2, b3, _ = st.columns([1, 1.6, 1.1, 0.3])
    # callbacks, so the iteration is set before the script (and the address) runs
    b1.button("◀ Back", key="lesson_back", disabled=it == 0, width="stretch", on_click=_set_iter, args=(it - 1,))
    b2.button("Next iteration ▶", key="lesson_step", disabled=it >= len(rows) - 1, type="primary", width="stretch",
              on_click=_set_iter, args=(it + 1,))
    b3.button("Restart", key="lesson_reset", width="stretch", on_click=_set_iter, args=(0,))
    ss["lesson_iter"] = it
    ex = res["examples"][it]
    with chart_col:
        st.plotly_chart(_figure(scene.key, "learning_curves", it, H["curves"]), width="stretch", theme=None,
                        key="lesson_chart")
        st.markdown(f"**Iteration {it}:** P@1 {rows[it]['p1_csls']:.1%}, dictionary {rows[it]['size']:,} pairs. "
                    "A few test words now translate as: "
                    + ", ".join(f"{w} → {t} {'✔' if ok else '✘'}" for w, t, ok in ex))
    _explain()
    with text_col:   # after the verdict: on a projector the verdict is what must be above the fold
        st.graphviz_chart(lc.loop_dot("seed" if it == 0 else "loop", it, rows[it]["size"], scene.params["n"]),
                          width="stretch")

elif scene.view == "losses":
    with chart_col:
        st.plotly_chart(_figure(scene.key, "losses", scene.pair, H["losses"], 18 if present else 14),
                        width="stretch", theme=None,
                        key="lesson_chart")
        # one line, not a table: it stays above the fold on a projector
        st.markdown("**The seed's first pairs:** " + " · ".join(
            f"{s} → {t} {MARK[m]}" for s, t, m in res["seed_examples"][:6]) + " (✔ right, ✘ wrong, ? not in the "
            "gold dictionary)")
    why = ""
    if not holds:
        acc = res["disc_accuracy"][-1] if res.get("disc_accuracy") else float("nan")
        why = (f"**Why it fails here:** on {scene.pair} the discriminator wins (it tells mapped from real "
               f"vectors {acc:.0%} of the time in the game's last epoch). The game only matches the two clouds "
               "of vectors as wholes; when the spaces are not near-rotations of each other (F9), a map can fool "
               "the discriminator without sending words to their translations, so the seed is wrong pairs. "
               "GANs are brittle (Conneau et al. 2018). ")
        f8 = _precomputed().get(scenes.stored_key(BY_ID["F8"]))   # only if precomputed: never a live 1-min run
        if f8 and BY_ID["F8"].pair == scene.pair and not f8.get("unsup_collapse"):
            why += (f"It is this game that fails, not unsupervised mapping on this pair: the second-order "
                    f"unsupervised seed with VecMap's stochastic self-learning (F8) reaches "
                    f"{f8['unsupervised']:.0%} on the same spaces. ")
        ref = res.get("reference")
        if ref:
            why += (f"Dotted: the same game on a {ref['label']} (isomorphic by construction), where "
                    f"{ref['seed_precision']:.0%} of the seed pairs are right. ")
    _explain(why + f"{scene.params['n_epochs']} epochs of {scene.params['epoch_size']:,} samples took "
             f"{res['seconds']:.0f} s once (precomputed by scripts/build_lessons.py). Below the chart: "
             "the seed's first pairs against the gold dictionary.")

elif scene.view == "distributions":
    with chart_col:
        kind = st.radio("Curves", ["normalised (what the unsupervised seed compares)", "raw sorted cosines"],
                        key="lesson_f7_kind", horizontal=True, label_visibility="collapsed",
                        format_func=lambda k: k.split(" (")[0] if present else k)
        st.plotly_chart(_figure(scene.key, "distributions",
                                "signatures" if kind.startswith("normalised") else "curves", H["distributions"]),
                        width="stretch", theme=None, key="lesson_chart")
    extra = [scenes.contrast_sentence(p) for p in res["panels"][1:]]
    first = res["panels"][0]
    _explain(" ".join(extra) + f" Over {first['win_n']:,} test pairs of {first['pair']}, a translation's curve "
             f"beats a random word's {first['win_rate']:.1%} of the time (50% = no signal). Raw sorted cosines "
             "look alike for most words; normalising them over the most frequent words (Artetxe et al. 2018) "
             "brings out the differences.")

elif scene.view == "seed_size":
    with chart_col:
        # above the chart: clicked without scrolling, so the demo's progress (top of the page) stays in view
        if scene.pair == actions.DEMO_PAIR and scene.max_vocab == actions.DEMO_VOCAB:
            # its unsupervised seed starts building now, while the lecturer explains the chart
            actions.prebuild_demo()
            st.button(f"▶ Watch it live: unsupervised on {scene.pair}, until aligned", key="lesson_live_demo",
                      type="primary", on_click=ui.request_demo,
                      help="Opens this pair in the lab with the unsupervised seed (no dictionary) and runs the "
                           "search until it has found the alignment, with its progress in plain words at the top "
                           "of the page; the lab keeps the run (Self-learning page, Run until converged)")
        st.plotly_chart(_figure(scene.key, "seed_size", 18 if present else 15, H["seed_size"]), width="stretch",
                        theme=None, key="lesson_chart")
    if res.get("unsup_collapse"):
        why = (f"The unsupervised run failed here (stopped after {res['unsup_iterations']} iterations: "
               f"{res['unsup_collapse']}). On this pair the spaces are far from isomorphic (see F9), the "
               "post's point that unsupervised mapping needs similar spaces.")
    else:
        why = (f"Like for like: the unsupervised run and the solid curve self-learn the same way (the "
               f"`{res['schedule']}` preset of `clwe align`: VecMap's stochastic schedule); only the seed differs. "
               f"The unsupervised run "
               f"reached {res['unsupervised']:.1%} after {res['unsup_iterations']} iterations "
               f"({res['unsup_seconds']:.0f} s once, precomputed).")
        sl = [r["p1_sl"] for r in res["rows"]]
        if scenes.seed_size_hardly_matters(sl, res["n_test"]):   # once self-learning runs
            why += (f" **Why it disagrees:** with self-learning the seed size hardly matters on this pair: from "
                    f"{res['rows'][0]['n']:,} to {res['rows'][-1]['n']:,} pairs every run ends at "
                    f"{min(sl):.1%}–{max(sl):.1%}, within {scenes.TIE_SE:g} standard errors of each other on "
                    f"{res['n_test']:,} test words. The seed only has to put self-learning on the right track; on "
                    "spaces trained alike the unsupervised seed does.")
    _explain(why)

elif scene.view == "isomorphism":
    with chart_col:
        st.plotly_chart(_figure(scene.key, "isomorphism", 18 if present else 14, H["isomorphism"]), width="stretch",
                        theme=None, key="lesson_chart")
        outs = res["outcomes"]
        st.markdown("  ·  ".join(f"**{n}**: unsupervised {'works' if scenes.unsup_works(o) else 'fails'} "
                                 f"({o['p1']:.1%})" for n, o in outs.items()))
    _explain("A rotation keeps every distance, so the rotated copy sits at (or near) the isomorphic value; "
             "real spaces are far from it. The survey (Søgaard et al. 2018) links this to where unsupervised "
             f"mapping fails. Unsupervised runs: `clwe align --init unsupervised`'s preset on "
             f"{scene.max_vocab:,} words per side, scored on each pair's test split.")
    with text_col:   # after the verdict
        with st.expander("What the four measures mean", expanded=not present):
            st.markdown("\n".join(f"- {text}" for _, _, _, text in scenes.ISO_MEASURES))

elif scene.view == "bands":
    with chart_col:
        st.plotly_chart(_figure(scene.key, "bands", 18 if present else 15, H["bands"]), width="stretch", theme=None,
                        key="lesson_chart")
    b = res["bands"]
    why = ""
    if not holds:
        why = (f"Why the most frequent band is lower: its words are mostly function words and very polysemous "
               f"ones (the dictionary lists {b[0]['translations']:.1f} translations per word there against "
               f"{b[-1]['translations']:.1f} in the rarest band); one vector mixes their senses, and the "
               "nearest neighbour is often a related word rather than a listed translation. ")
        peak = max(range(len(b)), key=lambda i: b[i]["p1"])
        if all(b[i]["p1"] >= b[i + 1]["p1"] for i in range(peak, len(b) - 1)):
            why += (f"From the {b[peak]['lo'] + 1:,}–{b[peak]['hi']:,} band on, accuracy does fall with rank "
                    "as the survey says.")
    _explain(why)
