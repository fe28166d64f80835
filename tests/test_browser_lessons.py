"""One real browser on the Lessons page: open it at projector size (1280x720), click one lesson, step it, screenshot.

Marked ``browser`` like tests/test_browser.py; needs Debian's /usr/bin/chromium (``.ci/run`` installs it).
Prints the seconds from the click to the chart and saves the screenshots under tmp_path.
"""

import os
import re
import time
from contextlib import contextmanager

import pytest

import test_browser
from test_browser import HEADLESS_ARGS, NO_BROWSER

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The browser tests' server (tests/test_browser.py starts one), or one already running at
    $CLWE_TEST_URL: on a loaded 2-core machine a niced server can take longer than that fixture's 60 s."""
    url = os.environ.get("CLWE_TEST_URL")
    if url:
        yield url.rstrip("/")
    else:
        yield from test_browser.server.__wrapped__(tmp_path_factory)


def _wait_idle(page, timeout: float = 60_000) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)


@contextmanager
def _lessons_page(server):
    """Headless Chromium at projector size (1280x720) on the Lessons page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=HEADLESS_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(server + "/lessons")
            yield page
        finally:
            browser.close()


@NO_BROWSER
def test_self_learning_lesson_in_a_real_browser(server, tmp_path):
    with _lessons_page(server) as page:
        button = page.get_by_role("button", name="F4 Self-learning", exact=True)
        button.wait_for(timeout=120_000)
        _wait_idle(page)
        t0 = time.monotonic()
        button.click()
        page.get_by_text("F4 · The self-learning loop:").wait_for(timeout=60_000)
        chart = page.locator(".js-plotly-plot").first
        chart.wait_for(state="visible", timeout=60_000)
        _wait_idle(page)
        seconds = time.monotonic() - t0
        assert page.locator("strong", has_text="Iteration 0:").count() == 1
        text0 = page.locator("[data-testid='stMarkdownContainer']", has_text="Iteration 0:").first.inner_text()
        p1_seed = float(re.search(r"P@1 ([\d.]+)%", text0).group(1))
        # the chart is on screen at 1280x720, not below the fold
        box = chart.bounding_box()
        assert box is not None and box["y"] < 720 and box["height"] > 200
        page.get_by_role("button", name="Next iteration ▶").click()
        page.locator("strong", has_text="Iteration 1:").wait_for(timeout=60_000)
        _wait_idle(page)
        text = page.locator("[data-testid='stMarkdownContainer']", has_text="Iteration 1:").first.inner_text()
        p1 = float(re.search(r"P@1 ([\d.]+)%", text).group(1))
        assert p1 > p1_seed       # one self-learning step from 100 pairs improves on the seed's mapping
        assert page.get_by_text("The data agrees.").count() == 1
        page.mouse.move(1275, 715)
        page.wait_for_timeout(500)
        page.screenshot(path=str(tmp_path / "lesson_f4.png"))
        print(f"\nF4: 1 click, {seconds:.2f} s to the chart; P@1 {p1_seed}% -> {p1}% after one step; "
              f"screenshot in {tmp_path}")


# Each scene's key text besides its verdict box: the line under the chart a lecturer points at.
# (regular expressions: a plain string matches any text containing it, whatever its case)
KEY_TEXT = {"F4": re.compile(r"^Iteration \d+: P@1"), "F6": re.compile(r"^The seed's first pairs:"),
            "F9": re.compile(r"^\S+: unsupervised (works|fails) \(")}
FOLD = 720


def _assert_fits(page, scene_id: str) -> None:
    """The chart, the verdict box and the scene's key text are whole above the fold (1280x720), and no label
    on the page is cut (a button's, a radio option's or the heading's text wider than its box)."""
    chart = page.locator(".js-plotly-plot, [data-testid='stGraphVizChart'] svg").first
    box = chart.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= FOLD + 2, (scene_id, "chart", box)
    assert box["height"] > 150, (scene_id, "chart too small", box)
    verdict = page.locator("[data-testid='stAlert']").first
    vbox = verdict.bounding_box()
    assert vbox is not None and vbox["y"] + vbox["height"] <= FOLD, (scene_id, "verdict below the fold", vbox)
    if scene_id in KEY_TEXT:
        key = page.locator("[data-testid='stMarkdownContainer']", has_text=KEY_TEXT[scene_id]).first
        kbox = key.bounding_box()
        assert kbox is not None and kbox["y"] + kbox["height"] <= FOLD, (scene_id, KEY_TEXT[scene_id].pattern, kbox)
    assert page.evaluate(TRUNCATED) == [], (scene_id, "labels cut", page.evaluate(TRUNCATED))


@NO_BROWSER
def test_every_lesson_shows_its_chart_above_the_fold(server, tmp_path):
    """Each scene: one click, its chart (plotly, or the graphviz diagram of F2), its verdict and its key text
    whole within 1280x720, no label cut."""
    from app.lessons import SCENES

    with _lessons_page(server) as page:
        page.get_by_role("button", name=SCENES[0].label, exact=True).wait_for(timeout=120_000)
        _wait_idle(page)
        times = {}
        for scene in SCENES:
            t0 = time.monotonic()
            page.get_by_role("button", name=scene.label, exact=True).click()
            page.get_by_text(f"{scene.id} · {scene.title}").first.wait_for(timeout=60_000)
            _wait_idle(page)
            chart = page.locator(".js-plotly-plot, [data-testid='stGraphVizChart'] svg").first
            chart.wait_for(state="visible", timeout=60_000)
            times[scene.id] = round(time.monotonic() - t0, 2)
            page.wait_for_function(DIAGRAMS_DRAWN, timeout=60_000)
            page.wait_for_timeout(500)
            _assert_fits(page, scene.id)
            small = [s for s in page.evaluate(DIAGRAM_FONTS) if s < 14]   # F2's diagram, F4's loop
            assert small == [], (scene.id, "diagram text below 14 px", small[:3])
            page.mouse.move(1275, 715)
            page.screenshot(path=str(tmp_path / f"lesson_{scene.id}.png"))
        print(f"\nseconds from click to chart: {times}; screenshots in {tmp_path}")


# every text of a chart, in px: plotly writes font sizes into the SVG's style attributes
CHART_FONTS = """() => [...document.querySelectorAll('.js-plotly-plot .main-svg text, .js-plotly-plot .infolayer text')]
    .filter(t => t.textContent.trim() && t.getBoundingClientRect().width > 0)
    .map(t => [t.textContent.trim().slice(0, 30), parseFloat(getComputedStyle(t).fontSize)])"""
# every text of a Graphviz diagram, in px as drawn: its font size times the scale of the SVG in the page
DIAGRAM_FONTS = """() => [...document.querySelectorAll("[data-testid='stGraphVizChart'] svg text")]
    .filter(t => t.textContent.trim())
    .map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)"""
DIAGRAMS_DRAWN = """() => [...document.querySelectorAll("[data-testid='stGraphVizChart']")].every(e => e.querySelector('svg text'))"""
# labels that do not fit (cut with an ellipsis or overflowing their box): buttons, radio options, headings
TRUNCATED = """() => [...document.querySelectorAll('[data-testid="stMain"] button, '
        + '[data-testid="stMain"] [data-testid="stRadio"] label, [data-testid="stMain"] h3')]
    .filter(b => b.offsetParent !== null)
    .filter(b => [b, ...b.querySelectorAll('p, div, span')]
        .some(e => e.clientWidth > 2 && e.scrollWidth > e.clientWidth + 1))   // (1-px boxes: screen-reader text)
    .map(b => b.innerText)"""


@NO_BROWSER
def test_presenting_mode_one_scene_per_screen(server, tmp_path):
    """?present=1 at 1280x720: Next walks through every scene; each has its chart, its verdict and its key text
    (F4's iteration line, F6's seed pairs, F9's outcomes) whole above the fold, chart text of at least 18 px,
    no label cut, and the sidebar folded."""
    from playwright.sync_api import sync_playwright

    from app.lessons import SCENES

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=HEADLESS_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(server + f"/lessons?present=1&lesson={SCENES[0].id}")
            for k, scene in enumerate(SCENES):
                page.get_by_text(f"{scene.id} · {scene.title}").first.wait_for(timeout=120_000)
                _wait_idle(page, 120_000)
                chart = page.locator(".js-plotly-plot, [data-testid='stGraphVizChart'] svg").first
                chart.wait_for(state="visible", timeout=60_000)
                page.wait_for_function(DIAGRAMS_DRAWN, timeout=60_000)
                page.wait_for_timeout(500)
                _assert_fits(page, scene.id)
                small = [(t, s) for t, s in page.evaluate(CHART_FONTS) if s < 18]
                assert small == [], (scene.id, small[:5])
                page.wait_for_function(DIAGRAMS_DRAWN, timeout=60_000)
                small = [s for s in page.evaluate(DIAGRAM_FONTS) if s < 18]
                assert small == [], (scene.id, "diagram text below 18 px", small[:3])
                sidebar = page.locator("[data-testid='stSidebar']")
                assert sidebar.count() == 0 or sidebar.get_attribute("aria-expanded") != "true"
                page.mouse.move(1275, 715)
                page.screenshot(path=str(tmp_path / f"present_{scene.id}.png"))
                if k < len(SCENES) - 1:
                    page.get_by_role("button", name="Next ▶").click()
            assert "lesson=F12" in page.url
        finally:
            browser.close()
    print(f"\npresenting-mode screenshots in {tmp_path}")


@NO_BROWSER
def test_shared_addresses_in_a_fresh_browser(server, tmp_path):
    """A lesson scene's address and a replayed run file's address, each opened in a new browser context (no
    session, no cookies), show the same numbers."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=HEADLESS_ARGS)
        try:
            # a lesson scene at an iteration
            page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
            page.goto(server + "/lessons?lesson=F4&lit=3")
            page.locator("strong", has_text="Iteration 3:").wait_for(timeout=120_000)
            _wait_idle(page, 120_000)
            first = page.locator("[data-testid='stMarkdownContainer']", has_text="Iteration 3:").first.inner_text()
            address = page.url
            assert "lesson=F4" in address and "lit=3" in address
            other = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
            other.goto(address)
            other.locator("strong", has_text="Iteration 3:").wait_for(timeout=120_000)
            _wait_idle(other, 120_000)
            again = other.locator("[data-testid='stMarkdownContainer']", has_text="Iteration 3:").first.inner_text()
            assert again == first

            # a lab run, downloaded, opened on the Run file page and replayed: its address restores it
            page.goto(server + "/")
            page.get_by_role("button", name="Step ▶").first.wait_for(timeout=120_000)
            _wait_idle(page, 120_000)
            page.get_by_role("button", name="Step ▶").first.click()
            page.wait_for_url(lambda url: "it=1" in url, timeout=120_000)
            _wait_idle(page, 120_000)
            with page.expect_download() as dl:
                page.get_by_role("button", name="Download this run (.zip)").click()
            path = tmp_path / "run.zip"
            dl.value.save_as(path)
            page.goto(server + "/runfile")
            page.locator("input[type=file]").set_input_files(str(path))
            page.get_by_role("button", name="Replay this run in the lab").wait_for(timeout=60_000)
            page.get_by_role("button", name="Replay this run in the lab").click()
            page.wait_for_url(lambda url: "it=1" in url, timeout=120_000)
            _wait_idle(page, 120_000)
            replayed = page.url
            assert "pair=en-fr" in replayed
            fresh = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
            fresh.goto(replayed)
            fresh.get_by_text("Iteration 1").first.wait_for(timeout=120_000)
            _wait_idle(fresh, 120_000)
            assert "it=1" in fresh.url
        finally:
            browser.close()
