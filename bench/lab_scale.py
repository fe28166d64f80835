"""The lab at researcher scale (issue 19, item 3): what a user of the lab waits for with a 200k x 300 pair.

    python -m bench.lab_scale                  # the 200,000-word control of bench/scale.py (cached)
    python -m bench.lab_scale --words 20000    # a smaller control, same phases
    python -m bench.lab_scale --phases write   # one phase

Phases, each through the app's own functions or the Streamlit script itself (``streamlit.testing`` AppTest):

- ``load``: the Data page's upload path (``app.uploads.load_uploaded_pair``) on the bytes of the control's
  two ``.vec`` files, with the progress callback the page draws (how many reports, the last fraction);
- ``step``: the whole app script after a click on **Step** (AppTest, Self-learning page) against the engine's
  own time for that step (``SelfLearning.step``, timed inside the same script run);
- ``refine``: a click on **Refine contrastively** after the step, against the refinement's own time;
- ``inspector``: the Word inspector page for a word right after the step (maps the target side and computes
  the CSLS penalties of the iteration), then for a second word (the same iteration, cached);
- ``projections``: the Projections page with a highlighted word: the caption that counts the points drawn;
- ``write``: the two mapped 200k spaces written as ``clwe align`` writes them, one after the other
  (``save_word2vec`` twice, before) and side by side (``save_word2vec_all``, after); the bytes are compared.

Every number is printed with wall seconds, CPU seconds (this process and its children) and the load average:
on a shared machine the CPU seconds are the better guide (see the README, "Researcher scale").
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cpu(who=None) -> float:
    """CPU seconds of this process and its finished children (or of ``who`` alone)."""
    if who is not None:
        r = resource.getrusage(who)
        return r.ru_utime + r.ru_stime
    return _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN)


class Timer:
    """Wall and CPU seconds (self and children) of a block, and the 1-minute load average at its end."""

    def __enter__(self):
        self.w, self.c, self.k = time.perf_counter(), _cpu(), _cpu(resource.RUSAGE_CHILDREN)
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.w, _cpu() - self.c
        self.children = _cpu(resource.RUSAGE_CHILDREN) - self.k
        self.load = os.getloadavg()[0]

    def row(self) -> dict:
        """wall, CPU (this process + children) and the children's share of it, and the load average."""
        return {"wall_s": round(self.wall, 2), "cpu_s": round(self.cpu, 2), "children_cpu_s": round(self.children, 2),
                "load": round(self.load, 1)}


EMITTED: dict = {}


def emit(phase: str, **fields) -> None:
    EMITTED[phase] = fields
    print(json.dumps({"phase": phase, **fields}), flush=True)


def phase_load(paths: dict, n: int):
    from app import uploads
    from core.io import load_dictionary

    files = [(paths[k].read_bytes(), paths[k].name) for k in ("src_vec", "tgt_vec")]
    reports = []
    with Timer() as t:
        src, tgt, _, _ = uploads.load_uploaded_pair(files[0], files[1], max_vocab=n,
                                                    progress=lambda f, text: reports.append((f, text)))
    emit("load", words=[len(src), len(tgt)], dim=src.dim, mb=[round(len(b) / 2**20) for b, _ in files],
         progress_reports=len(reports), last_progress=reports[-1] if reports else None, **t.row())
    return src, tgt, load_dictionary(paths["train"]), load_dictionary(paths["test"])


def _apptest(src, tgt, train, test):
    """The lab's script with the control pair loaded (as the Data page leaves it) and a random-seed run."""
    from streamlit.testing.v1 import AppTest

    from app.state import DataSet, LabState

    at = AppTest.from_file(str(ROOT / "app" / "streamlit_app.py"), default_timeout=3600)
    lab = LabState(data=DataSet("upload:bench", "upload: control", "upload", src, tgt, list(train), list(test)))
    at.session_state["lab"] = lab
    at.session_state["w_cutoff"] = 20000
    with Timer() as t:
        at.run()
    assert not at.exception, at.exception
    emit("open", seconds_start_run=t.row(), run=lab.run is not None)
    return at, lab


@contextmanager
def engine_time(names):
    """Wall and CPU seconds spent inside the ``SelfLearning`` methods ``names`` while the block runs (summed per
    method: ``{name: {"wall": s, "cpu": s}}``); the methods are restored after."""
    from core import selflearning

    spent = {}
    originals = {name: getattr(selflearning.SelfLearning, name) for name in names}

    def timed(name, original):
        def run(self, *a, **kw):
            w, c = time.perf_counter(), _cpu()
            try:
                return original(self, *a, **kw)
            finally:
                row = spent.setdefault(name, {"wall": 0.0, "cpu": 0.0})
                row["wall"] += time.perf_counter() - w
                row["cpu"] += _cpu() - c
        return run

    for name, original in originals.items():
        setattr(selflearning.SelfLearning, name, timed(name, original))
    try:
        yield spent
    finally:
        for name, original in originals.items():
            setattr(selflearning.SelfLearning, name, original)


def phase_step(at, lab):
    with engine_time(["step"]) as spent, Timer() as t:
        at.button("b_step").click().run()
    assert not at.exception, at.exception
    engine = spent.get("step", {"wall": 0.0, "cpu": 0.0})
    emit("step", iteration=int(lab.run.learner.current.iteration), engine_wall_s=round(engine["wall"], 2),
         engine_cpu_s=round(engine["cpu"], 2), ratio_wall=round(t.wall / max(engine["wall"], 1e-9), 3),
         ratio_cpu=round(t.cpu / max(engine["cpu"], 1e-9), 3), **t.row())


def phase_refine(at, lab):
    """**Refine contrastively** on the Self-learning page after the step: the whole script run against the
    engine's time inside it (``SelfLearning.select``, ``refine``, ``bli``: every round scored on the test pairs as
    the curve scores an iteration, ``induced``: the kept mapping's dictionary for the Projections page)."""
    at.switch_page("views/selflearning.py").run()
    with engine_time(["select", "refine", "bli", "induced"]) as spent, Timer() as t:
        at.button("b_refine").click().run()
    assert not at.exception, at.exception
    held = at.session_state["refine_eval"][1]
    res = held["refinement"]
    engine = {name: row["wall"] for name, row in spent.items()}
    total = sum(engine.values())
    emit("refine", engine_wall_s=round(total, 2), engine={k: round(v, 2) for k, v in engine.items()},
         rounds=len(res.rounds) - 1, kept_round=res.kept_round, ratio_wall=round(t.wall / max(total, 1e-9), 3),
         criterion=res.criterion, test_p1_csls=[r.get("test P@1 CSLS") for r in held["rows"]], **t.row())


def phase_inspector(at, lab):
    words = [lab.data.src.words[i] for i in (50, 12345 % len(lab.data.src))]
    at.session_state["w_insp_word"] = words[0]
    with Timer() as t1:
        at.switch_page("views/inspector.py").run()
    assert not at.exception, at.exception
    at.session_state["w_insp_word"] = words[1]
    with Timer() as t2:
        at.run()
    assert not at.exception, at.exception
    emit("inspector", first_word=t1.row(), second_word=t2.row(), words=words,
         captions=[c.value for c in at.caption][:3])


def phase_projections(at, lab):
    at.session_state["w_proj_search"] = lab.data.src.words[321]
    at.session_state["w_proj_method"] = "pca"
    with Timer() as t:
        at.switch_page("views/projections.py").run()
    assert not at.exception, at.exception
    drawn = [c.value for c in at.caption if "points drawn" in c.value]
    emit("projections", caption=drawn[0] if drawn else None, **t.row())


def phase_write(src, tgt):
    import numpy as np

    from core.io import save_word2vec, save_word2vec_all

    rng = np.random.default_rng(0)   # a rotation: what a mapped space looks like (unit rows, dense values)
    W = np.linalg.qr(rng.normal(size=(src.dim, src.dim)))[0].astype(np.float32)
    spaces = [e.with_vectors(e.vectors @ W) for e in (src, tgt)]
    with tempfile.TemporaryDirectory(prefix="clwe-lab-scale-") as tmp:
        tmp = Path(tmp)
        with Timer() as before:
            for emb, name in zip(spaces, ("src", "tgt")):
                save_word2vec(emb, tmp / f"{name}.before.vec")
        with Timer() as after:
            save_word2vec_all([(emb, tmp / f"{name}.after.vec") for emb, name in zip(spaces, ("src", "tgt"))])
        same = all((tmp / f"{n}.before.vec").read_bytes() == (tmp / f"{n}.after.vec").read_bytes()
                   for n in ("src", "tgt"))
        mb = [round((tmp / f"{n}.after.vec").stat().st_size / 2**20) for n in ("src", "tgt")]
    emit("write", mb=mb, identical_bytes=same, before=before.row(), after=after.row())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--words", type=int, default=200_000)
    ap.add_argument("--phases", nargs="+", default=["load", "step", "refine", "inspector", "projections", "write"])
    ap.add_argument("--record", action="store_true", help="store the phases in bench/scale.json (key 'lab') and "
                    "fill the README's lab table from it")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.scale import control

    paths = control(args.words)
    if "load" in args.phases:
        src, tgt, train, test = phase_load(paths, args.words)
    else:   # the same spaces from the control's .npz (seconds instead of a minute of parsing)
        from core.io import load_dictionary, load_embeddings
        src, tgt = (load_embeddings(paths[k], name=paths[k.replace("npz", "vec")].name) for k in ("src_npz", "tgt_npz"))
        train, test = load_dictionary(paths["train"]), load_dictionary(paths["test"])
    if {"step", "refine", "inspector", "projections"} & set(args.phases):
        at, lab = _apptest(src, tgt, train, test)
        if "step" in args.phases:
            phase_step(at, lab)
        if "refine" in args.phases:
            phase_refine(at, lab)
        if "inspector" in args.phases:
            phase_inspector(at, lab)
        if "projections" in args.phases:
            phase_projections(at, lab)
    if "write" in args.phases:
        phase_write(src, tgt)
    if args.record:
        record_phases(args.words)
    return 0


def record_phases(words: int) -> None:
    """Merge the emitted phases into bench/scale.json (``lab``) and re-render the README's scale blocks."""
    from bench import scale

    record = json.loads(scale.RECORD.read_text()) if scale.RECORD.is_file() else {"curve": {}, "targets": None}
    lab = record.setdefault("lab", {})
    for phase, fields in EMITTED.items():
        lab[phase] = {**fields, "words": words if phase != "load" else fields.get("words"),
                      "commit": scale._commit(), "date": time.strftime("%Y-%m-%d")}
    scale.RECORD.write_text(json.dumps(record, indent=1, default=float) + "\n")
    scale.README.write_text(scale.render_readme(scale.README.read_text(), record))


def lab_rows(lab: dict) -> list[tuple[str, str, bool]]:
    """The lab targets of issue 19: (target, measured, met)."""
    rows = []
    if "load" in lab:
        r = lab["load"]
        rows.append(("loading a 200k x 300 `.vec` shows progress, <= 30 s",
                     f"the pair ({r['mb'][0]} + {r['mb'][1]} MB, read side by side): {r['wall_s']:.1f} s wall, "
                     f"{r['cpu_s']:.1f} CPU s; {r['progress_reports']} progress reports", r["wall_s"] <= 30))
    if "step" in lab:
        r = lab["step"]
        rows.append(("a Step costs <= 1.2x its engine time",
                     f"{r['wall_s']:.2f} s against the engine's {r['engine_wall_s']:.2f} s ({r['ratio_wall']:.2f}x; "
                     f"CPU {r['ratio_cpu']:.2f}x)", r["ratio_wall"] <= 1.2))
    if "refine" in lab:
        r = lab["refine"]
        e = r["engine"]
        rows.append(("**Refine contrastively** (issue 18) costs <= 1.2x its engine time, as a Step does",
                     f"{r['wall_s']:.1f} s against the engine's {r['engine_wall_s']:.1f} s ({r['ratio_wall']:.2f}x): "
                     f"model selection {e.get('select', 0):.1f} s, the refinement {e.get('refine', 0):.1f} s "
                     f"({r['rounds']} rounds judged by {r['criterion']}, round {r['kept_round']} kept), scoring the "
                     f"mappings on the test pairs as the curve scores an iteration {e.get('bli', 0):.1f} s"
                     + (f", the kept mapping's dictionary {e['induced']:.1f} s" if e.get("induced") else ""),
                     r["ratio_wall"] <= 1.2))
    if "inspector" in lab:
        r = lab["inspector"]
        first, second = r["first_word"], r["second_word"]
        rows.append(("the inspector answers within 1 s",
                     f"first word after a Step {first['wall_s']:.2f} s ({first['cpu_s']:.2f} CPU s: maps the other "
                     f"side and the query side's cutoff words); the next word {second['wall_s']:.2f} s",
                     max(first["wall_s"], second["wall_s"]) <= 1))
    if "projections" in lab:
        r = lab["projections"]
        caption = (r.get("caption") or "no caption").replace("|", "/")
        rows.append(("projections draw the chosen words and their neighbours out of the full space, and say how "
                     "many", f"\"{caption}\" ({r['wall_s']:.2f} s)", bool(r.get("caption"))))
    if "write" in lab:
        r = lab["write"]
        rows.append(("writing the two mapped spaces (see also the targets above)",
                     f"{r['mb'][0]} + {r['mb'][1]} MB side by side {r['after']['wall_s']:.1f} s wall "
                     f"({r['after']['cpu_s'] - r['after']['children_cpu_s']:.1f} CPU s here + {r['after']['children_cpu_s']:.1f} in "
                     "the writer process); "
                     f"one after the other {r['before']['wall_s']:.1f} s; identical bytes: "
                     f"{'yes' if r['identical_bytes'] else 'NO'}", r["after"]["wall_s"] <= 10))
    return rows


if __name__ == "__main__":
    sys.exit(main())
