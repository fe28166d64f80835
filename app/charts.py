"""Plotly figures. They draw numbers computed by core; no computation happens here."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

# Readable on a projector: large type, high-contrast, colour-blind-safe pair (Okabe-Ito).
FONT = dict(size=17)
SRC_COLOR = "#0072B2"   # blue
TGT_COLOR = "#D55E00"   # vermillion
OK_COLOR = "#009E73"    # green
BAD_COLOR = "#CC0000"
NN_COLOR = "#999999"
LAYOUT = dict(template="plotly_white", font=FONT, margin=dict(l=60, r=20, t=60, b=50),
              legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0))


def learning_curves(rows: list[dict], view: int | None = None) -> go.Figure:
    """P@1 (NN, CSLS), dictionary size and objective per iteration; a marker at the shown iteration."""
    it = [r["iteration"] for r in rows]
    has_gold = any(r["p1_csls"] is not None for r in rows)
    first = "BLI P@1 on the test dictionary" if has_gold else "Identical strings that find their twin"
    fig = make_subplots(rows=1, cols=3, subplot_titles=(first, "Induced dictionary size", "Objective"),
                        horizontal_spacing=0.08)
    mode = "lines+markers"
    shares = [v for r in rows for v in (r["p1_csls"], r["p1_nn"], r.get("shared")) if v is not None]
    # near-zero curves (a failed run) need a decimal, or every tick reads "0%"
    share_format = ".1%" if shares and max(shares) < 0.05 else ".0%"
    if any(r.get("shared") is not None for r in rows):
        fig.add_trace(go.Scatter(x=it, y=[r.get("shared") for r in rows], name="identical strings (no gold)",
                                 mode=mode, line=dict(color="#888888", width=2, dash="dash")), 1, 1)
        fig.update_yaxes(tickformat=share_format, rangemode="tozero", row=1, col=1)
    if has_gold:
        fig.add_trace(go.Scatter(x=it, y=[r["p1_csls"] for r in rows], name="P@1 CSLS", mode=mode,
                                 line=dict(color=SRC_COLOR, width=3)), 1, 1)
        fig.add_trace(go.Scatter(x=it, y=[r["p1_nn"] for r in rows], name="P@1 NN", mode=mode,
                                 line=dict(color=NN_COLOR, width=3, dash="dot")), 1, 1)
        fig.update_yaxes(tickformat=share_format, rangemode="tozero", row=1, col=1)
    fig.add_trace(go.Scatter(x=it, y=[r["size"] for r in rows], name="dictionary size", mode=mode,
                             line=dict(color=TGT_COLOR, width=3), showlegend=False), 1, 2)
    fig.add_trace(go.Scatter(x=it, y=[r["objective"] for r in rows], name="objective", mode=mode,
                             line=dict(color=OK_COLOR, width=3), showlegend=False), 1, 3)
    if view is not None:
        for col in (1, 2, 3):
            fig.add_vline(x=view, line=dict(color="#444", dash="dash", width=1), row=1, col=col)
    fig.update_xaxes(title_text="iteration", dtick=1 if len(it) <= 15 else None)
    fig.update_layout(**{**LAYOUT, "legend": dict(orientation="h", yanchor="bottom", y=1.14, xanchor="left", x=0),
                         "margin": dict(l=60, r=20, t=100, b=50)}, height=420)
    fig.update_annotations(font_size=17)
    return fig


def _projection_traces(coords, words, langs, lang_names, highlight, links, show_labels,
                       drop_empty: bool = False) -> list:
    """Pair lines and the two languages' markers; animation frames keep empty line traces so every
    frame has the same traces."""
    traces = []
    for ok, color, name in ((True, OK_COLOR, "correct pair"), (False, BAD_COLOR, "wrong pair"),
                            (None, NN_COLOR, "pair")):
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
            hovertemplate="<b>%{text}</b> (" + name + ")<extra></extra>",
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
                      yaxis_title="P@1")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return fig


def seed_size_curve(sizes: list[int], supervised: list[float], unsupervised: float | None,
                    unsup_label: str) -> go.Figure:
    """BLI against seed-dictionary size with the unsupervised run as a reference line (F8)."""
    fig = go.Figure(go.Scatter(x=sizes, y=supervised, mode="lines+markers", name="seed dictionary of size N",
                               line=dict(color=SRC_COLOR, width=3)))
    if unsupervised is not None:
        fig.add_hline(y=unsupervised, line=dict(color=TGT_COLOR, dash="dash", width=3),
                      annotation_text=unsup_label, annotation_position="top left",
                      annotation_font=dict(color=TGT_COLOR, size=16))
    fig.update_layout(**LAYOUT, height=420, xaxis_title="seed pairs (log scale)", yaxis_title="P@1")
    fig.update_xaxes(type="log")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return fig


def gw_objective(objective: list[float], epsilon: list[float]) -> go.Figure:
    """Gromov-Wasserstein seed: the objective per outer iteration, with the annealed entropy weight."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    it = list(range(1, len(objective) + 1))
    fig.add_trace(go.Scatter(x=it, y=objective, name="GW objective", mode="lines+markers",
                             line=dict(color=SRC_COLOR, width=3)), secondary_y=False)
    if epsilon:
        fig.add_trace(go.Scatter(x=it[:len(epsilon)], y=epsilon, name="entropy weight ε", mode="lines",
                                 line=dict(color=NN_COLOR, width=2, dash="dot")), secondary_y=True)
        fig.update_yaxes(type="log", title_text="ε", secondary_y=True)
    fig.update_layout(**LAYOUT, height=380, xaxis_title="iteration")
    fig.update_yaxes(title_text="objective", secondary_y=False)
    return fig
