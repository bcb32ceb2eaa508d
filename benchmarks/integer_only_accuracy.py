"""The integer-only path (FORMATS.md, "Integer-only inference") against the float model on the test
split, in software (issue 16, target 1: all 10,000 images in at most 5 minutes on 2 cores).

    python benchmarks/integer_only_accuracy.py --checkpoint results/train/model.pt --data resources/cifar10.npz
    python benchmarks/integer_only_accuracy.py --checkpoint ... --data ... --mult-bits 12 16 24 --compare-integer 250

Any checkpoint of the workflow's train rule. The widths default to config.schema.yaml's ``requant``
keys; several values of a width run the integer-only path once per combination, on the same images
(the float model and the integer path run once). Printed per combination: the float model's and the
integer-only path's accuracy, how many classes agree, and the seconds (wall and the process's CPU). ``--compare-integer N`` also runs the integer path (exact
convs, the rest in float on the host) on the first N images and counts, per layer, the levels that
differ from the integer-only path's (they differ only through the fixed-point constants), the images
with any differing level, and the classes that differ.
"""
from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qaccel import data  # noqa: E402
from qaccel.data import normalise  # noqa: E402
from qaccel.export.requant import RequantWidths  # noqa: E402
from qaccel.model.checkpoint import load_model  # noqa: E402
from qaccel.network.backends import IntegerConvBackend  # noqa: E402
from qaccel.network.integer_only import IntegerOnlyNetwork  # noqa: E402
from qaccel.network.paths import IntegerNetwork  # noqa: E402
from qaccel.workflow.config import default_config  # noqa: E402

TARGET_SECONDS = 5 * 60  # issue 16: 10,000 images on 2 cores


def parse_args() -> argparse.Namespace:
    defaults = default_config()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path("resources/cifar10.npz"), help="the data rule's .npz")
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--count", type=int, default=data.TEST_IMAGES)
    parser.add_argument("--every", type=int, default=1,
                        help="take every Nth image from --first (the archive's test split is ordered by class)")
    parser.add_argument("--batch", type=int, default=200, help="images per pass")
    parser.add_argument("--threads", type=int, default=2)
    for key in ("mult_bits", "feature_bits", "feature_frac_bits"):
        parser.add_argument(f"--{key.replace('_', '-')}", type=int, nargs="+", default=[defaults["requant"][key]])
    parser.add_argument("--compare-integer", type=int, default=0, metavar="N",
                        help="also run the integer path on the first N images and count level differences")
    args = parser.parse_args()
    args.defaults = defaults
    return args


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    all_widths = [RequantWidths(*combination) for combination in
                  itertools.product(args.mult_bits, args.feature_bits, args.feature_frac_bits)]
    tolerance = args.defaults["integerize"]["integer_tolerance"]
    mean, std = args.defaults["data"]["mean"], args.defaults["data"]["std"]
    model = load_model(args.checkpoint).eval()
    test = data.load(args.data, keys=("test_images", "test_labels"))
    chosen = np.arange(args.first, len(test["test_labels"]), args.every)[:args.count]
    count = len(chosen)
    print(f"{args.checkpoint}: {count} test images from {args.first}, every {args.every}, {args.threads} thread(s)",
          flush=True)

    wall, cpu = time.perf_counter(), time.process_time()
    networks = {widths: IntegerOnlyNetwork(model, widths, tolerance) for widths in all_widths}
    integer_network = IntegerNetwork(model, tolerance) if args.compare_integer else None
    float_correct, compared = 0, 0
    tallies = {widths: {"correct": 0, "agree": 0, "feature_max": 0, "clipped": 0, "levels": {}, "images_differing": 0,
                        "integer_classes_differing": 0} for widths in all_widths}
    for start in range(0, count, args.batch):
        indices = chosen[start:start + args.batch]
        images = normalise(torch.from_numpy(test["test_images"][indices]), torch.tensor(mean), torch.tensor(std))
        labels = test["test_labels"][indices]
        with torch.no_grad():
            float_classes = model(images).argmax(1).numpy()
        float_correct += int((float_classes == labels).sum())
        take = min(len(indices), args.compare_integer - compared)
        integer = integer_network.run(images[:take], IntegerConvBackend()) if take > 0 else None
        for widths, network in networks.items():
            result, tally = network.run(images), tallies[widths]
            ours = np.array(result.predictions)
            tally["correct"] += int((ours == labels).sum())
            tally["agree"] += int((ours == float_classes).sum())
            tally["feature_max"] = max(tally["feature_max"], int(result.features.max()))
            tally["clipped"] += int((result.features == 2**widths.feature_bits - 1).sum())
            if integer is None:
                continue
            differs_any = np.zeros(take, dtype=bool)
            for before, after in zip(integer.convs, integer.convs[1:]):
                differs = result.outputs[before.layer][:take] != after.act_int.numpy()
                tally["levels"][before.layer] = tally["levels"].get(before.layer, 0) + int(differs.sum())
                differs_any |= differs.reshape(take, -1).any(axis=1)
            tally["images_differing"] += int(differs_any.sum())
            tally["integer_classes_differing"] += int((ours[:take] != np.array(integer.predictions)).sum())
        compared += max(take, 0)
        done = start + len(indices)
        elapsed = time.perf_counter() - wall
        print(f"  {done}/{count} images, {elapsed:.0f} s, about {elapsed * (count - done) / done:.0f} s left", flush=True)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

    def percent(n: int) -> str:
        return f"{100.0 * n / count:.2f}%"

    print(f"float model accuracy: {float_correct}/{count} = {percent(float_correct)}")
    for widths, tally in tallies.items():
        print(f"{widths}:")
        print(f"  integer-only accuracy:       {tally['correct']}/{count} = {percent(tally['correct'])} "
              f"({100.0 * (tally['correct'] - float_correct) / count:+.2f} points against the float model)")
        print(f"  classes agreeing with float: {tally['agree']}/{count} = {percent(tally['agree'])}")
        print(f"  largest feature: {tally['feature_max']} of {2**widths.feature_bits - 1} "
              f"(x 2^-{widths.feature_frac_bits}); {tally['clipped']} feature value(s) at the clamp")
        if compared:
            print(f"  against the integer path, {compared} images: {tally['integer_classes_differing']} classes differ; "
                  f"{tally['images_differing']} images have a level that differs; levels differing per layer: "
                  + ", ".join(f"L{layer} {n}" for layer, n in sorted(tally["levels"].items())))
    scale = data.TEST_IMAGES / count
    print(f"seconds: {wall:.1f} wall, {cpu:.1f} CPU of this process ({len(all_widths)} integer-only run(s)"
          f"{' and the integer path' if compared else ''}; {os.cpu_count()} CPU(s), load average "
          f"{os.getloadavg()[0]:.1f}); for {data.TEST_IMAGES} images at this rate {wall * scale:.0f} s wall, "
          f"{cpu * scale / args.threads:.0f} s on {args.threads} free core(s); target {TARGET_SECONDS} s")


if __name__ == "__main__":
    main()
