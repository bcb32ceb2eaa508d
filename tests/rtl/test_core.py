"""The whole core on layers: layer-27-shaped and random multi-tile layers (more than 8 input and
output channels, several pixel tiles) in both dataflows and on both simulators, the real
pipeline's layer 27, planted faults in the vector files, and the core-level benches."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from qaccel.rtl.runner import simulate_layer
from rtl_helpers import SHARED_ADDR_BITS, random_layer, run_unit

LAYERS = {
    # name: (in channels, out channels, height, width, relu)
    "layer27_shaped": (8, 8, 4, 4, True),
    "multi_tile": (12, 10, 3, 5, False),
    "multi_tile_relu": (9, 17, 2, 3, True),
}


@pytest.fixture(scope="module")
def layer_dirs(tmp_path_factory) -> dict:
    rng = np.random.default_rng(27)
    root = tmp_path_factory.mktemp("layers")
    return {name: random_layer(root / name, rng, *spec, layer=27 if name == "layer27_shaped" else None)
            for name, spec in LAYERS.items()}


def simulate(layer_dir, simulator, build_root):
    return simulate_layer(layer_dir, simulator, build_root / f"core-{simulator}", addr_bits=SHARED_ADDR_BITS)


def assert_passed(result: dict) -> None:
    assert result["passed"], result["first_mismatch"] or result["error"]
    assert result["values_checked"] > 0 and result["mismatches"] == 0
    # The RTL adds fetch, latency and drain cycles to the model; it can never beat it.
    assert result["array_cycles"] >= result["model"]["cycles"]


@pytest.mark.parametrize("dataflow", ["ws", "os"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_random_layer(layer_dirs, build_root, simulator, name, dataflow):
    assert_passed(simulate(layer_dirs[name] / dataflow, simulator, build_root))


@pytest.mark.slow
@pytest.mark.parametrize("dataflow", ["ws", "os"])
def test_layer27_from_pipeline(layer27_vectors, build_root, simulator, dataflow):
    assert_passed(simulate(layer27_vectors / dataflow, simulator, build_root))


def flip_bit(path, line: int, field: int, bits: int) -> None:
    """Flip the least significant bit of ``field`` (0 = rightmost) on 1-based ``line``."""
    lines = path.read_text().split("\n")
    text = lines[line - 1]
    position = len(text) - field * bits - 1
    lines[line - 1] = text[:position] + ("1" if text[position] == "0" else "0") + text[position + 1 :]
    path.write_text("\n".join(lines))


@pytest.mark.parametrize("dataflow, file, line, field", [("ws", "psum_kij4_ict1_oct0.txt", 10, 3),
                                                         ("os", "out.txt", 7, 9)])
def test_planted_fault_is_located(layer_dirs, build_root, tmp_path, dataflow, file, line, field):
    vectors = tmp_path / dataflow
    shutil.copytree(layer_dirs["multi_tile"] / dataflow, vectors)
    original = (vectors / file).read_text().split("\n")[line - 1]
    flip_bit(vectors / file, line, field, 16)
    result = simulate(vectors, "icarus", build_root)
    mismatch = result["first_mismatch"]
    assert not result["passed"] and result["mismatches"] == 1
    assert (mismatch["file"], mismatch["line"], mismatch["field"]) == (str(vectors / file), line, field)
    got_bits = original[len(original) - (field + 1) * 16 : len(original) - field * 16]
    assert mismatch["got"] == int(got_bits, 2) - (1 << 16) * (got_bits[0] == "1")
    assert mismatch["expected"] ^ mismatch["got"] in (1, -1) or abs(mismatch["expected"] - mismatch["got"]) == 1


@pytest.mark.parametrize("testcase", ["host_port_round_trip", "unloaded_activation_word_is_caught_as_x",
                                      "illegal_opcode_stops_with_flag"])
def test_core_bench(layer_dirs, build_root, simulator, testcase):
    if testcase == "unloaded_activation_word_is_caught_as_x" and simulator != "icarus":
        pytest.skip("Verilator is two-state: an unwritten word reads as 0, not X")
    # One simulation per testcase: memories written by one test would hide another's X.
    run_unit(build_root, simulator, "core", "bench_core", {"ADDR_BITS": SHARED_ADDR_BITS}, testcase=testcase,
             extra_env={"QACCEL_MANIFEST_DIR": str(layer_dirs["multi_tile"] / "ws"),
                        "QACCEL_ADDR_BITS": str(SHARED_ADDR_BITS)})
