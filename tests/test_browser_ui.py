"""The lab on a projector, in a real headless Chromium at 1280x720 (issue 11, items 2, 5, 6).

Every page is reachable from the sidebar (no page folded into a "more" menu), presenting mode from the URL puts
the whole chart above the fold, a reload restores the iteration, and the Export button downloads a PNG.
Marked ``browser``; reuses the server fixture of tests/test_browser.py.
"""

import time

import pytest

from tests.test_browser import CHROMIUM, HEADLESS_ARGS, NO_BROWSER, _wait_idle, server  # noqa: F401

pytestmark = pytest.mark.browser
PAGES = ["Data", "Seed", "Self-learning", "Projections", "Similarity", "Word inspector", "Analysis", "Run file"]


@NO_BROWSER
def test_projector_1280x720(server, tmp_path):  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=HEADLESS_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720}, accept_downloads=True)
            page.goto(server + "/?present=1&vocab=5000&cutoff=5000")
            page.wait_for_selector(".js-plotly-plot", timeout=120_000)
            _wait_idle(page, 120_000)
            # presenting mode folds the sidebar away (issue 17); the lecturer opens it with one click
            page.get_by_test_id("stExpandSidebarButton").click()
            page.get_by_role("button", name="Step ▶").wait_for(timeout=30_000)
            for name in PAGES:   # all in the sidebar, visible without scrolling
                link = page.get_by_role("link", name=name, exact=True)
                assert link.is_visible(), name
                box = link.bounding_box()
                assert box["y"] + box["height"] <= 720, (name, box)
            chart = page.locator(".js-plotly-plot").first.bounding_box()
            assert chart["y"] >= 0 and chart["y"] + chart["height"] <= 720, chart   # above the fold
            assert page.get_by_role("button", name="Run N").count() == 0
            page.screenshot(path=str(tmp_path / "present_1280x720.png"))

            page.get_by_role("button", name="Step ▶").click()
            _wait_idle(page, 120_000)
            page.wait_for_function("() => location.search.includes('it=1')", timeout=30_000)
            t0 = time.monotonic()
            page.reload()          # the scene comes back from the URL
            page.wait_for_selector(".js-plotly-plot", timeout=120_000)
            _wait_idle(page, 120_000)
            print(f"restored from the URL in {time.monotonic() - t0:.1f} s")
            assert "it=1" in page.url and "present=1" in page.url
            page.get_by_text("Iteration shown").first.wait_for(timeout=30_000)

            page.get_by_text("Presenting mode", exact=True).click()   # off: the Export buttons come back
            page.get_by_role("button", name="Run N").wait_for(timeout=60_000)
            _wait_idle(page, 120_000)
            page.wait_for_timeout(1000)
            page.get_by_text("Export figure").first.click()
            button = page.get_by_role("button", name="PNG 1280×720").first
            button.wait_for(timeout=30_000)
            with page.expect_download(timeout=120_000) as download:
                button.click()
            data = open(download.value.path(), "rb").read()
            assert data[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(data[16:20], "big") == 1280
        finally:
            browser.close()
