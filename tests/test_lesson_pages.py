"""One quantity, one number: pages that show the same quantity of the same run show the same value.

- F7 (Lessons) and the Similarity page: the second-order similarity of two / due / cane on doc_en-doc_it;
- F8 (Lessons) and Analysis → seed size: P@1 of N random pairs (one shared function, app.scenes.seed_size_curve);
- Analysis → hubs: the sentence states the biggest hub the metric shows;
- Run file and Self-learning: the dictionary size (tests/test_lesson_share.py).
"""

import json
from pathlib import Path
from types import SimpleNamespace

from streamlit.testing.v1 import AppTest

from app import actions, scenes
from app.lessons import BY_ID

APP = str(Path(__file__).resolve().parent.parent / "app" / "streamlit_app.py")


def _clean(at):
    assert not at.exception, [e.value for e in at.exception]


def test_f7_and_the_similarity_page_show_the_same_second_order_similarity():
    scene = BY_ID["F7"]
    panel = scenes.result(scene)["panels"][0]
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params.update({"pair": scene.pair, "vocab": str(scene.max_vocab)})
    at.run()
    at.switch_page("views/similarity.py").run()
    _clean(at)
    # the page's defaults on this pair are the lesson's words
    assert [at.text_input(key=f"w_sim_word_{k}").value for k in range(3)] == panel["words"]
    table = at.dataframe[0].value
    got = dict(zip(zip(table["word A"], table["word B"]), table["second-order similarity"]))
    a, b, c = panel["labels"]
    assert got[(a, b)] == round(panel["second_order"]["translation"], 3)
    assert got[(a, c)] == round(panel["second_order"]["unrelated"], 3)
    assert any(f"ranks {panel['translation_rank']:,} of {panel['n']:,}" in m.value for m in at.markdown)
    # the raw curves start below 1: the word itself is not among its neighbours
    at.radio(key="w_sim_curve").set_value("sorted cosine similarities").run()
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert max(fig["data"][0]["y"]) < 0.99


def test_f8_and_the_analysis_curve_are_one_computation():
    from core.selflearning import AlignConfig

    scene = BY_ID["F8"]
    res = scenes.result(scene)
    src, tgt, train, test = scenes._pair(scene.pair, scene.max_vocab)
    lab = SimpleNamespace(data=SimpleNamespace(src=src, tgt=tgt, train=train, test=test),
                          run=SimpleNamespace(config=AlignConfig.preset(res["schedule"])))
    sizes = [r["n"] for r in res["rows"][:2]]
    rows = actions.seed_size_curve(lab, sizes, "csls")           # what the Analysis page calls
    # exactly, at the precision app/lesson_results.json keeps (6 significant digits)
    assert [(r["n"], scenes._rounded(r["p1"])) for r in rows] == [(r["n"], r["p1"]) for r in res["rows"][:2]]


def test_the_hub_sentence_states_the_hub_the_metric_shows():
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["w_max_vocab"] = 3000
    at.run()
    at.switch_page("views/analysis.py").run()
    at.button(key="b_hubness").click().run()
    _clean(at)
    biggest = next(m.value for m in at.metric if m.label == "Biggest hub (nearest)")
    assert any(f"of {biggest} source words" in m.value for m in at.markdown)
    assert not any("collect hundreds" in m.value for m in at.markdown)
