"""Time the live unsupervised demo in headless Chromium, as a lecturer runs it: Lessons → F8 → "Watch it live".

    streamlit run app/streamlit_app.py --server.headless true --server.port 8911 &
    python bench/live_demo_browser.py http://127.0.0.1:8911 /tmp/demo_png [present|normal] [wait seconds]

Prints the seconds from the click to the "Aligned" sentence on the page, the progress lines seen on the way
(the plain-words progress of the search) and the machine load (``os.getloadavg``) before and after; saves
screenshots at 1280x720 of the search under way and of the result. On a server that already ran the demo, its
seed and iterations are cached: restart the server for a cold measurement. ``wait``: seconds between the F8
chart appearing and the click (a lecturer explains the chart first; opening F8 starts building the demo's
seed in the background, ``app.actions.prebuild_demo``).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lessons_browser import ARGS, CHROMIUM, wait_idle  # noqa: E402

BUTTON = "Watch it live"
DONE = "text=/Aligned|this run has failed|Still searching after|stopped at iteration/"


def main(url: str, out: str, mode: str = "normal", wait: str = "0") -> None:
    from playwright.sync_api import sync_playwright

    Path(out).mkdir(parents=True, exist_ok=True)
    query = "lesson=F8" + ("&present=1" if mode == "present" else "")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url.rstrip("/") + "/lessons?" + query, timeout=600_000)
        page.get_by_role("button", name=BUTTON).wait_for(timeout=300_000)
        wait_idle(page, 300_000)
        page.wait_for_timeout(1000 * float(wait))
        load0 = os.getloadavg()
        t0 = time.monotonic()
        page.get_by_role("button", name=BUTTON).click()
        seen, shot = [], False
        while True:
            if page.locator(DONE).count():
                break
            bar = page.locator("[data-testid='stProgress'] p, [data-testid='stMain'] [data-testid='stAlert'] p")
            for k in range(bar.count()):
                try:
                    text = bar.nth(k).inner_text(timeout=500).strip()
                except Exception:  # noqa: BLE001 - the element was replaced meanwhile
                    continue
                if text and text not in {t for _, t in seen} and "The data" not in text:
                    seen.append((time.monotonic() - t0, text))
            if not shot and time.monotonic() - t0 > 25:
                page.screenshot(path=f"{out}/demo_{mode}_searching.png")
                shot = True
            if time.monotonic() - t0 > 600:
                print("no outcome after 600 s")
                break
            page.wait_for_timeout(400)
        seconds = time.monotonic() - t0
        wait_idle(page, 120_000)
        page.screenshot(path=f"{out}/demo_{mode}_aligned.png")
        outcome = page.locator(DONE).first.inner_text() if page.locator(DONE).count() else "(none)"
        for t, text in seen:
            print(f"  {t:5.1f} s  {text[:160]}")
        print(f"click to outcome: {seconds:.1f} s ({mode} mode, clicked {float(wait):.0f} s after F8 appeared); "
              f"load before {load0[0]:.2f}, after "
              f"{os.getloadavg()[0]:.2f}")
        print("outcome:", outcome[:300])
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
