"""A whole class on one server: N concurrent browser sessions against one `streamlit run`.

Each session (its own browser context, so its own Streamlit session) opens the Lessons page, opens two
lessons (a rotating first one, then F4) and steps twice. It records the seconds from each click to the
chart, and checks that it only ever sees its own state: F4 must open at iteration 0 although other
sessions are at iteration 1 or 2 at that moment, and show iteration 1 and 2 after its own steps.
The server's memory (RSS of the server process and its children) is sampled throughout.

    streamlit run app/streamlit_app.py --server.headless true --server.port 8611 &
    python bench/class_sessions.py http://127.0.0.1:8611 <server pid> [30]
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.lessons import BY_ID  # noqa: E402
from bench.lessons_browser import ARGS, CHART, CHROMIUM, DRAWN  # noqa: E402

FIRST = ("F3", "F7", "F9", "F12", "F2", "F8")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    pids = [pid]
    try:
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


async def idle(page):
    await page.wait_for_timeout(250)
    await page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                                 timeout=600_000)


async def session(browser, url, k, out, errors):
    ctx = await browser.new_context(viewport={"width": 1280, "height": 720})
    page = await ctx.new_page()
    page.set_default_timeout(600_000)
    times = []
    try:
        await asyncio.sleep(0.4 * k)      # students do not click in the same millisecond
        await page.goto(url.rstrip("/") + "/lessons", timeout=600_000)
        for sid in (FIRST[k % len(FIRST)], "F4"):
            scene = BY_ID[sid]
            await page.get_by_role("button", name=scene.label, exact=True).wait_for(timeout=600_000)
            await idle(page)
            t0 = time.monotonic()
            await page.get_by_role("button", name=scene.label, exact=True).click()
            await page.get_by_text(f"{sid} · {scene.title}:").wait_for(timeout=600_000)
            await page.locator(CHART).first.wait_for(state="visible", timeout=600_000)
            await idle(page)
            await page.wait_for_function(DRAWN, timeout=600_000)
            times.append(("open " + sid, time.monotonic() - t0))
        shown = page.locator("strong", has_text=re.compile(r"^Iteration \d+:$")).first
        await shown.wait_for(timeout=600_000)
        if (text := (await shown.inner_text()).strip()) != "Iteration 0:":
            errors.append(f"session {k}: F4 opened showing {text!r}, not its own iteration 0")
        for want in (1, 2):
            t0 = time.monotonic()
            await page.get_by_role("button", name="Next iteration ▶").click()
            await page.locator("strong", has_text=f"Iteration {want}:").wait_for(timeout=600_000)
            await idle(page)
            if (text := (await shown.inner_text()).strip()) != f"Iteration {want}:":
                errors.append(f"session {k}: after its step {want} it shows {text!r}")
            times.append((f"step to {want}", time.monotonic() - t0))
        if k == 0:
            await page.screenshot(path=f"{out}/session0.png")
    except Exception as e:  # noqa: BLE001 - a bench reports every failure and goes on
        errors.append(f"session {k}: {type(e).__name__}: {str(e).splitlines()[0]}")
    finally:
        await ctx.close()
    return times


async def main(url: str, pid: int, n: int, out: str) -> None:
    from playwright.async_api import async_playwright

    Path(out).mkdir(parents=True, exist_ok=True)
    samples, stop = [], threading.Event()

    def sample():
        while not stop.is_set():
            samples.append(rss_mb(pid))
            time.sleep(0.5)

    before = rss_mb(pid)
    cpu_before = cpu_seconds(pid)
    threading.Thread(target=sample, daemon=True).start()
    errors: list[str] = []
    t0 = time.monotonic()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        results = await asyncio.gather(*(session(browser, url, k, out, errors) for k in range(n)))
        await browser.close()
    stop.set()
    wall = time.monotonic() - t0
    opens = [s for r in results for what, s in r if what.startswith("open")]
    steps = [s for r in results for what, s in r if what.startswith("step")]
    print(f"server CPU for the whole class: {cpu_seconds(pid) - cpu_before:.1f} s; load average now "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{n} sessions, wall {wall:.1f} s; server RSS before {before:.0f} MB, peak {max(samples):.0f} MB, "
          f"after {rss_mb(pid):.0f} MB")
    for name, xs in (("click -> chart", opens), ("step -> chart", steps)):
        if xs:
            print(f"{name}: n={len(xs)} median {statistics.median(xs):.2f} s, worst {max(xs):.2f} s")
    per_lesson: dict[str, list[float]] = {}
    for r in results:
        for what, s in r:
            per_lesson.setdefault(what, []).append(s)
    for what, xs in sorted(per_lesson.items()):
        print(f"  {what}: n={len(xs)} median {statistics.median(xs):.2f} s worst {max(xs):.2f} s")
    print("isolation / errors:", "none" if not errors else "\n  " + "\n  ".join(errors))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 30,
                     sys.argv[4] if len(sys.argv) > 4 else "/tmp/class_png"))
