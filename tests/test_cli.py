"""The clwe command line, end to end on small data."""

import json
import subprocess
import sys

import numpy as np
import pytest

from core.cli import main
from core.io import Embeddings, load_embeddings, save_word2vec
from core.synthetic import synthetic_pair


def test_convert_bundled_space(tmp_path, capsys):
    out = tmp_path / "en.vec"
    assert main(["convert", "en", str(out), "--max-vocab", "300"]) == 0
    emb = load_embeddings(out)
    assert (len(emb), emb.dim) == (300, 50) and emb.words[:3] == ("the", "of", "to")
    np.testing.assert_allclose(emb.vectors, load_embeddings("en", max_vocab=300).vectors, atol=1e-4)
    assert "wrote 300 words × 50 dims" in capsys.readouterr().err


def test_convert_with_pca(tmp_path, capsys):
    out = tmp_path / "fr10.vec"
    assert main(["convert", "fr", str(out), "--max-vocab", "400", "--pca-dim", "10"]) == 0
    emb = load_embeddings(out)
    assert (len(emb), emb.dim) == (400, 10) and emb.words == load_embeddings("fr", max_vocab=400).words
    assert emb.vectors.var(axis=0)[0] >= emb.vectors.var(axis=0)[-1]
    assert "10 leading principal axes" in capsys.readouterr().err
    assert main(["convert", "fr", str(out), "--max-vocab", "400", "--pca-dim", "301"]) == 2
    assert "PCA needs 1 <= dim <= 300" in capsys.readouterr().err


def test_console_script_is_installed(tmp_path):
    result = subprocess.run([sys.executable, "-m", "core.cli", "convert", "fi", str(tmp_path / "fi.vec"),
                             "--max-vocab", "10"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fi.vec").read_text(encoding="utf-8").startswith("10 300\n")


def test_bad_file_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.vec"
    bad.write_text("a 1 2\nb 1\n", encoding="utf-8")
    assert main(["convert", str(bad), str(tmp_path / "o.vec")]) == 2
    err = capsys.readouterr().err
    assert "bad.vec, line 2: 1 values where 2 were expected" in err and "Traceback" not in err


def _pair_files(folder, noise: float):
    """French (2,000 words) and a rotated, noised copy as .vec files, with every third of 1,000 gold pairs."""
    src, tgt, gold = synthetic_pair(load_embeddings("fr", max_vocab=2000), noise=noise, random_state=1)
    save_word2vec(src, folder / "src.vec")
    save_word2vec(tgt, folder / "tgt.vec")
    (folder / "gold.txt").write_text("".join(f"{s} {t}\n" for s, t in gold[:1000:3]), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def synthetic_files(tmp_path_factory):
    return _pair_files(tmp_path_factory.mktemp("synthetic"), noise=0.05)


def test_align_writes_every_output(synthetic_files, tmp_path, capsys):
    f = synthetic_files
    out = tmp_path / "run"
    code = main(["align", "--src", str(f / "src.vec"), "--tgt", str(f / "tgt.vec"), "--init", "identical",
                 "--eval-dictionary", str(f / "gold.txt"), "--max-iter", "3", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    src_m, tgt_m = load_embeddings(out / "src.vec"), load_embeddings(out / "tgt.vec")
    assert len(src_m) == 2000 and len(tgt_m) == 2000 and src_m.dim == tgt_m.dim
    history = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert [h["iteration"] for h in history] == list(range(len(history))) and 2 <= len(history) <= 4
    assert history[-1]["bli"]["csls"]["p_at_1"] > 0.95
    config = json.loads((out / "config.json").read_text())
    assert config["init"] == "identical" and config["src"]["sha256"] and config["config"]["max_iter"] == 3
    assert config["final_bli"]["csls"]["p_at_1"] > 0.95
    pairs = [line.split("\t") for line in (out / "dictionary.tsv").read_text().splitlines()[1:]]
    assert len(pairs) > 1000 and np.mean([s == t for s, t, _ in pairs]) > 0.95
    assert config["selection"]["iteration"] in range(len(history)) and config["selection"]["reason"]
    assert config["selection"]["criterion"] == "identical"
    err = capsys.readouterr().err
    assert "iteration 1:" in err and "model selection" in err

    # the written spaces evaluate to the same numbers through `clwe evaluate`
    assert main(["evaluate", "--src", str(out / "src.vec"), "--tgt", str(out / "tgt.vec"),
                 "--dictionary", str(f / "gold.txt")]) == 0
    line = json.loads(capsys.readouterr().out)
    assert set(line) >= {"n", "coverage", "p@1", "p@5", "p@10", "mrr"}
    assert line["p@1"] == pytest.approx(config["final_bli"]["csls"]["p_at_1"], abs=2e-3)


def test_align_supervised_fits_the_dictionary_only(synthetic_files, tmp_path, capsys):
    """--init dictionary --no-self-learning is VecMap's supervised mode; --mapping picks the final mapping."""
    f = synthetic_files
    out = tmp_path / "sup"
    assert main(["align", "--src", str(f / "src.vec"), "--tgt", str(f / "tgt.vec"), "--init", "dictionary",
                 "--dictionary", str(f / "gold.txt"), "--eval-dictionary", str(f / "gold.txt"),
                 "--no-self-learning", "--mapping", "rcsls", "--out", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["iterations"] == 0 and config["config"]["final_mapping"] == "rcsls"
    assert config["selection"]["method"] == "rcsls" and "no self-learning" in config["selection"]["reason"]
    assert config["final_bli"]["csls"]["p_at_1"] > 0.95
    out2 = tmp_path / "sup-sl"
    assert main(["align", "--src", str(f / "src.vec"), "--tgt", str(f / "tgt.vec"), "--init", "dictionary",
                 "--dictionary", str(f / "gold.txt"), "--no-eval", "--max-iter", "2",
                 "--no-select", "--out", str(out2)]) == 0
    config = json.loads((out2 / "config.json").read_text())
    assert config["iterations"] == 2 and config["selection"]["reason"].startswith("--no-select")


@pytest.fixture(scope="module")
def noisier_files(tmp_path_factory):
    """A pair noisy enough that the start mapping misses a few held-out identical words (0.997 of them)."""
    return _pair_files(tmp_path_factory.mktemp("noisier"), noise=0.3)


def test_align_semi_supervised_seed_and_refinement(noisier_files, synthetic_files, tmp_path, capsys):
    """--seed-size N with --init dictionary keeps the first N pairs; --refine records every round and keeps a
    round only above its start by the held-out identical strings; --no-refine records nothing; a start that
    already translates every held-out word runs no round."""
    f = noisier_files
    out = tmp_path / "semi"
    assert main(["align", "--src", str(f / "src.vec"), "--tgt", str(f / "tgt.vec"), "--init", "dictionary",
                 "--dictionary", str(f / "gold.txt"), "--seed-size", "40", "--max-iter", "3", "--refine",
                 "--eval-dictionary", str(f / "gold.txt"), "--out", str(out)]) == 0, capsys.readouterr().err
    config = json.loads((out / "config.json").read_text())
    assert config["seed"]["pairs"] == 40
    ref = config["refinement"]
    assert [r["round"] for r in ref["rounds"]] == [0, 1, 2] and ref["method"].startswith("contrastive")
    assert ref["criterion"].startswith("identical strings held out")
    scores = [r["score"] for r in ref["rounds"]]
    kept = ref["kept_round"]
    assert scores[kept] == max(scores) and (kept == 0 or scores[kept] > scores[0])
    assert config["final_bli"]["csls"]["p_at_1"] > 0.9
    err = capsys.readouterr().err
    assert "refinement round 2" in err and "contrastive refinement" in err
    out2 = tmp_path / "semi-off"
    assert main(["align", "--src", str(f / "src.vec"), "--tgt", str(f / "tgt.vec"), "--init", "dictionary",
                 "--dictionary", str(f / "gold.txt"), "--seed-size", "40", "--max-iter", "3", "--no-refine",
                 "--no-eval", "--out", str(out2)]) == 0
    assert json.loads((out2 / "config.json").read_text())["refinement"] is None
    easy = tmp_path / "easy"
    assert main(["align", "--src", str(synthetic_files / "src.vec"), "--tgt", str(synthetic_files / "tgt.vec"),
                 "--init", "dictionary", "--dictionary", str(synthetic_files / "gold.txt"), "--seed-size", "40",
                 "--max-iter", "3", "--refine", "--no-eval", "--out", str(easy)]) == 0
    ref = json.loads((easy / "config.json").read_text())["refinement"]
    assert [r["score"] for r in ref["rounds"]] == [1.0] and "maximum" in ref["reason"]
    with pytest.raises(SystemExit) as stop:                       # argparse: the two flags exclude each other
        main(["align", "--src", "en", "--tgt", "fr", "--init", "dictionary", "--refine", "--no-refine",
              "--out", str(tmp_path / "x")])
    assert stop.value.code == 2


def test_refinement_by_default_only_where_held_out_strings_can_judge_it(tmp_path, capsys):
    """Languages sharing no spelling: the default skips the refinement (MUSE's criterion would keep the start
    anyway) and says why; --refine still runs it, judged by MUSE's criterion."""
    src, tgt, gold = synthetic_pair(load_embeddings("fr", max_vocab=1500), noise=0.05, random_state=2,
                                    word_forms="mirror")
    save_word2vec(src, tmp_path / "src.vec")
    save_word2vec(tgt, tmp_path / "tgt.vec")
    (tmp_path / "gold.txt").write_text("".join(f"{s} {t}\n" for s, t in gold[:900:3]), encoding="utf-8")
    common = ["align", "--src", str(tmp_path / "src.vec"), "--tgt", str(tmp_path / "tgt.vec"), "--init",
              "dictionary", "--dictionary", str(tmp_path / "gold.txt"), "--max-iter", "2", "--no-eval"]
    assert main(common + ["--out", str(tmp_path / "default")]) == 0, capsys.readouterr().err
    ref = json.loads((tmp_path / "default" / "config.json").read_text())["refinement"]
    assert "too few identically spelled words" in ref["skipped"]
    assert "contrastive refinement skipped" in capsys.readouterr().err
    assert main(common + ["--refine", "--out", str(tmp_path / "forced")]) == 0, capsys.readouterr().err
    ref = json.loads((tmp_path / "forced" / "config.json").read_text())["refinement"]
    assert ref["criterion"].startswith("mean CSLS cosine") and [r["round"] for r in ref["rounds"]] == [0, 1, 2]


def test_refinement_by_default_only_up_to_the_dev_splits_size(noisier_files, tmp_path, capsys, monkeypatch):
    """Spaces larger than the bundled ones (lowered here to 1,500 words against this pair's 2,000): the default
    skips the refinement and says how to run it; --refine runs its rounds; within the size the default runs
    them."""
    import core.cli as cli

    f = noisier_files
    common = ["align", "--src", str(f / "src.vec"), "--tgt", str(f / "tgt.vec"), "--init", "dictionary",
              "--dictionary", str(f / "gold.txt"), "--seed-size", "40", "--max-iter", "3", "--no-eval"]
    assert main(common + ["--out", str(tmp_path / "within")]) == 0, capsys.readouterr().err
    ref = json.loads((tmp_path / "within" / "config.json").read_text())["refinement"]
    assert [r["round"] for r in ref["rounds"]] == [0, 1, 2]
    monkeypatch.setattr(cli, "REFINE_DEFAULT_MAX_WORDS", 1500)
    capsys.readouterr()
    assert main(common + ["--out", str(tmp_path / "beyond")]) == 0, capsys.readouterr().err
    ref = json.loads((tmp_path / "beyond" / "config.json").read_text())["refinement"]
    assert "up to 1,500 words" in ref["skipped"] and "2,000" in ref["skipped"] and "--refine" in ref["skipped"]
    assert "contrastive refinement skipped" in capsys.readouterr().err
    assert main(common + ["--refine", "--out", str(tmp_path / "forced")]) == 0, capsys.readouterr().err
    ref = json.loads((tmp_path / "forced" / "config.json").read_text())["refinement"]
    assert [r["round"] for r in ref["rounds"]] == [0, 1, 2]


def test_align_impossible_requests(synthetic_files, tmp_path, capsys):
    f = synthetic_files
    prefixed = tmp_path / "prefixed.vec"
    tgt = load_embeddings(f / "tgt.vec")
    save_word2vec(Embeddings(tuple("t_" + w for w in tgt.words), tgt.vectors), prefixed)
    assert main(["align", "--src", str(f / "src.vec"), "--tgt", str(prefixed), "--init", "identical",
                 "--out", str(tmp_path / "x")]) == 2
    assert "identical" in capsys.readouterr().err.lower()
    assert main(["align", "--src", str(f / "src.vec"), "--tgt", str(f / "tgt.vec"), "--init", "dictionary",
                 "--out", str(tmp_path / "y")]) == 2
    assert "needs --dictionary" in capsys.readouterr().err


def test_align_explicit_cutoff_above_vocabulary(synthetic_files, tmp_path, capsys):
    f = synthetic_files
    assert main(["align", "--src", str(f / "src.vec"), "--tgt", str(f / "tgt.vec"), "--init", "identical",
                 "--cutoff", "50000", "--out", str(tmp_path / "z")]) == 2
    assert "cutoff 50000 is larger than both vocabularies" in capsys.readouterr().err


def test_every_init_has_a_preset():
    from core.cli import INIT_PRESETS, INITS
    from core.selflearning import AlignConfig
    assert set(INIT_PRESETS) == set(INITS)
    for init, name in INIT_PRESETS.items():
        assert isinstance(AlignConfig.preset(name), AlignConfig), init
    assert AlignConfig.preset("weak").cutoff == 10000


def test_collapse_patience_flag(tmp_path, capsys):
    from core.cli import main
    code = main(["align", "--src", "en", "--tgt", "fr", "--init", "identical", "--max-vocab", "500",
                 "--max-iter", "1", "--collapse-patience", "-1", "--out", str(tmp_path / "o")])
    assert code != 0
    assert "collapse_patience must be 0" in capsys.readouterr().err
