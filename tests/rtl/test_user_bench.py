"""qaccel.rtl.user_bench on a user's own design (tests/rtl/user_design: a course-style bench that
reads out.txt and a one-register core, with faulty variants): pass, fail by the pass pattern when
the bench exits 0 anyway, the time limit, compile errors with the simulator's first error lines,
a missing source, a rebuild when a source changes, and bench descriptions that cannot run."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qaccel.export.serialize import export_layer
from qaccel.rtl.user_bench import BenchSpec, BenchSpecError, run_user_bench
from qaccel.export.vectors import read_vectors
from rtl_helpers import random_layer

DESIGN = Path(__file__).resolve().parent / "user_design"
SEED_FILES = {"rows": 8, "cols": 8, "act_bits": 4, "weight_bits": 4, "psum_bits": 16}
PASS = "^tiny_tb PASS"


@pytest.fixture(scope="module")
def layer27_ws(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("user_bench") / "ws"
    act, weight = random_layer(np.random.default_rng(27), 8, 8, 4, 4)
    export_layer(directory, "ws", act, weight, False, SEED_FILES, layer=27)
    return directory


def tiny(core: str | Path, simulator: str = "icarus") -> BenchSpec:
    return BenchSpec((DESIGN / "tiny_tb.v", DESIGN / core), "tiny_tb", simulator, pass_pattern=PASS)


def test_a_user_design_that_passes(layer27_ws, build_root, tmp_path):
    record = run_user_bench(tiny("tiny_core.v"), layer27_ws, build_root, tmp_path / "tb.log", time_limit_s=60)
    assert record["passed"], record["reason"]
    assert (record["failed_at"], record["exit_code"], record["top"]) == (None, 0, "tiny_tb")
    assert record["cycles"] == 16  # one cycle per line of out.txt (4x4 pixels)
    assert record["sources"] == [str(DESIGN / "tiny_tb.v"), str(DESIGN / "tiny_core.v")]
    assert "tiny_tb PASS: 16 lines of out.txt, cycles 16" in Path(record["log"]).read_text()


def test_a_failing_design_that_exits_0_fails_by_its_pass_pattern(layer27_ws, build_root, tmp_path):
    first = int(read_vectors(layer27_ws / "out.txt", 16, True)[0, 0]) & 0xFFFF
    record = run_user_bench(tiny("tiny_core_off_by_one.v"), layer27_ws, build_root, tmp_path / "tb.log", 60)
    assert (record["passed"], record["failed_at"], record["exit_code"], record["cycles"]) == (False, "run", 0, None)
    assert record["reason"] == (f"bench tiny_tb (icarus) printed no line matching the pass pattern '{PASS}'; first "
                                f"failure line: tiny_tb FAIL: out.txt line 4: expected {first}, got {first + 1}")


def test_a_bench_that_never_finishes_stops_at_the_time_limit(layer27_ws, build_root, tmp_path):
    record = run_user_bench(tiny("tiny_core_stuck.v"), layer27_ws, build_root, tmp_path / "tb.log", time_limit_s=2)
    assert (record["passed"], record["failed_at"], record["exit_code"]) == (False, "time limit", None)
    assert record["reason"] == "bench tiny_tb (icarus) did not finish within its time limit of 2 s and was stopped"
    assert record["wall_s"] >= 2


BROKEN_CORE = """module tiny_core (input clk, input rst, input in_valid, input [31:0] in_data,
                  output reg out_valid, output reg [31:0] out_data);
    always @(posedge clk) begin
        out_valid <= !rst && in_valid
        out_data  <= in_data;
    end
endmodule
"""


@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
def test_a_compile_error_shows_the_simulators_first_error_lines(layer27_ws, build_root, tmp_path, simulator):
    broken = tmp_path / "tiny_core.v"
    broken.write_text(BROKEN_CORE)  # line 4 lacks its semicolon: both parsers stop at line 5
    record = run_user_bench(tiny(broken, simulator), layer27_ws, build_root, tmp_path / "tb.log", 60)
    assert (record["passed"], record["failed_at"]) == (False, "compile")
    header, first_error, *_ = record["reason"].splitlines()
    assert header.startswith(f"{simulator} could not compile tiny_tb (exit ")
    assert f"{broken}:5" in first_error and "syntax error" in first_error, record["reason"]


def test_a_missing_source_is_named(layer27_ws, build_root, tmp_path):
    record = run_user_bench(tiny(tmp_path / "my_core.v"), layer27_ws, build_root, tmp_path / "tb.log", 60)
    assert (record["passed"], record["failed_at"]) == (False, "sources")
    assert record["reason"] == f"bench tiny_tb: source file(s) not found: {tmp_path / 'my_core.v'}"


def test_the_build_is_reused_until_a_source_changes(layer27_ws, build_root, tmp_path):
    core = tmp_path / "tiny_core.v"
    core.write_text((DESIGN / "tiny_core.v").read_text())
    first = run_user_bench(tiny(core), layer27_ws, build_root, tmp_path / "1.log", 60)
    again = run_user_bench(tiny(core), layer27_ws, build_root, tmp_path / "2.log", 60)
    core.write_text((DESIGN / "tiny_core_off_by_one.v").read_text())
    changed = run_user_bench(tiny(core), layer27_ws, build_root, tmp_path / "3.log", 60)
    assert (first["build_reused"], again["build_reused"], changed["build_reused"]) == (False, True, False)
    assert first["build_dir"] == again["build_dir"] != changed["build_dir"]
    assert (first["passed"], again["passed"], changed["passed"]) == (True, True, False)


@pytest.mark.parametrize("changes, message", [
    ({"simulator": "modelsim"}, "simulator 'modelsim': expected one of icarus, verilator"),
    ({"sources": ()}, "bench 'tiny_tb': no Verilog sources"),
    ({"top": "tiny tb"}, "top 'tiny tb' is not a Verilog module name"),
    ({"pass_pattern": None, "exit_code": None}, "bench 'tiny_tb': give a pass pattern, an exit code or both"),
    ({"pass_pattern": "PASS("}, "bench 'tiny_tb': pass pattern 'PASS(': missing ), unterminated subpattern at "
                                "position 4"),
])
def test_a_bench_description_that_cannot_run_is_refused(changes, message):
    settings = {"sources": (DESIGN / "tiny_tb.v",), "top": "tiny_tb", "simulator": "icarus", "pass_pattern": PASS,
                **changes}
    with pytest.raises(BenchSpecError) as error:
        BenchSpec(**settings)
    assert str(error.value) == message
