"""The side-by-side bench's log reading (the VecMap runs themselves are too long for the test suite)."""

from bench.compare_vecmap import read_vecmap_log, time_to


def test_time_to_accuracy_from_a_vecmap_log(tmp_path):
    log = tmp_path / "log.tsv"
    # VecMap --log columns: iteration, objective %, validation similarity %, accuracy %, coverage %, seconds
    log.write_text("1\t55.0\t8.3\t0.0\t55.7\t12.0\n2\t57.5\t9.6\t0.9\t55.7\t6.0\n3\t59.0\t10.8\t15.2\t55.7\t6.5\n")
    rows = read_vecmap_log(log)
    assert [r[0] for r in rows] == [1, 2, 3] and rows[-1][2] == 24.5     # cumulative seconds
    assert time_to(rows, 15.0) == (3, 24.5)
    assert time_to(rows, 0.5) == (2, 18.0)
    assert time_to(rows, 20.0) is None
    assert read_vecmap_log(tmp_path / "missing.tsv") == []
