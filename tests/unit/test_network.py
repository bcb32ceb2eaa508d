"""Whole-network inference pieces: shards, the software backend, the core-vs-integer comparison and its
message, the float-vs-integer level check, widths, and bad input caught before any backend runs."""
import json

import numpy as np
import pytest
import torch
from support import INTEGERIZE, MEAN, QUANT, STD, random_layer

from qaccel.export.capture import capture_batch
from qaccel.export.requant import RequantWidths
from qaccel.export.tiling import tile_ws
from qaccel.model.layers import CONV_LAYERS
from qaccel.model.vgg import VGGQuant
from qaccel.network.backends import (
    ConvResult,
    IntegerConvBackend,
    SoftwareBackend,
    conv_backend,
)
from qaccel.network.checks import CoreMismatch, LevelMismatch, first_level_difference
from qaccel.network.images import ImageRangeError, shard_ranges
from qaccel.network.integer_only import IntegerOnlyNetwork, RequantMismatch
from qaccel.network.merge import explain, merge_shards, report_tables, write_predictions
from qaccel.network.paths import IntegerNetwork
from qaccel.network.shard import run_shard
from qaccel.network.widths import (
    LayerRange,
    WidthError,
    check_core_widths,
    layer_ranges,
    signed_bits,
    unsigned_bits,
)

HARDWARE = {"rows": 8, "cols": 8, "act_bits": 8, "act_signed": True, "psum_bits": 32, "dram_latency": 100,
            "dram_bytes_per_cycle": 16}
WIDTHS = RequantWidths(mult_bits=24, feature_bits=16, feature_frac_bits=8)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return VGGQuant(**QUANT).eval()


@pytest.fixture(scope="module")
def test_split():
    rng = np.random.default_rng(1)
    return {"test_images": rng.integers(0, 256, (20, 32, 32, 3), dtype=np.uint8),
            "test_labels": rng.integers(0, 10, 20).astype(np.int64)}


class PlantedFault:
    """The exact sums with one value off by one: a core with a fault at a known place."""

    def __init__(self, layer, channel, y, x):
        self.layer, self.channel, self.y, self.x = layer, channel, y, x

    def convolve(self, layer, act_int, weight_int, act_signed):
        result = IntegerConvBackend().convolve(layer, act_int, weight_int, act_signed)
        if layer == self.layer:
            result.outputs[0, self.channel, self.y, self.x] += 1
        return result


class MustNotRun:
    """A backend for checks that must fail before any simulation."""

    def convolve(self, *args):
        raise AssertionError("the backend ran before the bad input was reported")


def shard(model, test_split, first, last, backend, dataflow="ws", hardware=HARDWARE):
    return run_shard(model, test_split, "test.npz", first, last, backend, "test", dataflow, hardware, MEAN, STD,
                     INTEGERIZE["integer_tolerance"], WIDTHS, log=lambda message: None)


@pytest.mark.parametrize("first,count,size,expected", [
    (0, 8, 4, [(0, 3), (4, 7)]),
    (3, 10, 4, [(3, 3), (4, 7), (8, 11), (12, 12)]),
    (5, 1, 4, [(5, 5)]),
    (0, 3, 10, [(0, 2)]),
])
def test_shards_start_at_multiples_of_the_shard_size(first, count, size, expected):
    assert shard_ranges(first, count, size) == expected


def test_a_longer_range_keeps_the_names_of_the_shards_it_does_not_touch():
    before, after = shard_ranges(3, 10, 4), shard_ranges(3, 14, 4)
    assert before[:-1] == after[:3] and before[-1] == (12, 12) and after[3:] == [(12, 15), (16, 16)]


def test_the_software_backend_is_exact_on_signed_wide_inputs():
    act, weight = random_layer(5, 11, 6, 7, seed=3, weight_min=-8)
    act = act.astype(np.int64) * 9 - 60  # signed, beyond 4 bits, as layer 0's inputs can be
    batch = np.stack([act, -act])
    result = IntegerConvBackend().convolve(0, batch, weight.astype(np.int64), act_signed=True)
    assert result.outputs.dtype == np.int64 and result.cycles is None and result.model_cycles is None
    for n in range(2):
        expected = tile_ws(batch[n], weight, 8, 8, relu=False).output  # (H*W, Cout), an independent einsum
        np.testing.assert_array_equal(result.outputs[n].reshape(11, -1).T, expected)


def test_unknown_backend_names_the_config_key():
    with pytest.raises(ValueError, match="network.backend 'fpga': expected one of"):
        conv_backend("fpga", None, "ws", HARDWARE)


@pytest.mark.parametrize("dataflow,tile", [
    ("ws", "WS output-channel tile 1"),
    ("os", "OS pixel tile 8, output-channel tile 1"),  # pixel 2 * 32 + 5 = 69 -> 69 // 8
])
def test_a_core_fault_fails_naming_image_layer_tile_pixel_and_channel(model, test_split, dataflow, tile):
    with pytest.raises(CoreMismatch) as error:
        shard(model, test_split, 17, 17, PlantedFault(layer=3, channel=9, y=2, x=5), dataflow)
    message = str(error.value)
    prefix = f"image 17, layer 3, {tile}, pixel 69 (y 2, x 5), channel 9: core "
    assert message.startswith(prefix), message
    core, integer = (int(value) for value in message[len(prefix):].split(" (")[0].split(", integer path "))
    assert core - integer == 1
    assert message.endswith(f"(1 of {64 * 32 * 32} values differ in this layer)")


def test_a_core_result_of_the_wrong_shape_is_named(model, test_split):
    class Cropped:
        def convolve(self, layer, act_int, weight_int, act_signed):
            result = IntegerConvBackend().convolve(layer, act_int, weight_int, act_signed)
            return ConvResult(result.outputs[:, :8], [1], None, None)

    with pytest.raises(CoreMismatch, match=r"layer 0, images \[4\]: the core returned shape \(1, 8, 32, 32\), the "
                                           r"integer path has \(1, 64, 32, 32\)"):
        shard(model, test_split, 4, 4, Cropped())


def test_the_shard_reports_every_path_and_the_backend_cycles(model, test_split):
    calls = []

    class Counting:
        def convolve(self, layer, act_int, weight_int, act_signed):
            calls.append((layer, len(act_int)))
            result = IntegerConvBackend().convolve(layer, act_int, weight_int, act_signed)
            energy = [{"compute": layer + 0.5 * n, "sram": 1.0, "dram": 2.0, "total": layer + 0.5 * n + 3.0}
                      for n in range(len(act_int))]
            return ConvResult(result.outputs, [layer + 1000] * len(act_int), 2 * layer, layer, energy_uj=energy)

    results, timing = shard(model, test_split, 2, 3, Counting())
    assert [row["image"] for row in results["images"]] == [2, 3]
    assert [row["label"] for row in results["images"]] == test_split["test_labels"][2:4].tolist()
    layers = [3 * i for i in (0, 1)]  # the first two QuantConv2d layers: 0 and 3
    assert [layer["layer"] for layer in results["layers"]][:2] == layers
    for row in results["images"]:
        assert row["rtl"] == row["integer"]
        assert row["cycles"]["0"] == 1000 and row["cycles"]["39"] == 1039 and len(row["cycles"]) == 13
    # Each image's energy by layer, in the shard's image order.
    assert [row["energy_uj"]["39"]["compute"] for row in results["images"]] == [39.0, 39.5]
    assert results["images"][1]["energy_uj"]["3"] == {"compute": 3.5, "sram": 1.0, "dram": 2.0, "total": 6.5}
    assert results["layers"][-1]["model_cycles"] == 78 and results["layers"][-1]["ideal_cycles"] == 39
    assert timing["images"] == 2
    # One backend call per layer for the whole shard; no simulator behind this backend.
    assert calls == [(layer, 2) for layer in CONV_LAYERS] and timing["seconds"]["rtl_simulator"] == 0.0
    assert timing["seconds"]["rtl"] >= timing["seconds"]["rtl_backend"] > 0


class PlantedLevelFault(SoftwareBackend):
    """The software backend with one requantized level off by one: a read-out fault at a known place."""

    def requantize(self, layer, sums, constants):
        levels = super().requantize(layer, sums, constants)
        if layer == 7:
            levels[1, 3, 2, 5] += 1
        return levels


def test_the_software_backend_runs_the_integer_only_path_checked_layer_by_layer(model, test_split):
    results, _ = shard(model, test_split, 6, 7, conv_backend("software", None, "ws", HARDWARE))
    expected = IntegerOnlyNetwork(model, WIDTHS, 1e-3).run(capture_batch(test_split, 6, 2, MEAN, STD)[0])
    assert [(row["rtl"], row["integer_only"]) for row in results["images"]] == [(p, p) for p in expected.predictions]
    with pytest.raises(RequantMismatch, match=r"^image 7, layer 7, pixel 37 \(y 2, x 5\), channel 3: the backend "):
        shard(model, test_split, 6, 7, PlantedLevelFault())


def test_float_levels_may_differ_only_on_a_rounding_boundary():
    integer = {0: torch.tensor([[[3, 7]]]), 5: torch.tensor([[[1, 2]]])}
    integer_before = {0: torch.tensor([[[3.1, 6.9]]]), 5: torch.tensor([[[1.2, 2.5000001]]])}
    float_same = {0: integer[0].clone(), 5: torch.tensor([[[1, 3]]])}
    float_before = {0: torch.tensor([[[3.1, 6.9]]]), 5: torch.tensor([[[1.2, 2.4999999]]])}
    difference = first_level_difference(float_same, float_before, integer, integer_before, 12, 1e-3)
    assert (difference.layer, difference.channel, difference.y, difference.x) == (5, 0, 0, 1)
    assert (difference.float_level, difference.integer_level, difference.values_differing) == (3, 2, 1)
    assert difference.boundary_distance < 1e-6
    assert first_level_difference(integer, integer_before, integer, integer_before, 12, 1e-3) is None

    float_far = {0: torch.tensor([[[4, 7]]]), 5: integer[5]}
    with pytest.raises(LevelMismatch, match=r"image 12: layer 0: 1 value\(s\) differ; the furthest from a rounding "
                                            r"boundary, channel 0 \(y 0, x 0\): float level 4, integer 3, before "
                                            r"rounding 3.100000 and 3.100000, 4.0e-01 from the boundary"):
        first_level_difference(float_far, integer_before, integer, integer_before, 12, 1e-3)


@pytest.mark.parametrize("low,high,bits", [(0, 0, 1), (-1, 0, 1), (-4, 3, 3), (-4, 4, 4), (-5, 3, 4), (0, 15, 5),
                                           (-32768, 32767, 16), (-32767, 32768, 17)])
def test_signed_bits(low, high, bits):
    assert signed_bits(low, high) == bits


@pytest.mark.parametrize("high,bits", [(0, 1), (1, 1), (15, 4), (16, 5)])
def test_unsigned_bits(high, bits):
    assert unsigned_bits(high) == bits


def test_the_partial_sum_bound_is_the_largest_sum_of_absolute_products(model, test_split):
    images = torch.from_numpy(test_split["test_images"][:2]).permute(0, 3, 1, 2).float() / 255
    path = IntegerNetwork(model, INTEGERIZE["integer_tolerance"]).run((images - 0.5) / 0.25, IntegerConvBackend())
    ranges = layer_ranges(path)
    for conv, r in zip(path.convs[:2], ranges[:2]):
        act, weight = conv.act_int.numpy(), conv.weight_int.numpy()
        bound = max(tile_ws(np.abs(act[n]), np.abs(weight), 8, 8, relu=False).output.max() for n in range(2))
        assert r.psum_bound == bound
        assert (r.act_min, r.act_max) == (act.min(), act.max())
    assert ranges[0].act_signed and ranges[0].act_min < 0 and not any(r.act_signed for r in ranges[1:])


def test_widths_name_every_layer_that_does_not_fit_and_the_width_it_needs():
    ranges = [LayerRange(0, 3, 64, 32, 32, True, -20, 9, 300), LayerRange(3, 64, 64, 32, 32, False, 0, 15, 40000)]
    check_core_widths(ranges, psum_bits=17, act_bits=6, signed_activations=True)
    with pytest.raises(WidthError) as error:
        check_core_widths(ranges, psum_bits=16, act_bits=4, signed_activations=False)
    assert str(error.value).splitlines() == [
        "the core is too narrow for these images:",
        "  layer 0: activations are signed, in [-20, 9] (6-bit two's complement); the core's lanes are unsigned "
        "(hardware.act_signed: false)",
        "  layer 3: partial sums can reach +-40000, which needs 17-bit two's complement; the core has hardware.psum_bits = 16",
    ]
    with pytest.raises(WidthError, match=r"layer 0: activations in \[-20, 9\] need 6-bit signed lanes; the core has "
                                         r"hardware.act_bits = 5"):
        check_core_widths(ranges, psum_bits=17, act_bits=5, signed_activations=True)
    # Signed lanes take an unsigned value with one bit more than the value's own width.
    with pytest.raises(WidthError, match=r"layer 3: activations in \[0, 15\] need 5-bit signed lanes; the core has "
                                         r"hardware.act_bits = 4"):
        check_core_widths(ranges[1:], psum_bits=17, act_bits=4, signed_activations=True)


def test_a_narrow_core_is_refused_before_the_backend_runs(model, test_split):
    with pytest.raises(WidthError, match=r"layer \d+: partial sums can reach \+-\d+, which needs \d+-bit two's "
                                         r"complement; the core has hardware.psum_bits = 6"):
        shard(model, test_split, 0, 1, MustNotRun(), hardware={**HARDWARE, "psum_bits": 6})


def test_an_image_range_beyond_the_test_split_is_refused_before_the_backend_runs(model, test_split):
    with pytest.raises(ImageRangeError, match=r"network images 18-21: the test split of test.npz has 20 images "
                                              r"\(0-19\); network.first \+ network.count must not exceed 20"):
        shard(model, test_split, 18, 21, MustNotRun())


def shard_file(tmp_path, first, rows, cycles):
    layers = [{**LayerRange(0, 3, 64, 32, 32, True, -4 - first, 4, 300 + first).as_dict(),
               "model_cycles": 100 if cycles else None, "ideal_cycles": 50 if cycles else None,
               "dma_stall_cycles": 7 if cycles else None, "dram_bytes": 1000.0 if cycles else None},
              {**LayerRange(3, 64, 64, 32, 32, False, 0, 15, 2000).as_dict(),
               "model_cycles": 200 if cycles else None, "ideal_cycles": 150 if cycles else None,
               "dma_stall_cycles": 0 if cycles else None, "dram_bytes": 3000.0 if cycles else None}]
    last = first + len(rows) - 1
    results = {"dataflow": "os", "backend": "test", "first": first, "last": last, "images": rows, "layers": layers}
    timing = {"dataflow": "os", "first": first, "last": last, "images": len(rows),
              "seconds": {"integer": 1.0, "integer_only": 1.0, "widths": 0.5, "float": 2.0, "rtl": 4.0, "rtl_backend": 3.0,
                          "rtl_simulator": 2.0, "rtl_host": 1.0}}
    paths = tmp_path / f"images{first}-{last}.json", tmp_path / f"images{first}-{last}.timing.json"
    for path, value in zip(paths, (results, timing)):
        path.write_text(json.dumps(value))
    return paths


def row(image, label, rtl, integer, float_class, cycles=None, difference=None, gap=0.0, integer_only=None):
    """A shard's row; with ``cycles``, an energy per layer made from them (compute = cycles / 100 µJ,
    SRAM 1, DRAM 2)."""
    energy = {layer: {"compute": value / 100, "sram": 1.0, "dram": 2.0, "total": value / 100 + 3.0}
              for layer, value in (cycles or {}).items()}
    return {"image": image, "label": label, "rtl": rtl, "integer": integer, "float": float_class,
            "integer_only": integer if integer_only is None else integer_only,
            "cycles": cycles or {}, "energy_uj": energy, "level_difference": difference, "float_logit_gap": gap}


def test_shards_merge_into_predictions_summary_and_report_tables(tmp_path):
    flip = {"layer": 3, "channel": 5, "y": 1, "x": 2, "float_level": 9, "integer_level": 8,
            "float_before_rounding": 8.5000009, "integer_before_rounding": 8.5, "values_differing": 1,
            "boundary_distance": 9e-7}
    second = shard_file(tmp_path, 4, [row(4, 1, 1, 1, 2, {"0": 120, "3": 230}, flip, 0.25, integer_only=2),
                                      row(5, 2, 2, 2, 2, {"0": 120, "3": 231})], cycles=True)
    first = shard_file(tmp_path, 3, [row(3, 7, 7, 7, 7, {"0": 121, "3": 229})], cycles=True)
    summary, timing = merge_shards([second[0], first[0]], [second[1], first[1]])
    assert summary["images"] == {"first": 3, "last": 5, "count": 3}
    assert summary["correct"] == {"rtl": 3, "integer": 3, "float": 2, "integer_only": 2}
    assert summary["agreement"] == {"rtl_integer": 3, "rtl_float": 2, "integer_float": 2, "integer_only_float": 3,
                                    "integer_only_integer": 2}
    assert summary["cycles_per_image"] == {"core": 120 + 1 / 3 + 230, "model": 300, "ideal": 200, "dma_stalls": 7}
    assert summary["dram_bytes_per_image"] == 4000.0
    layer0_compute, layer3_compute = (120 + 121 + 120) / 300, (230 + 231 + 229) / 300
    assert summary["energy_uj_per_image"] == pytest.approx(
        {"compute": layer0_compute + layer3_compute, "sram": 2.0, "dram": 4.0,
         "total": layer0_compute + layer3_compute + 6.0}, rel=1e-12)
    assert [(layer["act_min"], layer["psum_bound"]) for layer in summary["layers"]] == [(-8, 304), (0, 2000)]
    assert timing["seconds"]["rtl_backend"] == 6.0 and timing["backend_share"] == 6.0 / 17.0
    assert timing["simulator_share"] == 4.0 / 17.0
    assert explain(summary["float_disagreements"][0]) == (
        "image 4: float 2, integer 1 (float logits 0.25 apart): first at layer 3: 1 value(s) differ; the furthest "
        "from a rounding boundary, channel 5 (y 1, x 2): float level 9, integer 8, before rounding 8.500001 and "
        "8.500000, 9.0e-07 from the boundary")
    write_predictions(summary, tmp_path / "predictions.tsv")
    assert (tmp_path / "predictions.tsv").read_text().splitlines() == [
        "image\tlabel\trtl\tinteger\tfloat\tinteger_only\tcycles\tlayer0_cycles\tlayer3_cycles\tfirst_level_difference",
        "3\t7\t7\t7\t7\t7\t350\t121\t229\t",
        "4\t1\t1\t1\t2\t2\t350\t120\t230\tlayer 3: 1 value(s) differ; the furthest from a rounding boundary, channel 5 "
        "(y 1, x 2): float level 9, integer 8, before rounding 8.500001 and 8.500000, 9.0e-07 from the boundary",
        "5\t2\t2\t2\t2\t2\t351\t120\t231\t",
    ]
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    report_tables([tmp_path / "summary.json"], tmp_path / "accuracy.tsv", tmp_path / "layers.tsv")
    assert (tmp_path / "accuracy.tsv").read_text().splitlines()[1] == (
        f"os\ttest\t3\t100.0\t100.0\t66.6667\t2\t1\t{120 + 1 / 3 + 230}\t300\t200\t66.6667\t3\t"
        f"{summary['energy_uj_per_image']['total']}")
    layer0, layer3 = summary["layers"]
    assert (tmp_path / "layers.tsv").read_text().splitlines()[1:] == [
        f"os\t0\t3\t64\t32\t32\tTrue\t-8\t4\t4\t304\t10\t{120 + 1 / 3}\t100\t50\t7\t1000.0\t"
        f"{layer0['energy_compute_uj']}\t1.0\t2.0\t{layer0['energy_total_uj']}",
        f"os\t3\t64\t64\t32\t32\tFalse\t0\t15\t4\t2000\t12\t230.0\t200\t150\t0\t3000.0\t"
        f"{layer3['energy_compute_uj']}\t1.0\t2.0\t{layer3['energy_total_uj']}",
    ]
    assert (layer0["energy_compute_uj"], layer3["energy_total_uj"]) == pytest.approx(
        (layer0_compute, layer3_compute + 3))


def test_shards_with_a_gap_are_not_merged(tmp_path):
    first = shard_file(tmp_path, 0, [row(0, 1, 1, 1, 1)], cycles=False)
    third = shard_file(tmp_path, 2, [row(2, 1, 1, 1, 1)], cycles=False)
    with pytest.raises(ValueError, match="shards images0-0 and images2-2 are not consecutive"):
        merge_shards([first[0], third[0]], [first[1], third[1]])
