"""Figures of the Lessons page: plotly charts and Graphviz diagrams drawn from scene results.

No computation here: every number comes from ``app/scenes.py`` (which calls core). Fonts are at least
16 px so that a projector at 1280x720 stays legible from the back of a room.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.charts import BAD_COLOR, LAYOUT, NN_COLOR, OK_COLOR, SRC_COLOR, TGT_COLOR

BIG = dict(size=18)
HEIGHT = 430          # one chart per screen at 1280x720 next to the buttons


def _layout(fig: go.Figure, **kw) -> go.Figure:
    fig.update_layout(**{**LAYOUT, "font": BIG, "height": HEIGHT, **kw})
    return fig


# --------------------------------------------------------------------------------------------------
# diagrams (Graphviz DOT, rendered by st.graphviz_chart)

_ON = 'style="filled,bold" fillcolor="#0072B2" fontcolor="white" penwidth=3'
_OFF = 'style="filled" fillcolor="#F2F2F2" fontcolor="#555555" color="#BBBBBB"'


def _node(name: str, label: str, on: bool, shape: str = "box") -> str:
    return f'{name} [label="{label}" shape={shape} {_ON if on else _OFF}];'


def framework_dot(choices: dict, narrow: bool = False) -> str:
    """F2: the mapping framework (Glavaš et al. 2019), the chosen seed / mapping / retrieval highlighted.

    ``narrow``: the options' labels on more lines, so the diagram is narrower and, scaled to a normal page's
    column, keeps larger type (presenting mode has the width and not the height for that)."""
    seeds = [("dictionary", "training dictionary"), ("random", "N random pairs"),
             ("identical", "identical strings\\nor numerals"), ("unsupervised", "unsupervised\\n(2nd-order, GAN, GW)")]
    maps = [("procrustes", "orthogonal W\\n(Procrustes)"), ("least_squares", "any linear W\\n(least squares)"),
            ("multistep", "multi-step\\n(whiten, re-weight)")]
    if narrow:   # two-line labels where the one-line ones set the width (the seed row is the widest)
        seeds = [("dictionary", "training\\ndictionary"), ("random", "N random\\npairs"),
                 ("identical", "identical strings\\nor numerals"), ("unsupervised", "unsupervised\\n(2nd-order, GAN, GW)")]
    # top to bottom: the options of each step side by side, so the boxes keep a readable size in a 2/3 column
    lines = ['digraph G {', 'rankdir=TB; nodesep=0.2; ranksep=0.3; bgcolor="transparent";',
             'node [fontname="Helvetica" fontsize=24 margin="0.15,0.08"]; edge [penwidth=2 color="#444444"];',
             _node("X", f"source space X\\n{choices.get('src', 'L1')}", True, "cylinder"),
             _node("Z", f"target space Z\\n{choices.get('tgt', 'L2')}", True, "cylinder"),
             _node("N", f"normalise\\n{choices.get('normalize', '')}", True),
             'subgraph cluster_seed { label="1. seed dictionary D"; fontsize=24; style=rounded; color="#888888";']
    chosen = {"numerals": "identical", "adversarial": "unsupervised",
              "gromov-wasserstein": "unsupervised"}.get(choices.get("seed"), choices.get("seed"))
    lines += [_node(f"s_{k}", lab, chosen == k) for k, lab in seeds]
    lines += ['}', 'subgraph cluster_map { label="3. learn the map W"; fontsize=24; style=rounded; color="#888888";']
    lines += [_node(f"m_{k}", lab, choices.get("mapping") == k) for k, lab in maps]
    lines += ['}',
              _node("L", f"2. look up X_S, Z_T\\n({choices.get('pairs', 'K')} pairs)", True),
              _node("SL", f"self-learning\\ninduce D by {choices.get('retrieval', 'CSLS').upper()}",
                    choices.get("iteration", 0) > 0),
              _node("E", f"BLI on held-out pairs\\nP@1 {choices.get('p1', '–')}", True, "note"),
              "X -> N; Z -> N;"]
    chosen_seed = f"s_{chosen or 'dictionary'}"
    chosen_map = f"m_{choices.get('mapping', 'procrustes')}"
    lines += [f"N -> {chosen_seed};", f"{chosen_seed} -> L;", f"L -> {chosen_map};",
              f"{chosen_map} -> SL;", f"SL -> L [label=\" new D\" fontsize=24 style=dashed constraint=false];",
              f"{chosen_map} -> E;", "}"]
    return "\n".join(lines)


def loop_dot(phase: str, iteration: int, size: int, seed_n: int = 100) -> str:
    """F4: the self-learning loop; ``phase`` ("seed" or "loop") says which edge the shown iteration took."""
    on_seed, on_loop = phase == "seed", phase == "loop"
    return "\n".join([
        'digraph G {', 'rankdir=TB; nodesep=0.3; ranksep=0.3; bgcolor="transparent";',
        'node [fontname="Helvetica" fontsize=24 shape=box style="rounded,filled" fillcolor="#F2F2F2"];',
        'edge [penwidth=2 fontsize=24 fontname="Helvetica"];',
        f'S [label="seed: {seed_n:,} pairs" {_ON if on_seed else _OFF}];',
        f'M [label="map W\\n(Procrustes)" {_ON}];',
        f'I [label="induce D\\n(nearest neighbours)" {_ON if on_loop else _OFF}];',
        f'D [label="D: {size:,} pairs" shape=note {_ON}];',
        'S -> M; M -> I; I -> D; D -> M [label=" next" style=dashed constraint=false];', '}'])


# --------------------------------------------------------------------------------------------------
# plotly charts


# F3's labels: where plotly can put a label around its marker, as (textposition, box of the label relative to
# the marker in px: left, bottom, right, top as multiples of the label's width w and height h, plus a gap)
_PLACES = (("top center", (-0.5, 0, 0.5, 1)), ("bottom center", (-0.5, -1, 0.5, 0)),
           ("middle right", (0, -0.5, 1, 0.5)), ("middle left", (-1, -0.5, 0, 0.5)),
           ("top right", (0, 0, 1, 1)), ("top left", (-1, 0, 0, 1)),
           ("bottom right", (0, -1, 1, 0)), ("bottom left", (-1, -1, 0, 0)))


def label_places(points: list[tuple[float, float]], labels: list[str], ranges, panel_px=(330, 330),
                 font_px: int = 18, preferred=None) -> list[str | None]:
    """A textposition for each point's label so that labels do not print over each other or over another
    marker (greedy, in the order given); None where every place collides (that label is left off, its word
    stays in the hover). Sizes are estimated: a character is about 0.55 font sizes wide, the panel
    ``panel_px`` pixels (the chart's width is the browser's)."""
    (x0, x1), (y0, y1) = ranges
    sx, sy = panel_px[0] / ((x1 - x0) or 1.0), panel_px[1] / ((y1 - y0) or 1.0)
    px = [((x - x0) * sx, (y - y0) * sy) for x, y in points]
    marker = 6.0
    obstacles = [(x - marker, y - marker, x + marker, y + marker) for x, y in px]
    placed, out = [], []

    def overlap(a, b) -> float:
        w = min(a[2], b[2]) - max(a[0], b[0])
        h = min(a[3], b[3]) - max(a[1], b[1])
        return w * h if w > 0 and h > 0 else 0.0

    W, H = panel_px
    pad = 3.0     # labels that merely touch read as one word ("écolefleuve")

    def outside(box) -> float:   # the part of a label beyond the panel's edges is cut off: count it
        w, h = box[2] - box[0], box[3] - box[1]
        inside = max(0.0, min(box[2], W) - max(box[0], 0.0)) * max(0.0, min(box[3], H) - max(box[1], 0.0))
        return w * h - inside

    for i, ((x, y), text) in enumerate(zip(px, labels)):
        w, h, gap = 0.55 * font_px * len(text) + 2 * pad, 1.15 * font_px + pad, marker
        order = list(_PLACES)
        if preferred is not None:   # the preferred place first (source words above, target words below)
            order.sort(key=lambda p: p[0] != preferred[i])
        best = None
        for name, (l, b, r, t) in order:
            dx = gap if l >= 0 else -gap if r <= 0 else 0.0
            dy = gap if b >= 0 else -gap if t <= 0 else 0.0
            box = (x + l * w + dx, y + b * h + dy, x + r * w + dx, y + t * h + dy)
            hit = (sum(overlap(box, o) for o in placed) + outside(box)
                   + sum(overlap(box, o) for k, o in enumerate(obstacles) if k != i))
            if best is None or hit < best[0]:
                best = (hit, name, box)
            if hit == 0:
                break
        if best[0] <= 0.15 * w * h:
            placed.append(best[2])
            out.append(best[1])
        else:
            out.append(None)
    return out


def projection_pair(result: dict, lang_names: tuple[str, str], height: int = 450, panel_width: int = 330,
                    font: int = 18) -> go.Figure:
    """F3: before and after mapping side by side; a line joins each word and its gold translation. Labels
    are placed around their markers so that none prints over another (``label_places``); in a cluster
    too dense for that a label is left off, the word in its hover."""
    words = result["words"]
    n = len(words)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("before mapping", "after mapping (W learned)"),
                        horizontal_spacing=0.04)
    for col, key in ((1, "before"), (2, "after")):
        C = result[key]
        hits = result["hits_after"] if key == "after" else [None] * n
        for ok, color, name in ((True, OK_COLOR, "translation is nearest"), (False, BAD_COLOR, "another word is nearer"),
                                (None, NN_COLOR, "word ↔ translation")):
            xs, ys = [], []
            for i in range(n):
                if hits[i] is ok:
                    xs += [C[i][0], C[n + i][0], None]
                    ys += [C[i][1], C[n + i][1], None]
            if xs:
                fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=color, width=2), opacity=0.6,
                                         name=name, hoverinfo="skip", showlegend=col == 2 or ok is None), 1, col)
        # room for the labels: a word at the edge of the cloud keeps its whole label inside the panel
        xs, ys = [p[0] for p in C], [p[1] for p in C]
        dx, dy = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
        xr = [min(xs) - 0.15 * dx, max(xs) + 0.15 * dx]
        yr = [min(ys) - 0.12 * dy, max(ys) + 0.12 * dy]
        labels = [w[0] for w in words] + [w[1] for w in words]
        places = label_places([tuple(p) for p in C], labels, (xr, yr), panel_px=(panel_width, height - 90),
                              font_px=font,
                              preferred=["top center"] * n + ["bottom center"] * n)
        for side, color, symbol, offset in ((0, SRC_COLOR, "circle", 0), (1, TGT_COLOR, "diamond", n)):
            mine = places[offset:offset + n]
            fig.add_trace(go.Scatter(
                x=[C[offset + i][0] for i in range(n)], y=[C[offset + i][1] for i in range(n)],
                mode="markers+text", text=[w[side] if mine[i] else "" for i, w in enumerate(words)],
                customdata=[w[side] for w in words], textposition=[p or "top center" for p in mine],
                textfont=dict(size=font, color=color), marker=dict(color=color, size=10, symbol=symbol),
                name=lang_names[side], showlegend=col == 1, hovertemplate="%{customdata}<extra></extra>",
                cliponaxis=False), 1, col)
        fig.update_xaxes(range=xr, row=1, col=col)
        fig.update_yaxes(range=yr, row=1, col=col)
    fig.update_xaxes(showticklabels=False, zeroline=False, showgrid=False)
    fig.update_yaxes(showticklabels=False, zeroline=False, showgrid=False)
    _layout(fig, height=height, legend=dict(orientation="h", yanchor="top", y=-0.02, xanchor="left", x=0),
            margin=dict(l=10, r=10, t=50, b=40))
    fig.update_annotations(font_size=18)
    return fig


def learning_curves(rows: list[dict], view: int, n_total: int, height: int = HEIGHT) -> go.Figure:
    """F4: P@1 (CSLS, NN) and the share of correct induced pairs up to the shown iteration."""
    shown = rows[:view + 1]
    it = [r["iteration"] for r in shown]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("translated correctly (P@1)", "dictionary size"),
                        horizontal_spacing=0.2)
    fig.add_trace(go.Scatter(x=it, y=[r["p1_csls"] for r in shown], name="CSLS retrieval", mode="lines+markers",
                             line=dict(color=SRC_COLOR, width=4), marker=dict(size=10)), 1, 1)
    fig.add_trace(go.Scatter(x=it, y=[r["p1_nn"] for r in shown], name="nearest neighbour",
                             mode="lines+markers", line=dict(color=TGT_COLOR, width=3, dash="dash"),
                             marker=dict(size=9, symbol="diamond")), 1, 1)
    fig.add_trace(go.Bar(x=it, y=[r["size"] for r in shown], name="pairs in the dictionary",
                         marker_color=OK_COLOR, showlegend=False), 1, 2)
    top = max(r["p1_csls"] for r in rows)
    fig.update_yaxes(tickformat=".0%", range=[0, max(0.05, top * 1.15)], row=1, col=1)
    fig.update_yaxes(range=[0, max(r["size"] for r in rows) * 1.1], tickformat=",d", row=1, col=2)
    fig.update_xaxes(title_text="iteration", range=[-0.5, n_total - 0.5], dtick=2, tickangle=0,
                     tickfont=dict(size=18))
    fig.update_yaxes(tickfont=dict(size=18))
    # the legend below the panels (inside, it hid the top of the curve), under the axis titles: about 62 px
    # below the plot area, whose height is the figure's less its margins (40 + 110 px)
    _layout(fig, legend=dict(orientation="h", x=0, y=-62 / max(height - 150, 100), xanchor="left", yanchor="top"),
            margin=dict(l=70, r=10, t=40, b=110), height=height)
    fig.update_annotations(font_size=18)
    return fig


def losses(result: dict, pair: str = "", height: int = HEIGHT, size: int = 18) -> go.Figure:
    """F6: generator and discriminator loss per epoch, discriminator accuracy on a second axis (of the game on
    ``pair``, the scene's spaces, not of the rotated copy's)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    ep = list(range(1, len(result["gen_loss"]) + 1))
    fig.add_trace(go.Scatter(x=ep, y=result["gen_loss"], name="generator (the map W)", mode="lines+markers",
                             line=dict(color=SRC_COLOR, width=4), marker=dict(size=10)), secondary_y=False)
    fig.add_trace(go.Scatter(x=ep, y=result["disc_loss"], name="discriminator", mode="lines+markers",
                             line=dict(color=TGT_COLOR, width=4, dash="dash"), marker=dict(size=10, symbol="diamond")),
                  secondary_y=False)
    ref = result.get("reference")
    if ref:   # the same game on an isomorphic copy, for comparison: thin lines of the same colours
        fig.add_trace(go.Scatter(x=ep, y=ref["gen_loss"], name="generator (rotated copy)", mode="lines",
                                 line=dict(color=SRC_COLOR, width=2, dash="dot"), opacity=0.7), secondary_y=False)
        fig.add_trace(go.Scatter(x=ep, y=ref["disc_loss"], name="discriminator (rotated copy)", mode="lines",
                                 line=dict(color=TGT_COLOR, width=2, dash="dot"), opacity=0.7), secondary_y=False)
    if result.get("disc_accuracy"):
        fig.add_trace(go.Scatter(x=ep, y=result["disc_accuracy"], name=f"accuracy ({pair})" if pair else "accuracy", mode="lines",
                                 line=dict(color=NN_COLOR, width=2, dash="dot")), secondary_y=True)
        fig.update_yaxes(title_text="discriminator accuracy", tickformat=".0%", range=[0, 1], dtick=0.25, showgrid=False,
                         secondary_y=True)
    fig.update_yaxes(title_text="loss", secondary_y=False)
    fig.update_xaxes(title_text="epoch", dtick=1)
    return _layout(fig, legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0,
                                    font=dict(size=size)), margin=dict(l=60, r=20, t=90, b=50), height=height,
                   font=dict(size=size))


def distributions_title(result: dict) -> str:
    """What F7 plots, from the words of its panels (never typed)."""
    words = " and ".join(", ".join(p["words"]) for p in result["panels"])
    return f"sorted similarities of {words} to the {result['n']:,} most frequent words of their own language"


def distributions(result: dict, kind: str, height: int = 420) -> go.Figure:
    """F7: one panel per pair (trained alike, trained differently), three words' curves in each: the word,
    its translation, an unrelated word (normalised second-order signatures or sorted cosines, the word
    itself left out)."""
    from app.scenes import panel_works

    panels = result["panels"]
    titles = [f"{p['pair']}<br>{'trained alike' if k == 0 else 'trained differently'}"
              + ("" if panel_works(p) else " · fails") for k, p in enumerate(panels)]
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=titles, horizontal_spacing=0.06,
                        shared_yaxes=True)
    colors, dashes = (SRC_COLOR, OK_COLOR, BAD_COLOR), ("solid", "dash", "dot")
    roles = ("the word", "its translation", "an unrelated word")
    for c, p in enumerate(panels, start=1):
        series = p["signatures"] if kind == "signatures" else p["curves"]
        for k, (label, ys) in enumerate(zip(p["labels"], series)):
            # one legend entry per role, naming the words of every panel
            name = " / ".join(dict.fromkeys(q["words"][k] for q in panels)) + f": {roles[k]}"
            fig.add_trace(go.Scatter(x=p["ranks"], y=ys, name=name, mode="lines", legendgroup=roles[k],
                                     showlegend=c == 1, hovertemplate=f"{label}<br>rank %{{x}}: %{{y:.3f}}<extra></extra>",
                                     line=dict(width=4, color=colors[k], dash=dashes[k])), 1, c)
    fig.update_xaxes(title_text="neighbour rank (log)", type="log", tickfont=dict(size=18))
    fig.update_yaxes(title_text="normalised similarity" if kind == "signatures" else "cosine", row=1, col=1)
    _layout(fig, legend=dict(orientation="h", yanchor="top", y=-0.27, xanchor="left", x=0, font=dict(size=18)),
            margin=dict(l=70, r=10, t=62, b=115), height=height)
    fig.update_annotations(font_size=20)
    return fig


WITHOUT_NAME, WITH_NAME = "N pairs, without self-learning", "N pairs, with self-learning"


def seed_size_tick(n: int, p1_sl) -> str:
    """F8's tick label: N, and under it the P@1 with self-learning (blue, one decimal as in the verdict)."""
    return f"{n:,}" if p1_sl is None else f"{n:,}<br><span style='color:{SRC_COLOR}'>{p1_sl:.1%}</span>"


def seed_size_ticks(xs: list[int], ys: list) -> list[str]:
    """Every tick label of F8; two seed sizes closer than 15% on the log axis (2,500 and all 2,553 pairs)
    share one label on the first of them, the second left blank, so the labels do not print over each other."""
    ticks = [seed_size_tick(x, y) for x, y in zip(xs, ys)]
    for i in range(1, len(xs)):
        if ticks[i - 1] and xs[i] < 1.15 * xs[i - 1]:
            same = ys[i] is None or ys[i - 1] is None or f"{ys[i]:.1%}" == f"{ys[i - 1]:.1%}"
            value = ("" if ys[i - 1] is None else f"{ys[i - 1]:.1%}" if same else f"{ys[i - 1]:.1%} / {ys[i]:.1%}")
            ticks[i - 1] = (f"{xs[i - 1]:,} / {xs[i]:,}" + ("" if not value else
                            f"<br><span style='color:{SRC_COLOR}'>{value}</span>"))
            ticks[i] = ""
    return ticks


def seed_size(result: dict, size: int = 18, height: int = HEIGHT) -> go.Figure:
    """F8: P@1 against seed size N without and with self-learning; the unsupervised run (same
    self-learning, no dictionary) as a dashed line."""
    rows = result["rows"]
    xs = [r["n"] for r in rows]
    ys0 = [r["p1"] for r in rows]
    ys1 = [r["p1_sl"] for r in rows]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xs, y=ys0, mode="lines+markers", name=WITHOUT_NAME,
                             line=dict(color=NN_COLOR, width=3, dash="dot"), marker=dict(size=10, symbol="diamond")))
    fig.add_trace(go.Scatter(x=xs, y=ys1, mode="lines+markers", name=WITH_NAME,
                             line=dict(color=SRC_COLOR, width=4), marker=dict(size=11)))
    fig.add_hline(y=result["unsupervised"], line=dict(color=TGT_COLOR, dash="dash", width=4),
                  annotation_text=f"unsupervised: {result['unsupervised']:.1%}", annotation_position="bottom right",
                  annotation_font=dict(color=TGT_COLOR, size=20))
    # the solid curve's values under each N, as the verdict writes them (labels on the curve overlapped)
    fig.update_xaxes(title_text="seed pairs N (log scale); in blue: P@1 with self-learning", type="log",
                     tickvals=xs, ticktext=seed_size_ticks(xs, ys1), tickfont=dict(size=size),
                     tickangle=0)
    top = max([y for y in ys0 + ys1 if y is not None] + [result["unsupervised"]])
    fig.update_yaxes(title_text="P@1 (CSLS)", tickformat=".0%", range=[0, top * 1.2], tickfont=dict(size=size))
    return _layout(fig, legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0,
                                    font=dict(size=size)), margin=dict(l=70, r=20, t=60, b=80), font=dict(size=size),
                   height=height)


ISO_TITLES = {"relational_similarity": "relational similarity<br>(1 = isomorphic)",
              "neighbourhood_overlap": "neighbourhood overlap<br>(1 = isomorphic)",
              "singular_value_gap": "singular value gap<br>(0 = isomorphic)",
              "eigenvector_similarity": "eigenvector similarity<br>(0 = isomorphic)"}
ISO_IDEAL = {"relational_similarity": 1.0, "neighbourhood_overlap": 1.0}
ISO_ROWS = tuple(ISO_TITLES.items())


def iso_color(kind: str, outcome: dict | None) -> str:
    """Grey for the isomorphic copy, green where unsupervised mapping works, red where it fails."""
    from app.scenes import unsup_works

    if outcome is None:
        return "#999999"
    return OK_COLOR if unsup_works(outcome) else BAD_COLOR


def isomorphism(result: dict, size: int = 18, height: int = 480) -> go.Figure:
    """F9: one panel per measure, one horizontal bar per pair (named on the axis), a line at the isomorphic
    value; green/red: whether fully unsupervised mapping works on that pair."""
    names = list(result["reports"])
    short = [n.replace(" (isomorphic)", "").replace("rotated copy of ", "rotated ") for n in names]
    fig = make_subplots(rows=2, cols=2, subplot_titles=[t for _, t in ISO_ROWS], horizontal_spacing=0.2,
                        vertical_spacing=0.22)
    colors = [iso_color(result["kinds"][n], result["outcomes"].get(n)) for n in names]
    for c, (key, _) in enumerate(ISO_ROWS):
        row, col = 1 + c // 2, 1 + c % 2
        vals = [result["reports"][n][key] for n in names]
        fig.add_trace(go.Bar(y=short, x=vals, orientation="h", marker_color=colors, name=key,
                             text=[f"{v:.2f}" if abs(v) < 10 else f"{v:,.0f}" for v in vals], textposition="outside",
                             textfont=dict(size=size), showlegend=False, cliponaxis=False), row, col)
        top = max(max(vals), ISO_IDEAL.get(key, 0.0))
        if key in ISO_IDEAL:   # the scale: where isomorphic spaces would be
            fig.add_vline(x=ISO_IDEAL[key], line=dict(color="#444", dash="dash", width=2), row=row, col=col)
        fig.update_xaxes(range=[min(0, min(vals)) * 1.4, top * 1.45], showticklabels=False, row=row, col=col)
        fig.update_yaxes(autorange="reversed", tickfont=dict(size=size), row=row, col=col)
    _layout(fig, height=height, margin=dict(l=10, r=10, t=60, b=10), font=dict(size=size))
    fig.update_annotations(font_size=size)
    return fig


def _k(n: int) -> str:
    return f"{n / 1000:g}k" if n >= 1000 else str(n)


def bands(result: dict, size: int = 18, height: int = HEIGHT) -> go.Figure:
    """F12: P@1 (and P@10) per source frequency band."""
    b = result["bands"]
    # upper rank of each band (short enough for a projector), and the band's number of test words
    labels = [f"≤{_k(x['hi'])}<br>n={x['n']}" for x in b]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=labels, y=[x["p1"] for x in b], name="P@1", marker_color=SRC_COLOR,
                         # a bar too short for its label gets it above, in dark type
                         text=[f"{x['p1']:.1%}" for x in b],
                         textposition=["inside" if x["p1"] >= 0.1 else "outside" for x in b],
                         insidetextanchor="end", constraintext="none", textangle=0, cliponaxis=False,
                         textfont=dict(size=size, color=["white" if x["p1"] >= 0.1 else SRC_COLOR for x in b])))
    fig.add_trace(go.Scatter(x=labels, y=[x["p10"] for x in b], name="P@10", mode="lines+markers",
                             line=dict(color=TGT_COLOR, width=3, dash="dash"), marker=dict(size=10)))
    fig.update_xaxes(title_text="source word frequency rank", tickangle=0)
    fig.update_yaxes(title_text="share of test words", tickformat=".0%", range=[0, 1])
    return _layout(fig, font=dict(size=size), height=height)
