"""core.runfile: the run zip the lab downloads and `clwe align` writes (JSON + .npy, never a pickle)."""

import io
import json
import zipfile

import numpy as np
import pytest

from core import runfile
from core.cli import main
from core.errors import FileFormatError
from core.io import load_embeddings, save_word2vec, split_dictionary
from core.selflearning import AlignConfig, SelfLearning
from core.synthetic import synthetic_pair


@pytest.fixture(scope="module")
def learner():
    src, tgt, gold = synthetic_pair(load_embeddings("en", max_vocab=1500), noise=0.05, random_state=0,
                                    word_forms="mirror")
    train, test = split_dictionary(gold, random_state=0)
    idx = np.array([[src.index[s], tgt.index[t]] for s, t in train[:40]])
    run = SelfLearning(src, tgt, idx, AlignConfig(cutoff=1500, stochastic_initial=1.0), gold_test=test)
    run.step()
    return run


def test_round_trip(learner):
    kept = runfile.from_learner(learner, {"command": "test", "pair": "x"}, iteration=1)
    back = runfile.read_run(runfile.run_bytes(kept))
    assert back.config["format"] == "clwe-run" and back.config["version"] == runfile.VERSION
    assert back.config["iteration"] == 1 and back.config["config"] == learner.config.to_dict()
    assert back.config["src_name"] == "en" and back.config["tgt_name"] == "mirror-en"
    assert back.history == json.loads(json.dumps(kept.history))
    assert [h["iteration"] for h in back.history] == [0, 1]
    rec = learner.history[1]
    assert len(back.dictionary) == len(rec.src_idx)
    assert back.dictionary[3][:2] == (learner.src.words[rec.src_idx[3]], learner.tgt.words[rec.tgt_idx[3]])
    src_m, tgt_m = learner.mapped(iteration=1)
    assert back.src.words == src_m.words and back.tgt.words == tgt_m.words
    np.testing.assert_array_equal(back.src.vectors, src_m.vectors)
    np.testing.assert_array_equal(back.tgt.vectors, tgt_m.vectors)
    # an earlier iteration keeps only its history
    assert len(runfile.from_learner(learner, {}, iteration=0).history) == 1


def _zip(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _good_members(learner) -> dict:
    with zipfile.ZipFile(io.BytesIO(runfile.run_bytes(runfile.from_learner(learner, {})))) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_bad_files_are_one_clear_error(learner, monkeypatch):
    good = _good_members(learner)
    with pytest.raises(FileFormatError, match="not a zip"):
        runfile.read_run(b"hello", name="x.zip")
    with pytest.raises(FileFormatError, match="unexpected member.*evil.pkl"):
        runfile.read_run(_zip({**good, "evil.pkl": b"x"}))
    # a pickled object array inside the .npy is refused, not loaded
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(FileFormatError, match="src_mapped.npy"):
        runfile.read_run(_zip({**good, "src_mapped.npy": buf.getvalue()}))
    newer = json.loads(good["config.json"])
    newer["version"] = runfile.VERSION + 1
    with pytest.raises(FileFormatError, match="newer"):
        runfile.read_run(_zip({**good, "config.json": json.dumps(newer)}))
    with pytest.raises(FileFormatError, match="words for"):
        runfile.read_run(_zip({**good, "src_words.txt": b"a\nb\n"}))
    with pytest.raises(FileFormatError, match="dictionary.tsv, line 2"):
        runfile.read_run(_zip({**good, "dictionary.tsv": b"source\ttarget\tscore\nonly-one-column\n"}))
    monkeypatch.setattr(runfile, "MAX_ARCHIVE_BYTES", 1000)
    with pytest.raises(FileFormatError, match="limit"):
        runfile.read_run(_zip(good))


def test_clwe_align_writes_the_same_run_file(tmp_path, capsys):
    src, tgt, gold = synthetic_pair(load_embeddings("fr", max_vocab=1000), noise=0.05, random_state=1)
    save_word2vec(src, tmp_path / "src.vec")
    save_word2vec(tgt, tmp_path / "tgt.vec")
    (tmp_path / "gold.txt").write_text("".join(f"{s} {t}\n" for s, t in gold[::3]), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["align", "--src", str(tmp_path / "src.vec"), "--tgt", str(tmp_path / "tgt.vec"), "--init",
                 "identical", "--eval-dictionary", str(tmp_path / "gold.txt"), "--max-iter", "2",
                 "--out", str(out)]) == 0, capsys.readouterr().err
    rf = runfile.read_run(out / "run.zip")
    assert rf.config["command"] == "clwe align" and rf.config["init"] == "identical"
    history = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert [h["iteration"] for h in rf.history] == [h["iteration"] for h in history]
    assert rf.history[-1]["bli"]["csls"]["p_at_1"] == pytest.approx(history[-1]["bli"]["csls"]["p_at_1"])
    tsv = [line.split("\t") for line in (out / "dictionary.tsv").read_text().splitlines()[1:]]
    assert [(s, t) for s, t, _ in rf.dictionary] == [(s, t) for s, t, _ in tsv]
    mapped = load_embeddings(out / "src.vec")
    assert rf.src.words == mapped.words
    np.testing.assert_allclose(rf.src.vectors, mapped.vectors, atol=1e-5)


def test_reproduce_refuses_what_it_cannot_rebuild():
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match="only lab runs"):
        runfile.reproduce({"pair": "en-fr", "init": "adversarial", "config": {}})
    with pytest.raises(ConfigError, match="branch point"):
        runfile.reproduce({"pair": "en-fr", "init": "random", "branched": True, "config": {}})
