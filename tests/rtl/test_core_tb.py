"""rtl/bench/core_tb.v, the plain Verilog test bench, run by qaccel.rtl.user_bench in vector folders
written by qaccel.export.serialize at the seed's file widths (4-bit activations and weights, 16-bit sums) on
the pipeline's default core (8-bit signed activation lanes, 32-bit sums): every line of out.txt in
both dataflows under both simulators with the cycle count of rtl/README.md's formula, a planted
mismatch named by line and field, a missing file, values that do not fit the core, files of
another array. Each simulator compiles core_tb once per session (the runner reuses the build)."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from qaccel.export.serialize import export_layer
from qaccel.rtl.cycles import core_cycles
from qaccel.rtl.program import ConvShape, CoreShape
from qaccel.rtl.user_bench import compile_bench, core_tb_bench, run_bench, run_user_bench
from qaccel.export.vectors import read_vectors
from rtl_helpers import flip_bit, random_layer

DEFAULT_CORE = CoreShape(8, 8, 8, 4, 32, act_signed=True)
SEED_FILES = {"rows": 8, "cols": 8, "act_bits": 4, "weight_bits": 4, "psum_bits": 16}
# (in channels, out channels, height, width, relu): layer 27's shape, and a layer with two tiles
# along every dimension (input and output channels; OS: two pixel tiles, the last one partial).
LAYERS = {"layer27": (8, 8, 4, 4, True), "multi_tile": (12, 10, 3, 5, False)}
TIME_LIMIT_S = 120


def export(directory, seed: int, cin: int, cout: int, height: int, width: int, relu: bool, act_low: int = 0,
           act_high: int = 15, files: dict = SEED_FILES, act_signed: bool = False):
    """Random integers of a layer as vector files of both dataflows under ``directory``/{ws,os}."""
    act, weight = random_layer(np.random.default_rng(seed), cin, cout, height, width, act_low, act_high)
    for dataflow in ("ws", "os"):
        export_layer(directory / dataflow, dataflow, act, weight, relu, files, layer=27, act_signed=act_signed)
    return act, weight


@pytest.fixture(scope="module")
def vector_sets(tmp_path_factory):
    root = tmp_path_factory.mktemp("core_tb_vectors")
    for seed, (name, spec) in enumerate(LAYERS.items()):
        export(root / name, seed, *spec)
    return root


def run(simulator, vector_dir, build_root, log_dir, shape=DEFAULT_CORE):
    return run_user_bench(core_tb_bench(simulator, shape), vector_dir, build_root, log_dir / "tb.log", TIME_LIMIT_S)


@pytest.mark.parametrize("layer", list(LAYERS))
@pytest.mark.parametrize("dataflow", ["ws", "os"])
def test_every_line_of_out_txt_matches_with_the_formula_cycles(vector_sets, build_root, tmp_path, simulator, dataflow,
                                                                layer):
    cin, cout, height, width, _ = LAYERS[layer]
    record = run(simulator, vector_sets / layer / dataflow, build_root, tmp_path)
    assert record["passed"], record["reason"]
    assert (record["failed_at"], record["exit_code"]) == (None, 0)
    assert record["cycles"] == core_cycles(dataflow, ConvShape(cin, cout, height, width), 8, 8)
    pass_lines = [line for line in (tmp_path / "tb.log").read_text().splitlines() if line.startswith("core_tb PASS")]
    assert pass_lines == [f"core_tb PASS: {dataflow}, {height * width} lines x {cout} fields of out.txt match, "
                          f"cycles {record['cycles']}"]


@pytest.mark.parametrize("dataflow", ["ws", "os"])
def test_a_planted_mismatch_names_line_field_expected_and_got(vector_sets, build_root, tmp_path, simulator, dataflow):
    vectors = tmp_path / "vectors"
    shutil.copytree(vector_sets / "layer27" / dataflow, vectors)
    original = read_vectors(vectors / "out.txt", 16, True)
    flip_bit(vectors / "out.txt", 7, 5, 16)  # file line 7 = output pixel 3, field 5 = channel 5
    planted = read_vectors(vectors / "out.txt", 16, True)[3, 5]
    assert planted != original[3, 5]
    record = run(simulator, vectors, build_root, tmp_path)
    assert not record["passed"]
    assert (record["failed_at"], record["exit_code"]) == ("run", 1)
    assert record["reason"] == (
        f"bench core_tb ({simulator}) exited with status 1, expected 0 and printed no line matching the pass "
        f"pattern '^core_tb PASS:'; first failure line: core_tb FAIL: out.txt line 7 (output pixel 3) field 5 "
        f"(channel 5): expected {planted}, got {original[3, 5]}")
    assert "core_tb FAIL: 1 of 128 values of out.txt differ" in (tmp_path / "tb.log").read_text()


@pytest.mark.parametrize("dataflow, missing", [("ws", "weight_kij3.txt"), ("os", "activation_os_ic5_pxt1.txt")])
def test_a_missing_vector_file_is_named(vector_sets, build_root, tmp_path, dataflow, missing):
    vectors = tmp_path / "vectors"
    shutil.copytree(vector_sets / "layer27" / dataflow, vectors)
    (vectors / missing).unlink()
    record = run("icarus", vectors, build_root, tmp_path)
    assert (record["passed"], record["failed_at"]) == (False, "vector files")
    assert record["reason"] == f"{vectors}: 1 vector file(s) listed in manifest.json missing: {missing}"
    # core_tb itself, run without the runner's check, names the file it cannot open.
    with open(tmp_path / "direct.log", "w") as log:
        bench = compile_bench(core_tb_bench("icarus", DEFAULT_CORE), build_root, log)
        outcome = run_bench(bench, vectors, log, TIME_LIMIT_S, [f"+dataflow={dataflow}"])
    assert (outcome["passed"], outcome["exit_code"]) == (False, 1)
    assert outcome["reason"].endswith(f"first failure line: core_tb FAIL: cannot open {missing} (run core_tb in the "
                                      f"layer's vector folder)")


def test_signed_activation_files_are_sign_extended_into_the_lanes(build_root, tmp_path):
    """Layer 0's activations are signed: 4-bit two's complement fields, -8..7, in 8-bit lanes."""
    export(tmp_path / "signed", 5, 3, 8, 4, 4, False, act_low=-8, act_high=7, act_signed=True)
    for dataflow in ("ws", "os"):
        record = run("icarus", tmp_path / "signed" / dataflow, build_root, tmp_path / dataflow)
        assert record["passed"], record["reason"]


def test_a_value_that_does_not_fit_the_core_is_named_not_wrapped(build_root, tmp_path):
    """8-bit unsigned activation fields on the 8-bit signed core: 200 has no lane value."""
    act, weight = random_layer(np.random.default_rng(9), 8, 8, 4, 4, 0, 100)
    act[3, 1, 2] = 200  # channel 3 at (1, 2): padded position (1+1)*6 + 2+1 = 15, file line 19, field 3
    export_layer(tmp_path / "ws", "ws", act, weight, True, {**SEED_FILES, "act_bits": 8}, layer=27)
    record = run("icarus", tmp_path / "ws", build_root, tmp_path)
    assert (record["passed"], record["exit_code"]) == (False, 1)
    assert record["reason"].endswith("first failure line: core_tb FAIL: activation.txt line 19 field 3: 200 does not "
                                     "fit the core's 8-bit signed lanes")


def test_files_of_another_array_are_refused(build_root, tmp_path):
    act, weight = random_layer(np.random.default_rng(4), 4, 4, 2, 2)
    export_layer(tmp_path / "os", "os", act, weight, True, {**SEED_FILES, "rows": 4, "cols": 4}, layer=27)
    record = run("icarus", tmp_path / "os", build_root, tmp_path)
    assert not record["passed"]
    assert record["reason"].endswith("first failure line: core_tb FAIL: the vector files are tiled for a 4x4 array, "
                                     "the core is 8x8 (parameters ROWS, COLS)")
