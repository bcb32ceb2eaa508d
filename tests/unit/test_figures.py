"""The report's pass matrix shows a failed check where it failed: the record a failing check leaves
(qaccel.workflow.outcomes) and the cell the figure draws from it."""
import json

from qaccel.workflow.figures import check_cell
from qaccel.workflow.outcomes import outcome_path, read_outcome, write_outcome

FAILED = {"layer": 27, "dataflow": "ws", "passed": False, "values_checked": 2048, "mismatches": 1,
          "failed_at": "psum_kij5.txt:12 field 0", "error": "layer 27 ws: 1 of 2048 values differ"}
PASSED = {**FAILED, "passed": True, "mismatches": 0, "failed_at": None, "error": None}


def test_a_failed_check_leaves_a_record_that_the_matrix_shows_red_with_where(tmp_path):
    output = tmp_path / "sim.json"
    write_outcome(FAILED, output)
    assert not output.exists() and outcome_path(output) == str(tmp_path / "sim.failed.json")
    record = read_outcome(outcome_path(output))
    assert record == FAILED
    assert check_cell(record, ("values_checked", "values")) == ("failed", "FAIL\npsum_kij5.txt:12 field 0")


def test_a_later_pass_clears_the_failure_record(tmp_path):
    output = tmp_path / "sim.json"
    write_outcome(FAILED, output)
    waiting = outcome_path(output)  # what a summary planned before the check ran again
    write_outcome(PASSED, output)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["sim.json"]
    assert outcome_path(output) == str(output) and json.loads(output.read_text()) == PASSED
    assert read_outcome(waiting) == PASSED
    assert check_cell(PASSED, ("values_checked", "values")) == ("passed", "pass\n2,048 values")


def test_a_check_without_a_record_is_not_run():
    assert check_cell(None) == ("not run", "not run")
