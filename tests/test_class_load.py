"""A small class against a real lab server, without browsers (bench/class_load.py).

The test starts ``streamlit run`` on a free loopback port (8600-8699), lets three simulated students speak
Streamlit's websocket protocol to it (Lessons, F4's iterations, Step in the sidebar, a shared link), and
checks that nothing failed and that no session saw another's state: each student's own checks (F4 at its
own iteration, "Iteration: i / i" after its own i steps, a shared link replayed to its own K) ran, and two
sessions side by side keep their own iteration while sharing the server-wide run.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from bench import class_load as cl

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server():
    proc = cl.start_server(cl.free_port())
    try:
        yield f"http://127.0.0.1:{proc.args[proc.args.index('--server.port') + 1]}", proc.pid
    finally:
        cl.stop_server(proc)


def test_three_students_no_errors_and_own_state(server):
    url, pid = server
    report = asyncio.run(cl.run_class(url, [pid], 3, think=0.2, ramp=0.5, label="test"))
    assert report.errors == []
    kinds = [t[0] for t in report.times]
    # every student's checks ran (the warm-up student before the class is not counted), each student with
    # its own number of clicks
    assert kinds.count("open Lessons") == 3
    assert kinds.count("lesson next") == sum(1 + k % 3 for k in range(3))
    assert kinds.count("Step") == sum(1 + k % 2 for k in range(3))
    assert kinds.count("shared link") == 3
    assert all(chart is not None for kind, _, chart, _, _ in report.times if kind != "open Lessons")
    assert report.rss_peak > 0 and report.cpu > 0


def _iteration(run) -> str | None:
    m = cl._text_match(run, r"^Iteration: (\d+ / \d+)$")
    return m.group(1) if m else None


def test_two_sessions_keep_their_own_iteration(server):
    url, _ = server

    async def scenario():
        a, b = cl.Session(url, cl.load_page(url)), cl.Session(url, cl.load_page(url))
        try:
            await a.connect()
            await b.connect()
            assert _iteration(await a.rerun(chart_key="learning_curves")) == "0 / 0"
            await b.rerun(chart_key="learning_curves")
            for i in (1, 2):
                run = await a.rerun([a.trigger("b_step")], chart_key="learning_curves")
                assert _iteration(run) == f"{i} / {i}"
            # B, on the same server-wide run, is still at its own iteration 0 ...
            assert _iteration(await b.rerun(chart_key="learning_curves")) == "0 / 0"
            # ... and its own Step takes it to 1 (A's iteration 1, shared, not A's state)
            run = await b.rerun([b.trigger("b_step")], chart_key="learning_curves")
            assert _iteration(run) == "1 / 1"
            assert re.search(r"computed once on this server", " ".join(run.texts))
            assert _iteration(await a.rerun(chart_key="learning_curves")) == "2 / 2"
        finally:
            await a.close()
            await b.close()

    asyncio.run(scenario())
