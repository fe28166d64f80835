"""A whole class on the lab, without browsers: N students speak Streamlit's own websocket protocol.

Each simulated student is one websocket session on ``/_stcore/stream`` sending the protobuf messages the
installed Streamlit ships (``streamlit.proto.BackMsg_pb2``: a ``rerun_script`` ClientState with the widget
states, as the browser sends on every click) and reading its ``ForwardMsg`` replies. It

1. opens the Lessons page,
2. clicks one lesson scene (F3, F7, F9, F12, F8 or F6, by student number), then F4 (the self-learning loop),
   and presses *Next iteration* 1-3 times (checking it sees its own iteration, not a neighbour's),
3. switches to the Self-learning page and presses **Step** 1-2 times in the sidebar (the engine runs; the
   sidebar's "Last step: X s in the engine" gives the engine time, the page's "Iteration a / b" metric
   must be its own count),
4. opens a shared link (a new session with ``?pair=en-fr&...&it=K``) and checks it replays to K,

with think times between clicks. Click-to-chart = from sending the click to the ``ForwardMsg`` delta that
carries the page's plotly chart; the run must then finish (``script_finished``) without an error element.
Optionally one more student uploads a large embedding file on the Data page (``--upload-mb 200``) through
Streamlit's upload route, and the others' latencies during the upload are reported apart.

Only loopback servers are contacted; every wait has a timeout and a whole run a deadline.

    python bench/class_load.py --students 10 30 60 120        # a fresh server per N (ports 8600-8699)
    python bench/class_load.py --url http://127.0.0.1:8650 --pids 123,456 --students 120   # e.g. deploy/
    python bench/class_load.py --students 60 --upload-mb 200

Relies on Streamlit 1.x's wire protocol (pinned in pyproject.toml: ``streamlit>=1.50,<2``): the
``/_stcore/stream`` endpoint with the "streamlit" subprotocol and the XSRF token as its second entry,
``ClientState`` (query_string, widget_states, page_script_hash, page_name), ``WidgetState`` trigger /
string / file-uploader values, the ``navigation`` and ``script_finished`` ForwardMsgs, and the
``file_urls_request`` + ``PUT /_stcore/upload_file/<session>/<file>`` upload. Widget ids are read from the
elements the server sends (``$$ID-<hash>-<user key>``), never computed here.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSON_SCENES = ("F3", "F7", "F9", "F12", "F8", "F6")   # precomputed scenes with a plotly chart
PORTS = range(8600, 8700)
WAIT = 300.0          # seconds: one click's reply at most
DEADLINE = 1500.0     # seconds: one whole class at most
# The shared link a student opens (the Self-learning page, replayed to iteration it=K).
LINK = "pair=en-fr&vocab=10000&seed=random&n=100&rs=0&norm=unit%2Bcenter%2Bunit&retrieval=csls&k=10&dir=union" \
       "&cutoff=10000&mapping=procrustes&keep=1&stall=3"


# --------------------------------------------------------------------------------------------------
# the server: its CPU time and memory from /proc


def _family(pids: list[int]) -> list[int]:
    """The given processes and their children (a streamlit server has none, but a wrapper may)."""
    out = list(pids)
    for pid in pids:
        try:
            out += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            pass
    return out


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by the processes."""
    total = 0.0
    for pid in _family(pids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return total


def rss_mb(pids: list[int]) -> float:
    """Resident memory of the processes, in MB."""
    total = 0
    for pid in _family(pids):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def free_port(ports=PORTS) -> int:
    """A free loopback port of the range."""
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def wait_healthy(url: str, timeout: float = 120.0) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            with urllib.request.urlopen(url.rstrip("/") + "/_stcore/health", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not become healthy in {timeout:.0f} s")


def start_server(port: int, extra: list[str] | None = None) -> subprocess.Popen:
    """``streamlit run`` of the lab on 127.0.0.1:port (headless), in its own process group."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "streamlit_app.py"),
           "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *(extra or [])]
    log = open(Path(tempfile.gettempdir()) / f"clwe-load-server-{port}.log", "w")   # never a full pipe
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
    except RuntimeError:
        stop_server(proc)
        raise
    return proc


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# --------------------------------------------------------------------------------------------------
# one websocket session


def _check_loopback(url: str) -> None:
    host = urllib.parse.urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"{url}: this load generator only talks to this machine's loopback")


@dataclass
class Browser:
    """A student's cookies, as a browser keeps them after loading the page: Streamlit's XSRF cookie (its
    token goes back in the websocket subprotocol and the upload header) and, behind deploy/'s proxy, the
    route cookie that keeps the student on one server."""

    cookies: dict

    @property
    def header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    @property
    def xsrf(self) -> str:
        return urllib.parse.unquote(self.cookies.get("_streamlit_xsrf", ""))


def load_page(url: str) -> Browser:
    """GET the app's page and its health check, as the browser does before it opens the websocket (the
    health check sets the XSRF cookie); keep the cookies, sending each request with the earlier ones."""
    cookies = {}
    for path in ("/", "/_stcore/health"):
        req = urllib.request.Request(url.rstrip("/") + path,
                                     headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
        with urllib.request.urlopen(req, timeout=WAIT) as r:
            r.read()
            for header in r.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                cookies.setdefault(name.strip(), rest.split(";", 1)[0])
    return Browser(cookies)


class Failure(Exception):
    """A session saw something wrong (an error element, a wrong iteration, a timeout)."""


@dataclass
class Run:
    """What one script run sent: its elements by kind, its texts, and when the chart and the end came."""

    t0: float
    chart_key: str | None
    t_chart: float | None = None
    t_done: float | None = None
    status: str = ""
    texts: list = field(default_factory=list)     # markdown / caption / metric text
    errors: list = field(default_factory=list)    # error alerts and exceptions
    sliders: dict = field(default_factory=dict)   # user key -> Slider proto


class Session:
    """One student's Streamlit session over the websocket (as the browser's WebsocketConnection)."""

    def __init__(self, url: str, browser: Browser, query: str = "", page: str = ""):
        self.url, self.browser, self.query, self.page = url.rstrip("/"), browser, query, page
        self.page_hash = ""
        self.pages: dict[str, str] = {}    # url pathname -> page script hash
        self.ids: dict[str, str] = {}      # widget user key -> widget id
        self.session_id = ""
        self.ws = None

    async def connect(self):
        from websockets.asyncio.client import connect

        ws_url = "ws" + self.url[4:] + "/_stcore/stream"
        token = self.browser.xsrf
        self.ws = await connect(ws_url, subprotocols=["streamlit", token] if token else ["streamlit"],
                                additional_headers={"Cookie": self.browser.header} if self.browser.cookies else None,
                                max_size=64 * 2**20, open_timeout=WAIT, ping_interval=None)

    async def close(self):
        if self.ws is not None:
            await self.ws.close()

    def _client_state(self, widgets):
        from streamlit.proto.ClientState_pb2 import ClientState

        state = ClientState(query_string=self.query, page_script_hash=self.page_hash,
                            page_name="" if self.page_hash else self.page)
        state.widget_states.widgets.extend(widgets)
        return state

    async def rerun(self, widgets=(), chart_key: str | None = None, expected: str | None = None) -> Run:
        """Send a rerun with these widget states (a click) and read until the script finished."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        msg.rerun_script.CopyFrom(self._client_state(widgets))
        run = Run(time.monotonic(), chart_key)
        await self.ws.send(msg.SerializeToString())
        await asyncio.wait_for(self._read(run), WAIT)
        if expected:   # an error message the lab must show here (not a fault)
            run.errors = [e for e in run.errors if not re.search(expected, e)]
        if run.errors:
            raise Failure("; ".join(run.errors)[:300])
        if chart_key and run.t_chart is None:
            raise Failure(f"the run finished without its chart ({chart_key})")
        return run

    async def _read(self, run: Run) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await self.ws.recv())
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.session_id = msg.new_session.initialize.session_id or self.session_id
                self.page_hash = msg.new_session.page_script_hash or self.page_hash
            elif kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
                self.page_hash = msg.navigation.page_script_hash or self.page_hash
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string   # the address bar follows the scene
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                self._element(msg.delta.new_element, run)
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
                if status == "FINISHED_EARLY_FOR_RERUN":
                    continue   # st.rerun(): the server starts the next run itself
                run.t_done, run.status = time.monotonic(), status
                if status != "FINISHED_SUCCESSFULLY":
                    run.errors.append(f"script finished: {status}")
                return

    def _element(self, element, run: Run) -> None:
        kind = element.WhichOneof("type")
        if kind is None:
            return
        proto = getattr(element, kind)
        wid = getattr(proto, "id", "") if "id" in proto.DESCRIPTOR.fields_by_name else ""
        key = wid.split("-", 2)[2] if wid.startswith("$$ID-") and wid.count("-") >= 2 else None
        if key:
            self.ids[key] = wid
        if kind == "plotly_chart" and key == run.chart_key and run.t_chart is None:
            run.t_chart = time.monotonic()
        elif kind in ("markdown", "heading"):
            run.texts.append(proto.body)
        elif kind == "metric":
            run.texts.append(f"{proto.label}: {proto.body}")
        elif kind == "slider" and key:
            run.sliders[key] = proto
        elif kind == "exception":
            run.errors.append(f"exception {proto.type}: {proto.message}")
        elif kind == "alert" and proto.format == proto.ERROR:
            run.errors.append(f"error: {proto.body}")

    def trigger(self, key: str):
        """A button click: the button's widget id with trigger_value (the browser's WidgetState)."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        if key not in self.ids:
            raise Failure(f"no widget {key!r} on the page")
        return WidgetState(id=self.ids[key], trigger_value=True)

    def value(self, key: str, **value):
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        if key not in self.ids:
            raise Failure(f"no widget {key!r} on the page")
        return WidgetState(id=self.ids[key], **value)

    async def open_page(self, path: str, chart_key: str | None = None) -> Run:
        """Switch page as the sidebar navigation does: a rerun for that page's script hash."""
        if path not in self.pages:
            raise Failure(f"no page {path!r} (pages: {', '.join(self.pages)})")
        self.page_hash = self.pages[path]
        return await self.rerun(chart_key=chart_key)


def _text_match(run: Run, pattern: str) -> re.Match | None:
    for text in run.texts:
        if m := re.search(pattern, text):
            return m
    return None


# --------------------------------------------------------------------------------------------------
# a student


@dataclass
class Result:
    """One student's measurements: (kind, seconds to chart, seconds to finished, engine seconds or None)."""

    times: list = field(default_factory=list)
    errors: list = field(default_factory=list)


async def student(k: int, url: str, think: float, start_delay: float, rng: random.Random) -> Result:
    res = Result()

    async def pause():
        await asyncio.sleep(think * rng.uniform(0.5, 1.5))

    def note(kind, run, engine=None):
        res.times.append((kind, run.t0, run.t_chart - run.t0 if run.t_chart else None, run.t_done - run.t0, engine))

    await asyncio.sleep(start_delay)
    s = None
    what = "loading the page"
    try:
        browser = await asyncio.to_thread(load_page, url)
        what = "connecting"
        s = Session(url, browser, page="lessons")
        await s.connect()
        what = "opening the Lessons page"
        note("open Lessons", await s.rerun())
        what = "opening a lesson scene"
        await pause()
        first = LESSON_SCENES[k % len(LESSON_SCENES)]
        note("lesson scene", await s.rerun([s.trigger(f"lesson_{first}")], chart_key="lesson_chart"))
        await pause()
        what = "opening F4"
        run = await s.rerun([s.trigger("lesson_F4")], chart_key="lesson_chart")
        note("lesson scene", run)
        if not _text_match(run, r"^\*\*Iteration 0:\*\*"):
            raise Failure("F4 did not open at its own iteration 0")
        for i in range(1, 2 + k % 3):
            await pause()
            what = f"F4 next iteration {i}"
            run = await s.rerun([s.trigger("lesson_step")], chart_key="lesson_chart")
            note("lesson next", run)
            if not _text_match(run, rf"^\*\*Iteration {i}:\*\*"):
                raise Failure(f"after its own {i} clicks F4 shows another iteration")
        await pause()
        what = "opening the Self-learning page"
        note("open Self-learning", await s.open_page("", chart_key="learning_curves"))
        for i in range(1, 2 + k % 2):
            await pause()
            what = f"Step {i}"
            run = await s.rerun([s.trigger("b_step")], chart_key="learning_curves")
            m = _text_match(run, r"Last step: ([0-9.]+) s in the engine")
            note("Step", run, float(m.group(1)) if m else None)
            if not _text_match(run, rf"^Iteration: {i} / {i}$"):
                raise Failure(f"after its own {i} steps the run is not at iteration {i} / {i}")
        await s.close()
        await pause()
        it = 1 + k % 3
        what = f"opening a shared link (it={it})"
        s = Session(url, browser, query=f"{LINK}&it={it}")
        await s.connect()
        run = await s.rerun(chart_key="learning_curves")
        note("shared link", run)
        if not _text_match(run, rf"^Iteration: {it} / {it}$"):
            raise Failure(f"the shared link it={it} did not replay to its own iteration {it}")
    except Failure as e:
        res.errors.append(f"student {k}, {what}: {e}")
    except (asyncio.TimeoutError, TimeoutError):
        res.errors.append(f"student {k}, {what}: no reply in {WAIT:.0f} s")
    except Exception as e:  # noqa: BLE001 - a bench reports every failure and goes on
        res.errors.append(f"student {k}, {what}: {type(e).__name__}: {e}")
    finally:
        if s is not None:
            await s.close()
    return res


# --------------------------------------------------------------------------------------------------
# an upload during the class


def big_embeddings(path: Path, mb: int, dim: int = 300) -> Path:
    """A word2vec text file of about ``mb`` MB (random vectors; made once and kept in the temp folder)."""
    if path.exists() and path.stat().st_size >= mb * 2**20:
        return path
    import numpy as np

    rows = np.random.default_rng(0).standard_normal((1000, dim)).astype(np.float32)
    lines = [" ".join(f"{x:.5f}" for x in row) for row in rows]
    per_line = len(lines[0]) + 10
    n = mb * 2**20 // per_line + 1
    tmp = path.with_suffix(".part")
    with open(tmp, "w") as f:
        f.write(f"{n} {dim}\n")
        for i in range(n):
            f.write(f"w{i:07d} {lines[i % len(lines)]}\n")
    tmp.rename(path)
    return path


def put_file(url: str, upload_url: str, browser: Browser, path: Path, name: str) -> float:
    """PUT one file as the browser's uploader does (multipart/form-data, X-Xsrftoken). Returns seconds."""
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = len(head) + path.stat().st_size + len(tail)
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=WAIT)
    t0 = time.monotonic()
    conn.putrequest("PUT", upload_url if upload_url.startswith("/") else urllib.parse.urlsplit(upload_url).path)
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(size))
    conn.putheader("X-Xsrftoken", browser.xsrf)
    conn.putheader("Cookie", browser.header)
    conn.endheaders()
    conn.send(head)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            conn.send(chunk)
    conn.send(tail)
    reply = conn.getresponse()
    body = reply.read()
    conn.close()
    if reply.status not in (200, 204):
        raise Failure(f"upload answered {reply.status}: {body[:200]!r}")
    return time.monotonic() - t0


async def uploader(url: str, big: Path, small: Path, delay: float, window: list) -> Result:
    """A student who uploads ``big`` as the source space (and a small target) on the Data page."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    res = Result()
    await asyncio.sleep(delay)
    browser = await asyncio.to_thread(load_page, url)
    s = Session(url, browser, page="data")
    what = "opening the Data page"
    try:
        await s.connect()
        await s.rerun()
        what = "choosing Upload files"
        source = s.value("w_data_source", string_value="Upload files")
        await s.rerun([source])
        infos = []
        t0 = time.monotonic()
        for key, path in (("up_src", big), ("up_tgt", small)):
            what = f"uploading {path.name}"
            msg = BackMsg()
            msg.file_urls_request.request_id = uuid.uuid4().hex
            msg.file_urls_request.file_names.append(path.name)
            msg.file_urls_request.session_id = s.session_id
            await s.ws.send(msg.SerializeToString())
            while True:   # the reply (other messages of an idle session are skipped)
                reply = ForwardMsg()
                reply.ParseFromString(await asyncio.wait_for(s.ws.recv(), WAIT))
                if reply.WhichOneof("type") == "file_urls_response":
                    break
            urls = reply.file_urls_response.file_urls[0]
            await asyncio.to_thread(put_file, url, urls.upload_url, browser, path, path.name)
            state = WidgetState(id=s.ids[key])
            info = state.file_uploader_state_value.uploaded_file_info.add()
            info.name, info.size, info.file_id = path.name, path.stat().st_size, urls.file_id
            info.file_urls.CopyFrom(urls)
            infos.append(state)
            await s.rerun([source, *infos])   # the browser reruns when a file is added
        t_upload = time.monotonic() - t0
        what = "loading the uploaded files"
        # No dictionary uploaded: the lab says the default (random pairs) seed needs one; that is expected.
        run = await s.rerun([source, *infos, s.trigger("b_load_upload")], expected="needs a training dictionary")
        if not _text_match(run, r"Loaded: upload"):
            raise Failure("the Data page does not show the uploaded pair")
        window[:] = [t0, run.t_done]
        res.times.append(("upload (put)", t0, None, t_upload, None))
        res.times.append(("upload (load)", run.t0, None, run.t_done - run.t0, None))
    except Failure as e:
        res.errors.append(f"uploader, {what}: {e}")
    except (asyncio.TimeoutError, TimeoutError):
        res.errors.append(f"uploader, {what}: no reply in {WAIT:.0f} s")
    except Exception as e:  # noqa: BLE001
        res.errors.append(f"uploader, {what}: {type(e).__name__}: {e}")
    finally:
        await s.close()
    return res


# --------------------------------------------------------------------------------------------------
# a class


@dataclass
class ClassReport:
    n: int
    label: str
    wall: float
    cpu: float
    rss_before: float
    rss_peak: float
    times: list
    errors: list
    upload_window: list
    solo_step: float     # engine seconds of a Step with one student alone on the server

    def latencies(self, kind: str, during_upload: bool | None = None) -> list[float]:
        out = []
        for what, t0, chart, done, _ in self.times:
            if what != kind or chart is None:
                continue
            inside = bool(self.upload_window) and self.upload_window[0] <= t0 <= self.upload_window[1]
            if during_upload is None or inside == during_upload:
                out.append(chart)
        return out

    def engine(self) -> list[tuple[float, float]]:
        return [(chart, eng) for what, _, chart, _, eng in self.times if what == "Step" and eng and chart]


async def run_class(url: str, pids: list[int], n: int, think: float, ramp: float, label: str, seed: int = 0,
                    upload_mb: int = 0, warm_urls: list[str] | None = None) -> ClassReport:
    _check_loopback(url)
    rng = random.Random(seed)
    samples: list[float] = []
    done = asyncio.Event()

    async def sample():
        while not done.is_set():
            samples.append(rss_mb(pids))
            await asyncio.sleep(0.5)

    # A warm-up student alone first: imports, shared caches and the engine time of a Step on a quiet server.
    # (behind the proxy: one warm-up student on each server, straight to it)
    warm = Result()
    for u in warm_urls or [url]:
        one = await student(0, u, 0.0, 0.0, random.Random(seed))
        warm.times += one.times
        warm.errors += one.errors
    solo = [eng for what, _, _, _, eng in warm.times if what == "Step" and eng]
    before, cpu0 = rss_mb(pids), cpu_seconds(pids)
    sampler = asyncio.create_task(sample())
    tasks = [student(k, url, think, rng.uniform(0, ramp), random.Random(seed * 1000 + k)) for k in range(n)]
    window: list = []
    if upload_mb:
        tmp = Path(tempfile.gettempdir())
        big = await asyncio.to_thread(big_embeddings, tmp / f"clwe-load-{upload_mb}mb.vec", upload_mb)
        small = await asyncio.to_thread(big_embeddings, tmp / "clwe-load-1mb.vec", 1)
        tasks.append(uploader(url, big, small, ramp + 2 * think, window))
    t0 = time.monotonic()
    try:
        results = await asyncio.wait_for(asyncio.gather(*tasks), DEADLINE)
    except (asyncio.TimeoutError, TimeoutError):
        results = [Result(errors=[f"the class did not finish in {DEADLINE:.0f} s"])]
    wall = time.monotonic() - t0
    done.set()
    await sampler
    return ClassReport(n, label, wall, cpu_seconds(pids) - cpu0, before, max(samples + [rss_mb(pids)]),
                       [t for r in results for t in r.times], warm.errors + [e for r in results for e in r.errors],
                       window, min(solo) if solo else float("nan"))


# --------------------------------------------------------------------------------------------------
# the table


def pct(xs: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of xs."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(q * len(xs) + 0.5)) - 1))]


def summary_rows(r: ClassReport) -> list[str]:
    rows = []
    for kind in ("lesson scene", "lesson next", "open Self-learning", "Step", "shared link"):
        xs = r.latencies(kind)
        if xs:
            rows.append(f"{kind} {pct(xs, 0.5):.2f} / {pct(xs, 0.95):.2f} / {max(xs):.2f}")
    return rows


def print_table(reports: list[ClassReport]) -> None:
    def f(xs):
        return f"{pct(xs, 0.5):.2f} / {pct(xs, 0.95):.2f} / {max(xs):.2f}" if xs else "–"

    print("| setup | students | lesson click → chart p50 / p95 / max (s) | Step → chart p50 / p95 / max (s) "
          "| Step p95 ÷ engine alone | Step p95 ÷ engine in class | shared link p50 / p95 (s) | errors | wall (s) "
          "| server CPU s per student | server RSS warm → peak (MB) | MB per student |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in reports:
        scene = r.latencies("lesson scene") + r.latencies("lesson next")
        steps = r.latencies("Step")
        engine = [e for _, e in r.engine()]
        link = r.latencies("shared link")
        alone = (f"{pct(steps, 0.95) / r.solo_step:.1f}× ({r.solo_step:.2f} s)"
                 if steps and r.solo_step == r.solo_step else "–")
        inclass = f"{pct(steps, 0.95) / pct(engine, 0.95):.1f}× ({pct(engine, 0.95):.2f} s)" if steps and engine else "–"
        links = f"{pct(link, 0.5):.2f} / {pct(link, 0.95):.2f}" if link else "–"
        print(f"| {r.label} | {r.n} | {f(scene)} | {f(steps)} | {alone} | {inclass} | {links} | {len(r.errors)} "
              f"| {r.wall:.0f} | {r.cpu / r.n:.2f} | {r.rss_before:.0f} → {r.rss_peak:.0f} "
              f"| {(r.rss_peak - r.rss_before) / r.n:.0f} |")
    for r in reports:
        if r.upload_window:
            put = [d for w, _, _, d, _ in r.times if w == "upload (put)"]
            load = [d for w, _, _, d, _ in r.times if w == "upload (load)"]
            inside = r.latencies("lesson scene", True) + r.latencies("lesson next", True)
            outside = r.latencies("lesson scene", False) + r.latencies("lesson next", False)
            print(f"\n{r.label}, {r.n} students + 1 upload: upload {put[0]:.1f} s, load {load[0]:.1f} s; lesson clicks "
                  f"during it p50/p95 {pct(inside, .5):.2f}/{pct(inside, .95):.2f} s (n={len(inside)}), "
                  f"outside it {pct(outside, .5):.2f}/{pct(outside, .95):.2f} s (n={len(outside)})"
                  if inside and outside and put and load else f"\n{r.label}: upload window without enough clicks")
    for r in reports:
        for e in r.errors[:10]:
            print(f"  {r.label} N={r.n}: {e}")
        if len(r.errors) > 10:
            print(f"  ... and {len(r.errors) - 10} more")


def proxied(k: int):
    """Start ``deploy/class_servers.sh start K`` on a free port of the range; returns (url, pids, backend urls,
    stop)."""
    port = free_port(range(PORTS.start + 50, PORTS.stop - k))
    script = str(ROOT / "deploy" / "class_servers.sh")
    env = dict(os.environ, PYTHON=sys.executable,
               CLWE_DEPLOY_DIR=str(Path(tempfile.gettempdir()) / f"clwe-deploy-{port}"))
    subprocess.run([script, "start", str(k), str(port)], check=True, env=env, timeout=300)
    pids = [int(p) for p in subprocess.run([script, "pids"], env=env, capture_output=True, text=True,
                                           check=True).stdout.strip().split(",") if p]
    backends = [f"http://127.0.0.1:{port + i}" for i in range(1, k + 1)]
    return f"http://127.0.0.1:{port}", pids, backends, lambda: subprocess.run([script, "stop"], env=env, timeout=120)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, nargs="+", default=[10, 30, 60, 120])
    ap.add_argument("--url", help="a running lab (or proxy) on loopback; default: start a fresh server per N")
    ap.add_argument("--pids", default="", help="server process ids to measure (comma-separated), with --url")
    ap.add_argument("--servers", type=int, default=0,
                    help="K > 0: start K servers behind nginx with deploy/class_servers.sh (fresh per N)")
    ap.add_argument("--label", default=None)
    ap.add_argument("--think", type=float, default=2.0, help="mean think time between clicks (s)")
    ap.add_argument("--ramp", type=float, default=5.0, help="students arrive within this many seconds")
    ap.add_argument("--upload-mb", type=int, default=0, help="one more student uploads a file of this size")
    ap.add_argument("--json", help="also write the raw measurements here")
    args = ap.parse_args(argv)
    reports = []
    for n in args.students:
        warm = None
        if args.url:
            pids = [int(p) for p in args.pids.split(",") if p]
            url, stop, label = args.url, (lambda: None), args.label or args.url
        elif args.servers:
            url, pids, warm, stop = proxied(args.servers)
            label = args.label or f"{args.servers} servers behind nginx"
        else:
            proc = start_server(free_port())
            url, pids, stop = proc.args[proc.args.index("--server.port") + 1], [proc.pid], (lambda p=proc: stop_server(p))
            url, label = f"http://127.0.0.1:{url}", args.label or "one server"
        try:
            reports.append(asyncio.run(run_class(url, pids, n, args.think, args.ramp, label,
                                                 upload_mb=args.upload_mb, warm_urls=warm)))
        finally:
            stop()
        print(f"N={n}: " + "; ".join(summary_rows(reports[-1])) + f"; errors {len(reports[-1].errors)}", flush=True)
    print()
    print_table(reports)
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in reports], indent=1, default=str))
    return 1 if any(r.errors for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
