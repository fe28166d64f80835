"""Word similarity and word analogy evaluation: core.evaluate, the readers in core.io and ``clwe evaluate``.

Every dataset is generated here: spaces where the expected score is known by construction.
"""

import json

import numpy as np
import pytest
from scipy import stats

from core.cli import main
from core.errors import ConfigError, FileFormatError
from core.evaluate import word_analogy, word_similarity
from core.io import Embeddings, load_analogies, load_embeddings, load_similarity, save_word2vec


def random_space(n=60, dim=8, seed=0, prefix="w") -> Embeddings:
    rng = np.random.default_rng(seed)
    return Embeddings([f"{prefix}{i}" for i in range(n)], rng.normal(size=(n, dim)).astype(np.float32), prefix)


def cosine(u, v) -> float:
    u, v = np.asarray(u, np.float64), np.asarray(v, np.float64)
    return float(u @ v / np.sqrt((u @ u) * (v @ v)))


def random_pairs(src: Embeddings, tgt: Embeddings, n=40, seed=1):
    """``n`` (word1 of src, word2 of tgt) pairs and their cosines, computed independently. Pairs of two
    words ``i < j``: no pair twice, even reversed, and no word with itself (cosines tied only up to rounding)."""
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(min(len(src), len(tgt)), k=1)
    chosen = rng.choice(len(i), size=n, replace=False)
    pairs = [(src.words[i[k]], tgt.words[j[k]]) for k in chosen]
    return pairs, np.array([cosine(src.vector(a), tgt.vector(b)) for a, b in pairs])


# --- word similarity --------------------------------------------------------------------------------

def test_monotone_scores_give_spearman_one_and_reversed_minus_one():
    emb = random_space()
    pairs, cos = random_pairs(emb, emb)
    up = word_similarity(emb, [(a, b, 3 + 10 * np.exp(c)) for (a, b), c in zip(pairs, cos)])
    down = word_similarity(emb, [(a, b, -c) for (a, b), c in zip(pairs, cos)])
    assert up.spearman == pytest.approx(1.0) and down.spearman == pytest.approx(-1.0)
    assert up.pearson < 1.0 - 1e-4          # exp is monotone, not linear
    assert (up.n, up.n_total, up.coverage) == (40, 40, 1.0)


def test_correlations_equal_scipy_on_independent_cosines():
    emb = random_space(seed=3)
    pairs, cos = random_pairs(emb, emb, seed=4)
    gold = np.random.default_rng(5).uniform(0, 10, size=len(pairs))
    result = word_similarity(emb, [(a, b, g) for (a, b), g in zip(pairs, gold)])
    assert result.spearman == pytest.approx(stats.spearmanr(gold, cos).statistic, abs=1e-12)
    assert result.pearson == pytest.approx(stats.pearsonr(gold, cos).statistic, abs=1e-9)
    assert abs(result.spearman) < 0.9       # random scores: not a trivial 1


def test_out_of_vocabulary_pairs_are_skipped_and_lower_coverage():
    emb = random_space()
    pairs, cos = random_pairs(emb, emb)
    gold = np.random.default_rng(2).uniform(size=len(pairs))
    items = [(a, b, g) for (a, b), g in zip(pairs, gold)]
    oov = [("w1", "nowhere", 5.0), ("absent", "w2", 0.0), ("zz", "yy", 1.0), ("w3", "W3", 9.0)]
    full = word_similarity(emb, items)
    mixed = word_similarity(emb, items[:20] + oov + items[20:])
    assert (mixed.n, mixed.n_total) == (40, 44) and mixed.coverage == pytest.approx(40 / 44)
    assert mixed.spearman == pytest.approx(full.spearman, abs=1e-12)
    assert mixed.pearson == pytest.approx(full.pearson, abs=1e-12)
    alone = word_similarity(emb, oov[:3] + items[:1])
    assert alone.n == 1 and np.isnan(alone.spearman) and np.isnan(alone.pearson)
    assert alone.as_dict()["spearman"] is None


def test_cross_lingual_looks_word2_up_in_the_target_space():
    src = random_space(seed=6)
    M = np.random.default_rng(7).normal(size=(8, 8)).astype(np.float32)     # the same words, other vectors
    tgt = Embeddings(src.words, src.vectors @ M, "tgt")
    pairs, cross = random_pairs(src, tgt, seed=8)
    items = [(a, b, c) for (a, b), c in zip(pairs, cross)]
    assert word_similarity(src, items, tgt).spearman == pytest.approx(1.0)
    assert word_similarity(src, items).spearman < 0.99            # both words in src
    assert word_similarity(tgt, items, src).spearman < 0.99       # the spaces swapped
    other = random_space(prefix="t", seed=9)
    assert word_similarity(src, [("w1", "t2", 1.0), ("w3", "t4", 2.0)], other).n == 2
    assert word_similarity(src, [("w1", "t2", 1.0), ("w3", "t4", 2.0)]).n == 0


def test_orthogonal_maps_keep_monolingual_similarity_and_others_do_not():
    emb = random_space(dim=8, seed=10)
    pairs, _ = random_pairs(emb, emb, seed=11)
    gold = np.random.default_rng(12).uniform(size=len(pairs))
    items = [(a, b, g) for (a, b), g in zip(pairs, gold)]
    Q, _ = np.linalg.qr(np.random.default_rng(13).normal(size=(8, 8)))
    W = np.diag(np.geomspace(0.05, 20, 8))
    before = word_similarity(emb, items)
    rotated = word_similarity(emb.with_vectors(emb.vectors @ Q), items)
    stretched = word_similarity(emb.with_vectors(emb.vectors @ W), items)
    assert rotated.spearman == pytest.approx(before.spearman, abs=1e-6)
    assert abs(stretched.spearman - before.spearman) > 0.01


def test_similarity_refuses_spaces_of_two_dimensions_and_an_empty_dataset():
    with pytest.raises(ConfigError, match="differ in dimension"):
        word_similarity(random_space(dim=8), [("w1", "w2", 1.0)], random_space(dim=4))
    with pytest.raises(ConfigError, match="empty"):
        word_similarity(random_space(), [])


# --- word analogy -----------------------------------------------------------------------------------

STATES = ("m", "f", "sg", "pl")


def analogy_space(n_entities=12, dim=24, noise=1e-3, seed=0) -> Embeddings:
    """Word ``e{k}_{s}`` = entity ``k`` + state ``s``, both from one orthonormal set, plus a little noise.

    Every word has the same length, so ``b - a + c`` is exactly the answer after unit normalisation:
    ``e_i + u_f - (e_i + u_m) + e_j + u_m = e_j + u_f``.
    """
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.normal(size=(dim, n_entities + len(STATES))))
    entities, states = basis[:, :n_entities].T, basis[:, n_entities:].T
    words, rows = [], []
    for k in range(n_entities):
        for s, u in zip(STATES, states):
            words.append(f"e{k}_{s}")
            rows.append(entities[k] + u + noise * rng.normal(size=dim))
    return Embeddings(words, np.array(rows, np.float32), "analogies")


def analogy_questions(pairs_of_states, entities=range(12), section=""):
    return [(section, f"e{i}_{s}", f"e{i}_{t}", f"e{j}_{s}", f"e{j}_{t}")
            for s, t in pairs_of_states for i in entities for j in entities if i != j]


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_analogies_that_hold_by_construction_are_all_answered(method):
    emb = analogy_space()
    questions = analogy_questions([("m", "f"), ("sg", "pl"), ("f", "m")])
    result = word_analogy(emb, questions, method=method, batch_size=8)
    assert result.accuracy == 1.0 and result.n == result.n_total == len(questions) == 3 * 132
    assert result.method == method and result.cutoff == len(emb) and result.coverage == 1.0


def test_wrong_answers_score_zero_by_section():
    emb = analogy_space()
    right = analogy_questions([("m", "f")], section="gender")
    wrong = [(" plural", a, b, c, d.replace("_pl", "_sg")) for _, a, b, c, d in
             analogy_questions([("m", "pl")], range(4))]
    unknown = [("missing", "e0_m", "e0_f", "e1_m", "e1_x")]
    result = word_analogy(emb, right + wrong + unknown)
    assert list(result.by_section) == ["gender", " plural", "missing"]
    assert result.by_section["gender"] == 1.0 and result.by_section[" plural"] == 0.0
    assert np.isnan(result.by_section["missing"]) and result.as_dict()["by_section"]["missing"] is None
    assert result.accuracy == pytest.approx(len(right) / (len(right) + len(wrong)))
    assert (result.n, result.n_total) == (len(right) + len(wrong), len(right) + len(wrong) + 1)


def test_questions_beyond_the_cutoff_are_skipped():
    emb = analogy_space()                     # entity 11's four words are the last four rows
    questions = analogy_questions([("m", "f")])
    result = word_analogy(emb, questions, cutoff=len(emb) - 4)
    beyond = [q for q in questions if "e11_" in "".join(q)]
    assert len(beyond) == 22 and result.n == len(questions) - 22 and result.coverage < 1
    assert result.accuracy == 1.0 and result.cutoff == len(emb) - 4
    assert word_analogy(emb, questions, cutoff=0).n == len(questions)         # 0: every word
    assert word_analogy(emb, questions, cutoff=10 ** 6).cutoff == len(emb)


def _excluded_case():
    """a ~ b, so b - a + c ~ c: without excluding the question words, c (or b) would be the answer."""
    rng = np.random.default_rng(20)
    X = rng.normal(size=(30, 10))
    X[1] = X[0] + 1e-3 * rng.normal(size=10)          # b = a + a little
    X[3] = X[2] + 0.4 * rng.normal(size=10)           # d, the answer: c's nearest other word
    return Embeddings([f"v{i}" for i in range(30)], X.astype(np.float32), "excluded")


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_question_words_are_not_candidates(method):
    emb = _excluded_case()
    X = emb.vectors / np.linalg.norm(emb.vectors, axis=1, keepdims=True)
    assert int(np.argmax(X @ (X[1] - X[0] + X[2]))) in (1, 2)          # the case is what it says
    assert word_analogy(emb, [("", "v0", "v1", "v2", "v3")], method=method).accuracy == 1.0


def _brute_force(emb, questions, method):
    """The answer of every question, one question at a time over the whole matrix, in float64."""
    X = emb.vectors.astype(np.float64)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    answers = []
    for _, *words in questions:
        a, b, c = (emb.index[w] for w in words[:3])
        if method == "3cosadd":
            scores = X @ (X[b] - X[a] + X[c])
        else:
            ca, cb, cc = ((X @ X[i] + 1) / 2 for i in (a, b, c))
            scores = cb * cc / (ca + 1e-3)
        scores[[a, b, c]] = -np.inf
        answers.append(emb.words[int(np.argmax(scores))])
    return answers


def test_batched_answers_equal_a_brute_force_reference():
    emb = random_space(n=300, dim=16, seed=21)
    rng = np.random.default_rng(22)
    questions = [("", *(emb.words[i] for i in rng.choice(len(emb), 3, replace=False)), "?") for _ in range(70)]
    answers = {m: _brute_force(emb, questions, m) for m in ("3cosadd", "3cosmul")}
    assert answers["3cosadd"] != answers["3cosmul"]          # two methods, two sets of answers
    for method, answer in answers.items():
        keyed = [(s, a, b, c, d) for (s, a, b, c, _), d in zip(questions, answer)]
        for batch_size in (8, 1000):
            assert word_analogy(emb, keyed, method=method, batch_size=batch_size).accuracy == 1.0
        other = answers["3cosmul" if method == "3cosadd" else "3cosadd"]
        expected = np.mean([x == y for x, y in zip(answer, other)])
        mixed = [(s, a, b, c, d) for (s, a, b, c, _), d in zip(questions, other)]
        assert word_analogy(emb, mixed, method=method, batch_size=8).accuracy == pytest.approx(expected)


def test_unknown_analogy_method_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown analogy method '3cosmax'"):
        word_analogy(analogy_space(), analogy_questions([("m", "f")]), method="3cosmax")


# --- readers ----------------------------------------------------------------------------------------

def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_similarity_file_header_comments_and_tabs(tmp_path):
    path = write(tmp_path / "simlex.txt", "word1\tword2\tSimLex999\n# a comment\n\nold\tnew\t1.58\n"
                                          "smart  intelligent 9.2 extra\nhard\tdifficult\t8.77\told\n")
    assert load_similarity(path) == [("old", "new", 1.58), ("smart", "intelligent", 9.2),
                                     ("hard", "difficult", 8.77)]
    plain = write(tmp_path / "plain.txt", "old new 1.5\nold new 1.5\n")
    assert load_similarity(plain) == [("old", "new", 1.5), ("old", "new", 1.5)]     # repeats kept


def test_similarity_score_column_reads_simlex_as_distributed(tmp_path):
    # SimLex-999.txt: word1 word2 POS SimLex999 conc(w1) ...; the part of speech sits where a score usually does
    text = "word1\tword2\tPOS\tSimLex999\tconc(w1)\nold\tnew\tA\t1.58\t2.72\nsmart\tintelligent\tA\t9.2\t1.75\n"
    path = write(tmp_path / "SimLex-999.txt", text)
    assert load_similarity(path, column=4) == [("old", "new", 1.58), ("smart", "intelligent", 9.2)]
    with pytest.raises(FileFormatError, match=r"line 2: the score 'A' \(column 3\).*--similarity-column 4"):
        load_similarity(path)


def test_analogy_sections(tmp_path):
    path = write(tmp_path / "questions-words.txt", "a b c d\n: capital-common-countries\nAthens Greece Baghdad "
                                                   "Iraq\n\n: gram1-adjective-to-adverb\namazing amazingly apparent "
                                                   "apparently\n")
    assert load_analogies(path) == [("", "a", "b", "c", "d"),
                                    ("capital-common-countries", "Athens", "Greece", "Baghdad", "Iraq"),
                                    ("gram1-adjective-to-adverb", "amazing", "amazingly", "apparent", "apparently")]


@pytest.mark.parametrize("load, text, match", [
    (load_similarity, "old new 1.58\nsmart intelligent\n", r"line 2: expected two words and a score in column 3, got 2"),
    (load_similarity, "w1 w2 score\nold new 1.58\n\nsmart intelligent A\n", r"line 4: the score 'A' \(column 3\) is not a finite"),
    (load_similarity, "old new 1\nsmart intelligent nan\n", r"line 2: the score 'nan'"),
    (load_similarity, "word1 word2 score\n# nothing else\n", r"no scored word pairs found"),
    (load_analogies, ": family\nboy girl brother\n", r"line 2: expected four words, got 3"),
    (load_analogies, ": family\nboy girl brother sister\nboy girl brother sister sister\n", r"line 3: expected four"),
    (load_analogies, ": family\n: empty\n", r"no analogy questions found"),
])
def test_bad_dataset_file(tmp_path, load, text, match):
    with pytest.raises(FileFormatError, match=match):
        load(write(tmp_path / "data.txt", text))


def test_missing_dataset_file(tmp_path):
    with pytest.raises(FileFormatError, match="no such file. Check the path of the word similarity file"):
        load_similarity(tmp_path / "none.txt")
    with pytest.raises(FileFormatError, match="a folder, not a file. Check the path of the analogy file"):
        load_analogies(tmp_path)


# --- clwe evaluate ----------------------------------------------------------------------------------

@pytest.fixture
def files(tmp_path):
    """An analogy space as a .vec, a similarity file that ranks its pairs by their cosines, questions."""
    save_word2vec(analogy_space(), tmp_path / "a.vec")
    emb = load_embeddings(tmp_path / "a.vec")            # the cosines of the file as written
    pairs, cos = random_pairs(emb, emb, seed=30)
    write(tmp_path / "sim.txt", "word1 word2 score\n" + "".join(f"{a} {b} {c:.9f}\n" for (a, b), c in zip(pairs, cos)))
    lines = [f": {s}-{t}\n" + "".join(" ".join(q[1:]) + "\n" for q in analogy_questions([(s, t)], range(5)))
             for s, t in (("m", "f"), ("sg", "pl"))]
    write(tmp_path / "q.txt", "".join(lines))
    write(tmp_path / "gold.txt", "".join(f"{w} {w}\n" for w in emb.words[::3]))
    return tmp_path


def run(capsys, *argv):
    code = main(["evaluate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_similarity_is_one_json_line(files, capsys):
    code, out, err = run(capsys, "--src", str(files / "a.vec"), "--similarity", str(files / "sim.txt"))
    assert code == 0, err
    assert out.count("\n") == 1
    line = json.loads(out)
    assert set(line) == {"similarity"}
    assert line["similarity"]["side"] == "src" and line["similarity"]["spearman"] == 1.0
    assert (line["similarity"]["n"], line["similarity"]["coverage"]) == (40, 1.0)


def test_cli_analogy_is_one_json_line(files, capsys):
    code, out, err = run(capsys, "--src", str(files / "a.vec"), "--analogy", str(files / "q.txt"),
                         "--analogy-method", "3cosmul", "--analogy-cutoff", "0")
    assert code == 0, err
    line = json.loads(out)
    assert set(line) == {"analogy"}
    assert line["analogy"] == {"method": "3cosmul", "cutoff": 48, "n": 40, "n_total": 40, "coverage": 1.0,
                               "accuracy": 1.0, "by_section": {"m-f": 1.0, "sg-pl": 1.0}}


def test_cli_cross_similarity_needs_tgt(files, capsys):
    code, out, err = run(capsys, "--src", str(files / "a.vec"), "--similarity", str(files / "sim.txt"),
                         "--similarity-side", "cross")
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert "--similarity-side cross looks words up in the target space: give --tgt" in err
    code, out, err = run(capsys, "--src", str(files / "a.vec"), "--tgt", str(files / "a.vec"),
                         "--similarity", str(files / "sim.txt"), "--similarity-side", "cross")
    assert code == 0 and json.loads(out)["similarity"]["side"] == "cross"
    code, out, err = run(capsys, "--src", str(files / "a.vec"), "--dictionary", str(files / "gold.txt"))
    assert code == 2 and "--dictionary (bilingual lexicon induction) needs the mapped target space" in err


def test_cli_without_an_evaluation_is_an_error(files, capsys):
    code, out, err = run(capsys, "--src", str(files / "a.vec"), "--tgt", str(files / "a.vec"))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "nothing to evaluate: give --dictionary FILE" in err


def test_cli_dataset_without_a_known_word_is_an_error(files, capsys):
    write(files / "upper.txt", "OLD NEW 1\nSMART CLEVER 2\n")
    code, out, err = run(capsys, "--src", str(files / "a.vec"), "--similarity", str(files / "upper.txt"))
    assert code == 2 and out == "" and "upper.txt: none of its 2 word pairs has both words" in err
    code, out, err = run(capsys, "--src", str(files / "a.vec"), "--analogy", str(files / "q.txt"),
                         "--analogy-cutoff", "4")
    assert code == 2 and "q.txt: none of its 40 questions has all four words among the 4 most frequent" in err


def test_cli_bli_keys_are_unchanged(files, capsys):
    args = ["--src", str(files / "a.vec"), "--tgt", str(files / "a.vec"), "--dictionary", str(files / "gold.txt")]
    code, out, _ = run(capsys, *args)
    bli = json.loads(out)
    assert code == 0 and list(bli) == ["n", "coverage", "p@1", "p@5", "p@10", "mrr", "retrieval"]
    assert bli["n"] == 16 and bli["p@1"] == 1.0
    code, out, _ = run(capsys, *args, "--similarity", str(files / "sim.txt"), "--analogy", str(files / "q.txt"))
    both = json.loads(out)
    assert code == 0 and {k: both[k] for k in bli} == bli and set(both) == set(bli) | {"similarity", "analogy"}
