"""Whole-network inference on the tiny trained model: the integer path against the float model's own
quantised activations, the workflow's outputs (the core running the integer-only path), sharding,
rerun job lists and bad input."""
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from support import MEAN, REPO, STD, config_args, overlay, planned_jobs, run_snakemake

from qaccel import data
from qaccel.export.capture import capture_batch, capture_conv_inputs
from qaccel.model.checkpoint import load_model
from qaccel.model.layers import CONV_LAYERS
from qaccel.export.requant import RequantWidths
from qaccel.network.backends import IntegerConvBackend
from qaccel.network.integer_only import IntegerOnlyNetwork
from qaccel.network.paths import IntegerNetwork
from qaccel.rtl.build import network_parameters
from qaccel.rtl.cycles import chain_cycles, core_cycles
from qaccel.rtl.limits import core_shape
from qaccel.rtl.program import ConvShape
from qaccel.workflow.config import load_config_files

pytestmark = pytest.mark.slow

WIDTHS = RequantWidths(mult_bits=24, feature_bits=16, feature_frac_bits=8)  # the requant defaults
RESULTS = ["results/network/ws/predictions.tsv", "results/network/os/predictions.tsv",
           "results/network/ws/summary.json", "results/network/os/summary.json",
           "results/network/accuracy.tsv", "results/network/layers.tsv"]


VGG16 = [ConvShape(c.in_channels, c.out_channels, c.height, c.width) for c in CONV_LAYERS.values()]


def formula_shares(dataflow: str) -> list[int]:
    """Each layer's cycles of the 8x8 core's program when no tile waits for the DMA (rtl/README.md: the
    RUN's, its tile switches and its ring DRAIN's, less the HALT's 3 but for the last layer's; the first
    LOAD's 2 in layer 0)."""
    return [core_cycles(dataflow, conv, 8, 8) + conv.pixels + 11 + 1 - 3 * (position < len(VGG16) - 1)
            + (-(-conv.out_channels // 8) - 1) * (9 if dataflow == "ws" else 10) + 2 * (position == 0)
            for position, conv in enumerate(VGG16)]


def reference_levels(x: np.ndarray, alpha: float, levels: int) -> tuple[np.ndarray, np.ndarray]:
    """FORMATS.md's activation quantizer in numpy, before and after rounding, in levels."""
    before = np.minimum(x / alpha, 1.0) * levels
    return before, np.round(before)


def test_the_integer_path_follows_the_float_model_layer_by_layer(tiny_workflow):
    model = load_model(tiny_workflow / "results/train/model.pt").eval()
    test = data.load(tiny_workflow / "resources/cifar10.npz", keys=("test_images", "test_labels"))
    picked = list(range(0, 10000, 625))  # the offline archive's test split is ordered by class
    images = torch.cat([capture_batch(test, index, 1, MEAN, STD)[0] for index in picked])
    logits, inputs = capture_conv_inputs(model, images)
    integer = IntegerNetwork(model, 1e-3).run(images, IntegerConvBackend())

    compared, explained = 0, []
    values_per_image = sum(conv.act_int[0].numel() for conv in integer.convs)
    for n in range(len(picked)):
        for conv in integer.convs:
            module = model.features[conv.layer]
            before, expected = reference_levels(inputs[conv.layer][n].double().numpy(), float(module.act_alpha.detach()),
                                                2**module.a_bits - 1)
            got = conv.act_int[n].numpy()
            compared += got.size
            differ = got != expected
            if differ.any():
                # The first layer where the paths part: only on a rounding boundary, where float error decides.
                boundary = (got[differ] + expected[differ]) / 2
                assert np.abs(before[differ] - boundary).max() < 1e-3, (picked[n], conv.layer)
                explained.append(picked[n])
                break  # later layers of this image see different inputs
        else:
            assert integer.predictions[n] == int(logits[n].argmax()), picked[n]
    assert compared >= (len(picked) - len(explained)) * values_per_image
    assert integer.convs[0].act_int.min() < 0 and integer.convs[0].act_signed
    assert len(explained) < len(picked) / 2, explained


def test_the_workflow_writes_every_path_per_image(tiny_workflow):
    model = load_model(tiny_workflow / "results/train/model.pt").eval()
    test = data.load(tiny_workflow / "resources/cifar10.npz", keys=("test_images", "test_labels"))
    header = ("image\tlabel\trtl\tinteger\tfloat\tinteger_only\tcycles\t" + "".join(
        f"layer{layer}_cycles\t" for layer in CONV_LAYERS)
        + "first_level_difference")
    layer_table = [line.split("\t") for line in
                   (tiny_workflow / "results/network/layers.tsv").read_text().splitlines()]
    stall_column = layer_table[0].index("dma_stall_cycles")
    stalls = {dataflow: [int(line[stall_column]) for line in layer_table[1:] if line[0] == dataflow]
              for dataflow in ("ws", "os")}
    for dataflow in ("ws", "os"):
        lines = (tiny_workflow / f"results/network/{dataflow}/predictions.tsv").read_text().splitlines()
        assert lines[0] == header
        rows = [line.split("\t") for line in lines[1:]]
        assert [int(row[0]) for row in rows] == [0, 1]
        for row in rows:
            image, label, rtl, integer, float_class, integer_only = (int(value) for value in row[:6])
            images = capture_batch(test, image, 1, MEAN, STD)[0]
            with torch.no_grad():
                expected_float = int(model(images).argmax())
            # The core runs the integer-only path (requantizing and pooling on its read-out).
            expected_integer_only = IntegerOnlyNetwork(model, WIDTHS, 1e-3).run(images).predictions[0]
            assert (label, float_class, rtl, integer_only) == (int(test["test_labels"][image]), expected_float,
                                                               expected_integer_only, expected_integer_only)
            # The network is one program per image; each layer's cycles, from the end of the DRAIN before to
            # the end of its own, are its timing formula's (rtl/README.md: the RUN's, its tile switches and
            # its ring DRAIN's, less the HALT's 3 but for the last layer's; the first LOAD's 2 in layer 0)
            # and the cycles its tiles waited for the DMA (layers.tsv, the same for every image).
            formula = formula_shares(dataflow)
            assert sum(formula) == chain_cycles([(dataflow, conv) for conv in VGG16], 8, 8)
            assert [int(value) for value in row[7:20]] == [f + stall for f, stall in zip(formula, stalls[dataflow])]
            assert int(row[6]) == sum(formula) + sum(stalls[dataflow])
            assert stalls[dataflow][0] > 100  # the first tile waits for the DRAM's latency
        summary = json.loads((tiny_workflow / f"results/network/{dataflow}/summary.json").read_text())
        for path, column in (("rtl", 2), ("integer", 3), ("float", 4), ("integer_only", 5)):
            assert summary["correct"][path] == sum(row[column] == row[1] for row in rows)
        assert summary["images"] == {"first": 0, "last": 1, "count": 2}
        assert len(summary["float_disagreements"]) == sum(row[3] != row[4] for row in rows)
    accuracy = (tiny_workflow / "results/network/accuracy.tsv").read_text().splitlines()
    assert [line.split("\t")[:3] for line in accuracy[1:]] == [["ws", "core", "2"], ["os", "core", "2"]]
    layers = (tiny_workflow / "results/network/layers.tsv").read_text().splitlines()
    assert len(layers) == 1 + 2 * 13 and layers[1].startswith("ws\t0\t3\t64\t32\t32\tTrue\t-")


def test_the_network_core_is_a_profile_guided_build(tiny_workflow):
    """sim.profile_guided (the default): the network's Verilator build was compiled instrumented, ran
    the training chain in both dataflows (its branch counts are in the .gcda files), and was compiled
    again with that profile; every network result above comes from that build."""
    config = load_config_files([REPO / "config.yaml"])
    build = tiny_workflow / "resources/sim_build" / f"verilator-{network_parameters(core_shape(config)).key()}"
    stored = json.loads((build / "build.json").read_text())
    assert stored["profile_training"] == ("ws: a chain of 3 convs on a 16x16 map; "
                                          "os: a chain of 3 convs on a 16x16 map")
    commands = [line for line in (build / "build.log").read_text().splitlines() if line.startswith("$ verilator")]
    assert len(commands) == 2
    assert "-fprofile-generate" in commands[0] and "-fprofile-use" in commands[1]
    profiles = sorted(path.name for path in (build / "obj").glob("*.gcda"))
    assert "Vlayer_bench___024root__0.gcda" in profiles and (build / "obj/Vlayer_bench___024root__0.gcda").stat().st_size
    assert not (build / "training").exists()


def table(path: Path) -> list[dict]:
    lines = [line.split("\t") for line in path.read_text().splitlines()]
    return [dict(zip(lines[0], line)) for line in lines[1:]]


def test_the_bandwidth_sweep_moves_every_tile_block_and_waits_only_where_the_dram_is_too_slow(tiny_workflow):
    """results/network/bandwidth.tsv: image 0 at 4 and 16 bytes per cycle (the tiny run's sweep)."""
    rows = table(tiny_workflow / "results/network/bandwidth.tsv")
    assert [(row["dataflow"], int(row["bytes_per_cycle"])) for row in rows[::13]] == [
        ("ws", 4), ("ws", 16), ("os", 4), ("os", 16)]
    assert [int(row["layer"]) for row in rows] == list(CONV_LAYERS) * 4
    # Every tile block from DRAM once, in 16-byte beats: per output-channel tile (8 channels) its 8
    # constant sets, one beat each, and its in_tiles x 9 taps x 8 rows weight words, 4 to a beat; and
    # what the host moves: the program (a LOAD, RUN and DRAIN per layer, a HALT; 32 bytes each), the
    # first map (1024 pixels, 8 one-byte lanes) and the last layer's levels (512 channels, 2 bytes each).
    block_beats = sum(-(-conv.out_channels // 8) * (8 + -(-(-(-conv.in_channels // 8) * 9 * 8) // 4))
                      for conv in VGG16)
    image_bytes = block_beats * 16 + (3 * len(VGG16) + 1) * 32 + 1024 * 8 + 512 * 2
    stalls_at_16 = {(line["dataflow"], int(line["layer"])): int(line["dma_stall_cycles"])
                    for line in table(tiny_workflow / "results/network/layers.tsv")}
    for dataflow in ("ws", "os"):
        for bandwidth in (4, 16):
            picked = [row for row in rows if (row["dataflow"], int(row["bytes_per_cycle"])) == (dataflow, bandwidth)]
            assert sum(float(row["dram_bytes"]) for row in picked) == image_bytes
            assert [int(row["compute_cycles"]) for row in picked] == formula_shares(dataflow)
            for row in picked:
                cycles, stalls = int(row["cycles"]), int(row["dma_stall_cycles"])
                assert cycles == int(row["compute_cycles"]) + stalls
                assert cycles >= float(row["dram_bytes"]) / bandwidth  # the DRAM keeps to its bandwidth
                if bandwidth == 16:  # the network's own runs: hardware.dram_bytes_per_cycle
                    assert stalls == stalls_at_16[(dataflow, int(row["layer"]))]
            stalls = [int(row["dma_stall_cycles"]) for row in picked]
            # Layers 3 to 27 compute each tile longer than its block takes at 4 bytes per cycle; the
            # 512-channel layers 33 to 39 (2.4 M weights each) need about 4 bytes per MAC cycle and wait.
            assert stalls[1:9] == [0] * 8
            assert all(stall > 0 for stall in stalls[10:]) == (bandwidth == 4)


def test_sharding_gives_the_same_results_byte_for_byte(copy_of_tiny_workflow, tiny_workflow):
    workdir = copy_of_tiny_workflow
    one_job = overlay(workdir, "one_job", {"network": {"shard": 2}})
    result = run_snakemake(workdir, *config_args(workdir / "tiny.yaml", one_job), "--cores", "2",
                           "--workflow-profile", "none", *RESULTS)
    assert "images0-1.json" in result.stdout
    for name in RESULTS:
        assert (workdir / name).read_bytes() == (tiny_workflow / name).read_bytes(), name


# The jobs figure shows every shard job's benchmark; the bandwidth sweep runs image network.first.
NETWORK_AFTER_SHARDS = {"network_merge": 2, "network_report": 1, "network_figure": 1, "jobs_figure": 1}
SWEEP = {"network_bandwidth": 1, "memory_bound_figure": 1}


@pytest.mark.parametrize("network,expected", [
    ({"count": 3}, {"network_shard": 2, **NETWORK_AFTER_SHARDS}),  # image 2 in both dataflows
    ({"first": 1, "count": 1}, {**NETWORK_AFTER_SHARDS, **SWEEP}),  # images1-1 exists
    ({"first": 1, "count": 3, "shard": 2}, {"network_shard": 2, **NETWORK_AFTER_SHARDS, **SWEEP}),  # 1-1 kept, 2-3 new
])
def test_a_changed_image_range_reruns_only_the_shards_it_touches(tiny_workflow, tmp_path, network, expected):
    jobs = planned_jobs(tiny_workflow, overlay(tmp_path, "range", {"network": network}))
    jobs.pop("all", None)
    assert jobs == expected


def test_a_core_too_narrow_for_a_layer_fails_naming_it_and_loses_nothing(copy_of_tiny_workflow, tiny_workflow):
    """4-bit unsigned lanes take the 4-bit activations of every layer but the first (checked while
    parsing); layer 0's are signed, with a range that follows from the images: the shard job names
    the layer, its range and width before any simulation."""
    workdir = copy_of_tiny_workflow
    before = (workdir / "results/network/ws/predictions.tsv").read_bytes()
    narrow = overlay(workdir, "narrow", {"hardware": {"act_bits": 4, "act_signed": False},
                                             "sim": {"simulator": "icarus"}})  # a build in no time
    result = run_snakemake(workdir, *config_args(workdir / "tiny.yaml", narrow), "--cores", "1",
                           "--workflow-profile", "none", "results/network/ws/shards/images0-0.json", check=False)
    assert result.returncode != 0
    test = data.load(tiny_workflow / "resources/cifar10.npz", keys=("test_images", "test_labels"))
    model = load_model(tiny_workflow / "results/train/model.pt")
    path = IntegerNetwork(model, 1e-3).run(capture_batch(test, 0, 1, MEAN, STD)[0], IntegerConvBackend())
    act = path.convs[0].act_int[0].numpy()
    low, high = int(act.min()), int(act.max())
    bits = max((-low - 1).bit_length(), high.bit_length()) + 1  # two's complement
    assert low < 0
    assert (f"layer 0: activations are signed, in [{low}, {high}] ({bits}-bit two's complement); the core's lanes "
            f"are unsigned (hardware.act_signed: false)" in result.stdout), result.stdout[-3000:]
    assert "layer 3:" not in result.stdout.split("too narrow")[-1]
    assert "equal to the integer-only path" not in result.stdout  # no layer reached the core
    assert (workdir / "results/network/ws/predictions.tsv").read_bytes() == before
    assert not (workdir / "results/network/ws/shards/images0-0.json").exists()


def test_the_report_shows_accuracy_and_cycles(tiny_workflow, tmp_path):
    run_snakemake(tiny_workflow, *config_args(tiny_workflow / "tiny.yaml"), "--workflow-profile", "none",
                  "--report", str(tmp_path / "report.zip"))
    with zipfile.ZipFile(tmp_path / "report.zip") as report:
        tables = {Path(name).name: report.read(name) for name in report.namelist() if name.endswith(".tsv")}
    for name in ("accuracy.tsv", "layers.tsv", "bandwidth.tsv"):
        assert tables[name] == (tiny_workflow / "results/network" / name).read_bytes()
