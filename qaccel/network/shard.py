"""One shard of whole-network inference: a run of consecutive test images through all three paths
(shards: qaccel.network.images).

Order of work, cheapest first, so that bad input fails before any simulation:
1. the image range against the test split;
2. the integer path and the integer-only path over the whole shard (software, vectorised over the batch);
3. the value ranges against the core's widths;
4. the float model, image by image, its quantised levels against the integer path's;
5. the backend's path, the shard's images together: for a backend that requantizes (software, the core),
   the integer-only path, each layer's levels against the library's; for one that returns sums (a plain
   conv backend), the integer path, each layer's sums against the integer path's.
"""
from __future__ import annotations

import time
from typing import Callable

from qaccel.export.capture import capture_batch
from qaccel.export.requant import RequantWidths
from qaccel.model.layers import CONV_LAYERS
from qaccel.model.vgg import VGGQuant

from .backends import IntegerConvBackend
from .checks import CoreMismatch, check_core_outputs, first_level_difference
from .images import check_image_range
from .integer_only import (
    IntegerOnlyNetwork,
    IntegerOnlyResult,
    RequantMismatch,
    check_requantized,
)
from .paths import ConvTrace, IntegerNetwork, PathResult, float_levels
from .widths import check_core_widths, layer_ranges


def _float_pass(model: VGGQuant, images, indices: list[int], integer: PathResult, integer_tolerance: float):
    """The float model image by image: its classes, where its levels first differ from the integer path's
    (None where nowhere), and how far apart its logits put its class and the integer path's."""
    predictions, differences, logit_gaps = [], [], []
    for position, image in enumerate(indices):
        levels = float_levels(model, images[position], integer_tolerance)
        differences.append(first_level_difference(
            levels.levels, levels.before_rounding, {c.layer: c.act_int[position] for c in integer.convs},
            {c.layer: c.before_rounding[position] for c in integer.convs}, image, integer_tolerance))
        predictions.append(int(levels.logits.argmax()))
        logit_gaps.append(float(levels.logits[predictions[-1]] - levels.logits[integer.predictions[position]]))
    return predictions, differences, logit_gaps


def _backend_figures(results: dict, images: int) -> tuple[list[dict], list[dict], dict]:
    """From each layer's ConvResult (``results``, by layer): per image the core cycles and the energy by
    layer (keys as strings, JSON's); per layer the model's and the ideal cycles. A software backend's
    results have none: its images get empty dicts."""
    cycles = [{str(layer): int(result.cycles[position]) for layer, result in results.items()
               if result.cycles is not None} for position in range(images)]
    energy = [{str(layer): result.energy_uj[position] for layer, result in results.items()
               if result.energy_uj is not None} for position in range(images)]
    layer_cycles = {layer: {"model_cycles": result.model_cycles, "ideal_cycles": result.ideal_cycles,
                            "dma_stall_cycles": result.dma_stall_cycles, "dram_bytes": result.dram_bytes}
                    for layer, result in results.items()}
    return cycles, energy, layer_cycles


def _rtl_pass(network: IntegerNetwork, images, indices: list[int], integer: PathResult, backend, dataflow: str,
              hardware: dict, log: Callable[[str], None]):
    """The integer path on ``backend`` for the whole shard at once (one backend call per layer, so the
    core loads a layer's program and weights once for all the shard's images), every layer's sums
    checked against ``integer`` as they come: per image the class, the core cycles and the energy (µJ by
    part, qaccel.hw.energy) by layer; per layer the model's and the ideal cycles; the seconds in all, in
    the backend and in its simulator."""
    expected = {conv.layer: conv.result.outputs for conv in integer.convs}
    macs = {layer.index: layer.in_channels * layer.out_channels * layer.height * layer.width
            for layer in CONV_LAYERS.values()}
    started, macs_done = time.perf_counter(), 0

    def check(trace: ConvTrace) -> None:
        nonlocal macs_done
        check_core_outputs(expected[trace.layer], trace.result.outputs, trace.layer, indices, dataflow,
                           hardware["rows"], hardware["cols"])
        macs_done += macs[trace.layer]
        elapsed = time.perf_counter() - started
        log(f"layer {trace.layer}: {len(indices)} image(s) in {trace.backend_seconds:.2f} s, equal to the integer "
            f"path; about {elapsed * (sum(macs.values()) - macs_done) / macs_done:.0f} s left")

    rtl = network.run(images, backend, after_conv=check)
    for position, image in enumerate(indices):
        if rtl.predictions[position] != integer.predictions[position]:
            raise CoreMismatch(f"image {image}: every layer's sums agree but the RTL path predicts class "
                               f"{rtl.predictions[position]} and the integer path {integer.predictions[position]}")
    cycles, energy, layer_cycles = _backend_figures({conv.layer: conv.result for conv in rtl.convs}, len(indices))
    seconds = {"rtl": time.perf_counter() - started,
               "rtl_backend": sum(conv.backend_seconds for conv in rtl.convs),
               "rtl_simulator": sum(conv.result.sim_seconds or 0.0 for conv in rtl.convs)}
    return rtl.predictions, cycles, energy, layer_cycles, seconds


def _requantized_pass(network: IntegerOnlyNetwork, images, indices: list[int], expected: IntegerOnlyResult, backend,
                      log: Callable[[str], None]):
    """The integer-only path on a backend that requantizes, every layer's levels checked against the
    library's as they come; the same returns as ``_rtl_pass``."""
    started, checking, results = time.perf_counter(), 0.0, {}

    def check(layer: int, levels, result) -> None:
        nonlocal checking
        began = time.perf_counter()
        check_requantized(expected.outputs[layer], levels, layer, indices, "the backend")
        results[layer] = result
        checking += time.perf_counter() - began
        log(f"layer {layer}: {len(indices)} image(s), requantized levels equal to the integer-only path's")

    run = network.run(images, backend, after_layer=check)
    for position, image in enumerate(indices):
        if run.predictions[position] != expected.predictions[position]:
            raise RequantMismatch(f"image {image}: every layer's levels agree but the backend predicts class "
                                  f"{run.predictions[position]} and the integer-only path {expected.predictions[position]}")
    cycles, energy, layer_cycles = _backend_figures(results, len(indices))
    total = time.perf_counter() - started
    seconds = {"rtl": total, "rtl_backend": total - checking,
               "rtl_simulator": sum(result.sim_seconds or 0.0 for result in results.values())}
    return run.predictions, cycles, energy, layer_cycles, seconds


def run_shard(model: VGGQuant, test: dict, data_path: str, first: int, last: int, backend, backend_name: str,
              dataflow: str, hardware: dict, mean, std, integer_tolerance: float, widths: RequantWidths,
              log: Callable[[str], None] = print) -> tuple[dict, dict]:
    """Classify test images ``first`` .. ``last``; returns the results and the wall-clock timing (kept apart,
    so that results are byte-identical however the images are sharded)."""
    check_image_range(first, last, len(test["test_labels"]), data_path)
    images, indices = capture_batch(test, first, last - first + 1, mean, std)
    labels = [int(label) for label in test["test_labels"][first : last + 1]]
    log(f"images {first}-{last} ({len(indices)}), {dataflow}, backend {backend_name} (network.count and network.shard "
        f"set the images and how many one job takes)")
    seconds = {}

    started = time.perf_counter()
    network = IntegerNetwork(model, integer_tolerance)
    integer = network.run(images, IntegerConvBackend())
    seconds["integer"] = time.perf_counter() - started
    started = time.perf_counter()
    integer_only_network = IntegerOnlyNetwork(model, widths, integer_tolerance)
    integer_only = integer_only_network.run(images)
    seconds["integer_only"] = time.perf_counter() - started
    log(f"integer-only path: {seconds['integer_only']:.2f} s; {widths}")
    started = time.perf_counter()
    ranges = layer_ranges(integer)
    seconds["widths"] = time.perf_counter() - started
    log(f"integer path: {seconds['integer']:.2f} s; widths needed: activations "
        + ", ".join(f"L{r.layer} {r.act_bits}{'s' if r.act_signed else 'u'}" for r in ranges) + "; partial sums "
        + ", ".join(f"L{r.layer} {r.psum_bits}" for r in ranges))
    check_core_widths(ranges, psum_bits=hardware["psum_bits"], act_bits=hardware["act_bits"],
                      signed_activations=hardware["act_signed"])

    started = time.perf_counter()
    float_predictions, differences, logit_gaps = _float_pass(model, images, indices, integer, integer_tolerance)
    seconds["float"] = time.perf_counter() - started
    log(f"float model: {seconds['float']:.2f} s; {sum(d is not None for d in differences)} of {len(indices)} images "
        f"have a quantised level that differs from the integer path")

    if getattr(backend, "requantizes", False):
        rtl, cycles, energy, layer_cycles, rtl_seconds = _requantized_pass(
            integer_only_network, images, indices, integer_only, backend, log)
    else:
        rtl, cycles, energy, layer_cycles, rtl_seconds = _rtl_pass(network, images, indices, integer, backend,
                                                                    dataflow, hardware, log)
    seconds.update(rtl_seconds, rtl_host=rtl_seconds["rtl"] - rtl_seconds["rtl_backend"])

    rows = [{"image": image, "label": labels[n], "rtl": rtl[n], "integer": integer.predictions[n],
             "float": float_predictions[n], "integer_only": integer_only.predictions[n], "cycles": cycles[n],
             "energy_uj": energy[n],
             "level_difference": None if differences[n] is None else differences[n].as_dict(),
             "float_logit_gap": logit_gaps[n]} for n, image in enumerate(indices)]
    results = {
        "dataflow": dataflow, "backend": backend_name, "first": first, "last": last, "images": rows,
        "layers": [{**r.as_dict(), **layer_cycles[r.layer]} for r in ranges],
    }
    timing = {"dataflow": dataflow, "first": first, "last": last, "images": len(indices), "seconds": seconds}
    return results, timing
