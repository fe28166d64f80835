"""Plotly figures. They draw numbers computed by core; no computation happens here."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

# Readable on a projector: large type, high-contrast, colour-blind-safe palette (Okabe-Ito).
FONT = dict(size=17)
SRC_COLOR = "#0072B2"   # blue
TGT_COLOR = "#D55E00"   # vermillion
OK_COLOR = "#009E73"    # green
BAD_COLOR = "#CC0000"
NN_COLOR = "#E69F00"    # orange: the nearest-neighbour curve must not look like a faint grey dash
SHARED_COLOR = "#CC79A7"  # reddish purple: identically spelled words (the gold-free check)
OLD_COLOR = "#7F7F7F"   # a branch that was left
LINK_COLOR = "#999999"
LAYOUT = dict(template="plotly_white", font=FONT, margin=dict(l=60, r=20, t=60, b=50),
              legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
              # a translucent hover box, so it does not hide the labels under it
              hoverlabel=dict(bgcolor="rgba(255,255,255,0.75)", font_size=15))

# Plain names of the curves; the technical term is in the page's help text.
CSLS_NAME = "correct (CSLS)"
NN_NAME = "correct (nearest)"
SHARED_NAME = "identical words matched (no gold)"


def nice_step(span: float, target_ticks: int = 5) -> float:
    """A 1-2-5 step giving about ``target_ticks`` ticks over ``span``."""
    import math

    if not span > 0:
        return 0.01
    raw = span / target_ticks
    base = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * base * (1 + 1e-9):
            return m * base
    return 10 * base


def percent_axis(values, top: float | None = None) -> dict:
    """y-axis settings for shares in [0, 1]: a 1-2-5 tick step from the data range and as many decimals
    as the step needs, so two ticks never read the same (not "0.1%, 0.1%, 0.0%")."""
    import math

    vals = [float(v) for v in values if v is not None and v == v]
    hi = max(vals) if vals else 1.0
    hi = top if top is not None else max(hi * 1.1, 0.001)
    step = nice_step(hi)
    decimals = max(0, -math.floor(math.log10(step * 100) + 1e-9))
    return dict(tickformat=f".{decimals}%", dtick=step, tick0=0, range=[0, hi])


def percent_tick_labels(axis: dict) -> list[str]:
    """The tick labels plotly draws for ``percent_axis`` settings (d3's ".n%" is Python's ".n%")."""
    step, hi = axis["dtick"], axis["range"][1]
    n = int(hi / step + 1e-9)
    fmt = "{:" + axis["tickformat"] + "}"
    return [fmt.format(k * step) for k in range(n + 1)]


def best_iteration(rows: list[dict], key: str = "p1_csls") -> int | None:
    """Index of the row with the highest value of ``key`` (first one on ties), or None."""
    scored = [(r[key], -k) for k, r in enumerate(rows) if r.get(key) is not None]
    if not scored:
        return None
    return -max(scored)[1]


REFINE_NAME = "refinement round (CSLS)"
REFINE_COLOR = "#56B4E9"  # sky blue: the same accuracy, by another method


def learning_curves(rows: list[dict], view: int | None = None, branches: list[dict] | None = None,
                    retrieval: str = "csls", changed_at: int | None = None,
                    refinement: list[dict] | None = None) -> go.Figure:
    """Correct translations (P@1, NN and CSLS), dictionary size and objective per iteration.

    A dashed line marks the shown iteration and a star the best one (the objective is not the accuracy:
    a run can keep "improving" its objective while P@1 falls). ``branches`` are earlier runs left at a
    branch point: dicts with ``rows``, ``label`` and ``branch_point``, drawn in grey beside the current run;
    ``changed_at`` marks the iteration after which the current run's settings changed. ``refinement``: the
    rounds of a contrastive refinement of the run (dicts with ``round``, ``p1_csls``, ``score``, ``pairs``,
    ``kept``), drawn as further iterations R1, R2, … after the last one, the kept round ringed.
    """
    it = [r["iteration"] for r in rows]
    has_gold = any(r["p1_csls"] is not None for r in rows)
    first = "Correct translations" if has_gold else "Identical words matched"
    # the accuracy panel gets half the width: it is the one the class reads
    fig = make_subplots(rows=1, cols=3, subplot_titles=(first, "Dictionary size", "Fit (objective)"),
                        horizontal_spacing=0.09, column_widths=[0.5, 0.25, 0.25])
    mode = "lines+markers"
    branches = branches or []
    shares = [v for r in rows + [x for b in branches for x in b["rows"]]
              for v in (r["p1_csls"], r["p1_nn"], r.get("shared")) if v is not None]
    shares += [v for r in refinement or [] if r["round"] > 0
               for v in (r["p1_csls"] if has_gold else r["score"],) if v is not None]
    for b in branches:
        bit = [r["iteration"] for r in b["rows"]]
        key = "p1_csls" if has_gold else "shared"
        fig.add_trace(go.Scatter(x=bit, y=[r.get(key) for r in b["rows"]], name=b["label"], mode=mode,
                                 line=dict(color=OLD_COLOR, width=3, dash="dot"),
                                 marker=dict(symbol="x", size=9)), 1, 1)
        fig.add_trace(go.Scatter(x=bit, y=[r["size"] for r in b["rows"]], name=b["label"], mode=mode,
                                 line=dict(color=OLD_COLOR, width=2, dash="dot"), showlegend=False), 1, 2)
        fig.add_vline(x=b["branch_point"], line=dict(color=OLD_COLOR, width=2), row=1, col=1)
        fig.add_annotation(x=b["branch_point"], y=0.02, yref="y domain", text=f" branch at {b['branch_point']}",
                           showarrow=False, xanchor="left", yanchor="bottom", font=dict(color="#555", size=15),
                           row=1, col=1)
    if changed_at is not None and not any(b["branch_point"] == changed_at for b in branches):
        fig.add_vline(x=changed_at, line=dict(color=OLD_COLOR, width=2), row=1, col=1)
        fig.add_annotation(x=changed_at, y=0.02, yref="y domain", text=f" settings changed at {changed_at}",
                           showarrow=False, xanchor="left", yanchor="bottom", font=dict(color="#555", size=15),
                           row=1, col=1)
    if any(r.get("shared") is not None for r in rows):
        fig.add_trace(go.Scatter(x=it, y=[r.get("shared") for r in rows], name=SHARED_NAME, mode=mode,
                                 line=dict(color=SHARED_COLOR, width=3, dash="dash"),
                                 marker=dict(symbol="square", size=9)), 1, 1)
    if has_gold:
        fig.add_trace(go.Scatter(x=it, y=[r["p1_csls"] for r in rows], name=CSLS_NAME, mode=mode,
                                 line=dict(color=SRC_COLOR, width=4), marker=dict(symbol="circle", size=10)), 1, 1)
        fig.add_trace(go.Scatter(x=it, y=[r["p1_nn"] for r in rows], name=NN_NAME, mode=mode,
                                 line=dict(color=NN_COLOR, width=3, dash="dot"),
                                 marker=dict(symbol="diamond", size=10)), 1, 1)
        key = "p1_nn" if retrieval == "nn" else "p1_csls"
        best = best_iteration(rows, key)
        if best is not None and len(rows) > 1:
            b = rows[best]
            last_point = best == len(rows) - 1
            fig.add_trace(go.Scatter(x=[b["iteration"]], y=[b[key]], mode="markers+text", name="best iteration",
                                     text=[f"best {100 * b[key]:.1f}% ({'nearest' if key == 'p1_nn' else 'CSLS'})"],
                                     showlegend=False,
                                     textposition="top left" if last_point else "top center",
                                     textfont=dict(size=16, color="#000"),
                                     marker=dict(symbol="star", size=20, color="#F0E442",
                                                 line=dict(color="#000", width=1.5))), 1, 1)
    if shares:
        fig.update_yaxes(**percent_axis(shares + [0.0], top=max(shares) * 1.25 if max(shares) > 0 else None),
                         row=1, col=1)
    fig.add_trace(go.Scatter(x=it, y=[r["size"] for r in rows], name="dictionary size", mode=mode,
                             line=dict(color=TGT_COLOR, width=3), showlegend=False), 1, 2)
    fig.add_trace(go.Scatter(x=it, y=[r["objective"] for r in rows], name="fit (objective)", mode=mode,
                             line=dict(color=OK_COLOR, width=3), showlegend=False), 1, 3)
    if view is not None:
        for col in (1, 2, 3):
            fig.add_vline(x=view, line=dict(color="#444", dash="dash", width=1), row=1, col=col)
    all_it = it + [r["iteration"] for b in branches for r in b["rows"]]
    last = max(all_it, default=0)
    rounds = [r for r in refinement or [] if r["round"] > 0]
    if rounds:
        _refinement_traces(fig, rounds, max(it, default=0), has_gold)
        end = max(it, default=0) + len(rounds)
        ticks = list(range(0, max(it, default=0) + 1, 1 if last <= 15 else max(1, last // 10)))
        fig.update_xaxes(title_text="iteration", range=[-0.3, end + 0.3],
                         tickvals=ticks + [max(it, default=0) + r["round"] for r in rounds],
                         ticktext=[str(t) for t in ticks] + [f"R{r['round']}" for r in rounds])
    else:
        fig.update_xaxes(title_text="iteration", dtick=1 if last <= 15 else None, range=[-0.3, max(last, 1) + 0.3])
    fig.update_yaxes(rangemode="tozero", tickformat=",d", row=1, col=2)
    fig.update_layout(**{**LAYOUT, "legend": dict(orientation="h", yanchor="bottom", y=1.12, xanchor="left", x=0),
                         "margin": dict(l=60, r=20, t=100, b=50)}, height=440)
    fig.update_annotations(font_size=17)
    return fig


def _refinement_traces(fig, rounds: list[dict], last: int, has_gold: bool) -> None:
    """Refinement rounds after iteration ``last``: accuracy (or, without gold, the held-out identical-string
    score that judges them) and training pairs, a line marking where self-learning ended, the kept round ringed."""
    x = [last + r["round"] for r in rounds]
    y = [r["p1_csls"] if has_gold else r["score"] for r in rounds]
    kept = [r["kept"] for r in rounds]
    text = [f"kept {100 * v:.1f}%" if k and v is not None else "" for k, v in zip(kept, y)]
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers+text", name=REFINE_NAME if has_gold else
                             "held-out identical words (refinement)", line=dict(color=REFINE_COLOR, width=4),
                             text=text, textposition="top left", textfont=dict(size=16, color="#000"),
                             marker=dict(symbol="triangle-up", size=12,
                                         line=dict(color=["#000" if k else REFINE_COLOR for k in kept],
                                                   width=[3 if k else 0 for k in kept]))), 1, 1)
    fig.add_trace(go.Scatter(x=x, y=[r["pairs"] for r in rounds], mode="lines+markers", name="refinement pairs",
                             line=dict(color=REFINE_COLOR, width=3), showlegend=False), 1, 2)
    for col in (1, 2):
        fig.add_vline(x=last + 0.5, line=dict(color=REFINE_COLOR, width=2, dash="dot"), row=1, col=col)
    fig.add_annotation(x=last + 0.5, y=0.02, yref="y domain", showarrow=False, xanchor="left", yanchor="bottom",
                       text=" refinement" + ("" if any(kept) else " (start kept)"),
                       font=dict(color="#555", size=15), row=1, col=1)


def _projection_traces(coords, words, langs, lang_names, highlight, links, show_labels,
                       drop_empty: bool = False) -> list:
    """Pair lines and the two languages' markers; animation frames keep empty line traces so every
    frame has the same traces."""
    traces = []
    for ok, color, name in ((True, OK_COLOR, "correct pair"), (False, BAD_COLOR, "wrong pair"),
                            (None, LINK_COLOR, "pair")):
        xs, ys = [], []
        for i, j, c in links:
            if c is ok:
                xs += [float(coords[i, 0]), float(coords[j, 0]), None]
                ys += [float(coords[i, 1]), float(coords[j, 1]), None]
        if xs or not drop_empty:
            traces.append(go.Scatter(x=xs, y=ys, mode="lines", name=name, hoverinfo="skip",
                                     line=dict(color=color, width=1.5), opacity=0.7))
    for lang, color, symbol in (("src", SRC_COLOR, "circle"), ("tgt", TGT_COLOR, "diamond")):
        idx = [k for k, l in enumerate(langs) if l == lang]
        name = lang_names[0] if lang == "src" else lang_names[1]
        traces.append(go.Scatter(
            x=[float(coords[k, 0]) for k in idx], y=[float(coords[k, 1]) for k in idx],
            mode="markers+text" if show_labels else "markers", name=name,
            text=[words[k] for k in idx], textposition="top center", textfont=dict(size=12, color=color),
            # with labels on, a hover box would only cover the neighbouring labels
            hoverinfo="skip" if show_labels else None,
            hovertemplate=None if show_labels else "<b>%{text}</b> (" + name + ")<extra></extra>",
            marker=dict(color=color, symbol=symbol, opacity=0.85,
                        size=[18 if highlight[k] else 9 for k in idx],
                        line=dict(color=["#000" if highlight[k] else color for k in idx],
                                  width=[3 if highlight[k] else 0 for k in idx]))))
    return traces


def projection_animation(frames, words, langs, lang_names, highlight, links_per_frame, show_labels,
                         labels: list[str]) -> go.Figure:
    """One scatter per iteration, played as an animation with a slider (same traces in every frame)."""
    # Fixed axes over all frames, so the camera does not move while the points do.
    xs = [float(v) for F in frames for v in F[:, 0]]
    ys = [float(v) for F in frames for v in F[:, 1]]
    xpad, ypad = 0.08 * (max(xs) - min(xs) or 1.0), 0.08 * (max(ys) - min(ys) or 1.0)
    fig = go.Figure(
        data=_projection_traces(frames[-1], words, langs, lang_names, highlight, links_per_frame[-1], show_labels),
        frames=[go.Frame(data=_projection_traces(F, words, langs, lang_names, highlight, L, show_labels), name=lab)
                for F, L, lab in zip(frames, links_per_frame, labels)])
    step_args = dict(mode="immediate", frame=dict(duration=700, redraw=True), transition=dict(duration=400))
    fig.update_layout(
        **{**LAYOUT, "legend": dict(orientation="h", yanchor="top", y=-0.02, xanchor="left", x=0)}, height=680,
        updatemenus=[dict(type="buttons", showactive=False, x=0, y=1.1, xanchor="left", direction="left",
                          buttons=[dict(label="▶ Play", method="animate",
                                        args=[None, {**step_args, "fromcurrent": True}]),
                                   dict(label="❚❚ Pause", method="animate",
                                        args=[[None], dict(mode="immediate", frame=dict(duration=0))])])],
        sliders=[dict(active=len(frames) - 1, y=-0.12, currentvalue=dict(prefix="iteration "),
                      steps=[dict(label=lab, method="animate", args=[[lab], step_args]) for lab in labels])])
    fig.update_xaxes(showticklabels=False, zeroline=False, range=[min(xs) - xpad, max(xs) + xpad])
    fig.update_yaxes(showticklabels=False, zeroline=False, range=[min(ys) - ypad, max(ys) + ypad])
    return fig


def projection(coords, words: list[str], langs: list[str], lang_names: tuple[str, str], highlight: list[bool],
               links: list[tuple[int, int, bool | None]], title: str, show_labels: bool) -> go.Figure:
    """Both languages in one scatter; lines join pairs (green correct, red wrong, grey unknown)."""
    fig = go.Figure(_projection_traces(coords, words, langs, lang_names, highlight, links, show_labels,
                                       drop_empty=True))
    fig.update_layout(**{**LAYOUT, "legend": dict(orientation="h", yanchor="top", y=-0.02, xanchor="left", x=0)},
                      title=title, height=600)
    fig.update_xaxes(showticklabels=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, zeroline=False, scaleanchor="x", scaleratio=1)
    return fig


def similarity_curves(curves: list[tuple[str, object]], colors=None, y_title: str = "cosine similarity") -> go.Figure:
    """Sorted intralingual similarity curves, one per word (the post's "two / due / cane" figure)."""
    palette = colors or [SRC_COLOR, TGT_COLOR, OK_COLOR, "#CC79A7", "#E69F00"]
    fig = go.Figure()
    for k, (label, profile) in enumerate(curves):
        fig.add_trace(go.Scattergl(x=list(range(1, len(profile) + 1)), y=profile.tolist(), mode="lines",
                                   name=label, line=dict(width=3, color=palette[k % len(palette)])))
    fig.update_layout(**LAYOUT, height=480,
                      xaxis_title="neighbour rank (within its own language)",
                      yaxis_title=y_title)
    fig.update_xaxes(type="log")
    return fig


def losses(gen: list[float], disc: list[float]) -> go.Figure:
    """Adversarial seed: generator and discriminator loss per epoch (the post's GAN figure)."""
    fig = go.Figure()
    ep = list(range(1, max(len(gen), len(disc)) + 1))
    fig.add_trace(go.Scatter(x=ep[:len(gen)], y=gen, name="generator (mapping W)", mode="lines+markers",
                             line=dict(color=SRC_COLOR, width=3)))
    fig.add_trace(go.Scatter(x=ep[:len(disc)], y=disc, name="discriminator", mode="lines+markers",
                             line=dict(color=TGT_COLOR, width=3)))
    fig.update_layout(**LAYOUT, height=380, xaxis_title="epoch", yaxis_title="loss")
    return fig


def bands(labels: list[str], values: list[float], counts: list[int], title: str) -> go.Figure:
    """BLI P@1 per frequency band (F12)."""
    fig = go.Figure(go.Bar(x=labels, y=values, marker_color=SRC_COLOR, text=[f"n={c}" for c in counts],
                           textposition="outside"))
    fig.update_layout(**LAYOUT, height=400, title=title, xaxis_title="source word frequency rank",
                      yaxis_title="translated correctly")
    fig.update_yaxes(**percent_axis(list(values) + [0.0], top=max(list(values) + [0.01]) * 1.2))
    return fig


def robust_range(values, share: float = 0.95, pad: float = 0.08) -> list[float]:
    """Axis limits that hold the central ``share`` of the points with a margin: one outlier (a word like
    "debian") no longer squeezes the cloud into a corner; the few points outside sit at the edge, off the
    plot."""
    v = sorted(float(x) for x in values)
    if not v:
        return [-1.0, 1.0]
    cut = int(len(v) * (1 - share) / 2)
    lo, hi = v[cut], v[len(v) - 1 - cut]
    span = (hi - lo) or 1.0
    return [lo - pad * span, hi + pad * span]


def seed_size_curve(sizes: list[int], supervised: list[float], unsupervised: float | None,
                    unsup_label: str, with_sl: list[float] | None = None) -> go.Figure:
    """BLI against seed-dictionary size, without (and optionally with) self-learning, with a reference line
    (F8)."""
    fig = go.Figure(go.Scatter(x=sizes, y=supervised, mode="lines+markers", name="N pairs, without self-learning",
                               line=dict(color=SRC_COLOR if with_sl is None else NN_COLOR, width=3,
                                         dash="solid" if with_sl is None else "dot")))
    if with_sl is not None:
        fig.add_trace(go.Scatter(x=sizes, y=with_sl, mode="lines+markers", name="N pairs, with self-learning",
                                 line=dict(color=SRC_COLOR, width=4)))
    if unsupervised is not None:
        fig.add_hline(y=unsupervised, line=dict(color=TGT_COLOR, dash="dash", width=3),
                      annotation_text=unsup_label, annotation_position="top left",
                      annotation_font=dict(color=TGT_COLOR, size=16))
    fig.update_layout(**LAYOUT, height=420, xaxis_title="seed pairs (log scale)", yaxis_title="translated correctly")
    fig.update_xaxes(type="log")
    ys = list(supervised) + list(with_sl or []) + ([unsupervised] if unsupervised is not None else []) + [0.0]
    ys = [y for y in ys if y is not None]
    fig.update_yaxes(**percent_axis(ys, top=max(ys + [0.01]) * 1.2))
    return fig


def gw_objective(objective: list[float], epsilon: list[float]) -> go.Figure:
    """Gromov-Wasserstein seed: the objective per outer iteration, with the annealed entropy weight."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    it = list(range(1, len(objective) + 1))
    fig.add_trace(go.Scatter(x=it, y=objective, name="GW objective", mode="lines+markers",
                             line=dict(color=SRC_COLOR, width=3)), secondary_y=False)
    if epsilon:
        fig.add_trace(go.Scatter(x=it[:len(epsilon)], y=epsilon, name="entropy weight ε", mode="lines",
                                 line=dict(color=LINK_COLOR, width=2, dash="dot")), secondary_y=True)
        fig.update_yaxes(type="log", title_text="ε", secondary_y=True)
    fig.update_layout(**LAYOUT, height=380, xaxis_title="iteration")
    fig.update_yaxes(title_text="objective", secondary_y=False)
    return fig


def k_occurrence(nn_counts, csls_counts, k: int) -> go.Figure:
    """Hubness: how many target words have each k-occurrence, under NN and under CSLS retrieval."""
    fig = go.Figure()
    for counts, name, color in ((nn_counts, "nearest neighbour", NN_COLOR), (csls_counts, "CSLS", SRC_COLOR)):
        fig.add_trace(go.Histogram(x=[int(c) for c in counts], name=name, marker_color=color, opacity=0.6,
                                   xbins=dict(start=-0.5, size=1)))
    fig.update_layout(**LAYOUT, barmode="overlay", height=440,
                      xaxis_title=f"source words that have the target word in their top {k}",
                      yaxis_title="target words (log scale)")
    fig.update_yaxes(type="log")
    return fig
