"""Figures for a projector: large type, and static PNG / SVG files at projector sizes.

Static export goes through plotly's ``to_image``, which runs kaleido (1.x drives a headless Chrome: Debian's
``chromium`` on PATH, or the one named by the ``BROWSER_PATH`` environment variable).
"""

from __future__ import annotations

import copy

import plotly.graph_objects as go

# (label, width, height): the two projector resolutions the lab is used on.
SIZES = (("1280×720", 1280, 720), ("1920×1080", 1920, 1080))
FORMATS = ("png", "svg")
MIME = {"png": "image/png", "svg": "image/svg+xml"}
PRESENT_FONT = 22          # chart text in presenting mode and in exported files (>= 16 px from the back)
PRESENT_TITLE_FONT = 28


def projector_style(fig: go.Figure, height: int | None = None) -> go.Figure:
    """A copy of ``fig`` with every text at least PRESENT_FONT px (titles larger) and, optionally, a height."""
    fig = go.Figure(fig)
    fig.update_layout(font=dict(size=PRESENT_FONT), title_font_size=PRESENT_TITLE_FONT,
                      legend=dict(font=dict(size=PRESENT_FONT)))
    for ann in fig.layout.annotations or ():
        ann.font = dict(**{**(ann.font.to_plotly_json() if ann.font else {}), "size": PRESENT_FONT})
    for trace in fig.data:
        if getattr(trace, "textfont", None) is not None and "text" in trace and trace.text is not None:
            trace.textfont.size = max(trace.textfont.size or 0, PRESENT_FONT - 4)
    fig.update_xaxes(tickfont_size=PRESENT_FONT - 2, title_font_size=PRESENT_FONT)
    fig.update_yaxes(tickfont_size=PRESENT_FONT - 2, title_font_size=PRESENT_FONT)
    if height is not None:
        fig.update_layout(height=height)
    return fig


def figure_bytes(fig: go.Figure, fmt: str, width: int, height: int) -> bytes:
    """The figure as a PNG or SVG file of ``width`` x ``height`` pixels, in projector type sizes."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; use png or svg")
    styled = projector_style(copy.deepcopy(fig))
    styled.update_layout(width=width, height=height, updatemenus=[], sliders=[])
    styled.frames = ()
    return styled.to_image(format=fmt, width=width, height=height, scale=1)
