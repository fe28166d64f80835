"""Open every lesson in headless Chromium against a running server; time each click to its chart, screenshot.

    streamlit run app/streamlit_app.py --server.headless true --server.port 8611 &
    python bench/lessons_browser.py http://127.0.0.1:8611 /tmp/lessons_png [1280x720]

Prints, per lesson, the clicks and the seconds from the click to the chart being drawn (script idle and
the chart visible). Screenshots are <out>/<id>.png at the window size given.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.lessons import SCENES  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]
CHART = ".js-plotly-plot, [data-testid='stGraphVizChart'] svg"
# every chart of the page drawn (plotly has put its SVG in, Graphviz its SVG), not just its placeholder
DRAWN = """() => [...document.querySelectorAll("[data-testid='stPlotlyChart']")].every(e => e.querySelector('.main-svg'))
          && [...document.querySelectorAll("[data-testid='stGraphVizChart']")].every(e => e.querySelector('svg'))"""


def wait_idle(page, timeout=120_000):
    page.wait_for_timeout(250)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)


def open_lesson(page, scene) -> float:
    t0 = time.monotonic()
    page.get_by_role("button", name=scene.label, exact=True).click()
    page.get_by_text(f"{scene.id} · {scene.title}:").wait_for(timeout=120_000)
    page.locator(CHART).first.wait_for(state="visible", timeout=120_000)
    wait_idle(page)
    page.wait_for_function(DRAWN, timeout=120_000)
    return time.monotonic() - t0


def main(url: str, out: str, size: str = "1280x720") -> None:
    from playwright.sync_api import sync_playwright

    w, h = (int(x) for x in size.split("x"))
    Path(out).mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": w, "height": h})
        t0 = time.monotonic()
        page.goto(url.rstrip("/") + "/lessons")
        page.get_by_role("button", name=SCENES[0].label, exact=True).wait_for(timeout=120_000)
        wait_idle(page)
        print(f"page open: {time.monotonic() - t0:.2f} s")
        for scene in SCENES:
            sec = open_lesson(page, scene)
            clicks = 1
            page.mouse.move(w - 5, h - 5)
            page.wait_for_timeout(600)
            page.screenshot(path=f"{out}/{scene.id}.png")
            if scene.steps:
                for _ in range(2):
                    t1 = time.monotonic()
                    page.get_by_role("button", name="Next iteration ▶").click()
                    wait_idle(page)
                    print(f"  {scene.id} step: {time.monotonic() - t1:.2f} s")
                page.mouse.move(w - 5, h - 5)
                page.wait_for_timeout(600)
                page.screenshot(path=f"{out}/{scene.id}_step2.png")
            print(f"{scene.id}: {clicks} click, {sec:.2f} s to the chart")
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
