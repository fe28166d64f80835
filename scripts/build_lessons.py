"""Precompute every lesson with a computation (all but the F2 diagram), so each chart shows at once.

Writes ``app/lesson_results.json``: {scene key: result}. The Lessons page reads a result from it only when
the key (every setting of the scene) matches, so a changed scene is computed live instead of showing stale
numbers. ``tests/test_lessons.py`` re-computes the cheap scenes and the first iterations of F4 and checks they match the file.

    python scripts/build_lessons.py            # all of them (about 5 minutes)
    python scripts/build_lessons.py F4 F8      # only these
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import scenes  # noqa: E402
from app.lessons import BY_ID  # noqa: E402

SLOW = ("F3", "F4", "F6", "F7", "F8", "F9", "F12")


def main(ids) -> None:
    wanted = {scenes.stored_key(BY_ID[i]) for i in BY_ID}
    for scene_id in ids:
        scene = BY_ID[scene_id]
        t0 = time.perf_counter()
        res = scenes.compute(scene)
        holds, text = scenes.verdict(scene, res)
        print(f"{scene_id}: {time.perf_counter() - t0:.1f} s; {'agrees' if holds else 'DISAGREES'}: {text}",
              flush=True)
        # re-read the file before each write: two builds of different scenes may run side by side
        out = {k: v for k, v in scenes.load_precomputed().items() if k in wanted}   # drop changed scenes
        out[scenes.stored_key(scene)] = res
        scenes.RESULTS_FILE.write_text(json.dumps(out, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {scenes.RESULTS_FILE} ({scenes.RESULTS_FILE.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main(sys.argv[1:] or SLOW)
