"""The integer-only path (FORMATS.md, "Integer-only inference") against the float model on the test
split, in software (issue 16, target 1: all 10,000 images in at most 5 minutes on 2 cores).

    python benchmarks/integer_only_accuracy.py --checkpoint results/train/model.pt --data resources/cifar10.npz
    python benchmarks/integer_only_accuracy.py --checkpoint ... --data ... --mult-bits 16 --compare-integer 250

Any checkpoint of the workflow's train rule. The widths default to config.schema.yaml's ``requant``
keys. Printed: the float model's and the integer-only path's accuracy, how many classes agree, and
the seconds (wall and the process's CPU). ``--compare-integer N`` also runs the integer path (exact
convs, the rest in float on the host) on the first N images and counts, per layer, the levels that
differ from the integer-only path's (they differ only through the fixed-point constants), the images
with any differing level, and the classes that differ.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qaccel import data  # noqa: E402
from qaccel.export.capture import capture_batch  # noqa: E402
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
    parser.add_argument("--batch", type=int, default=200, help="images per pass")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--mult-bits", type=int, default=defaults["requant"]["mult_bits"])
    parser.add_argument("--feature-bits", type=int, default=defaults["requant"]["feature_bits"])
    parser.add_argument("--feature-frac-bits", type=int, default=defaults["requant"]["feature_frac_bits"])
    parser.add_argument("--compare-integer", type=int, default=0, metavar="N",
                        help="also run the integer path on the first N images and count level differences")
    args = parser.parse_args()
    args.defaults = defaults
    return args


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    widths = RequantWidths(args.mult_bits, args.feature_bits, args.feature_frac_bits)
    tolerance = args.defaults["integerize"]["integer_tolerance"]
    mean, std = args.defaults["data"]["mean"], args.defaults["data"]["std"]
    model = load_model(args.checkpoint).eval()
    test = data.load(args.data, keys=("test_images", "test_labels"))
    count = min(args.count, len(test["test_labels"]) - args.first)
    print(f"{args.checkpoint}: {count} test images from {args.first}, {widths}, {args.threads} thread(s)", flush=True)

    wall, cpu = time.perf_counter(), time.process_time()
    network = IntegerOnlyNetwork(model, widths, tolerance)
    integer_network = IntegerNetwork(model, tolerance) if args.compare_integer else None
    correct = {"float": 0, "integer_only": 0}
    agree, feature_max, compared, level_differences, images_differing, integer_classes_differing = 0, 0, 0, {}, 0, 0
    for start in range(args.first, args.first + count, args.batch):
        images, indices = capture_batch(test, start, min(args.batch, args.first + count - start), mean, std)
        labels = test["test_labels"][indices[0]:indices[-1] + 1]
        with torch.no_grad():
            float_classes = model(images).argmax(1).numpy()
        result = network.run(images)
        ours = np.array(result.predictions)
        correct["float"] += int((float_classes == labels).sum())
        correct["integer_only"] += int((ours == labels).sum())
        agree += int((ours == float_classes).sum())
        feature_max = max(feature_max, int(result.features.max()))
        take = min(len(indices), args.compare_integer - compared)
        if take > 0:
            integer = integer_network.run(images[:take], IntegerConvBackend())
            differs_any = np.zeros(take, dtype=bool)
            for k, conv in enumerate(integer.convs[1:]):
                layer = integer.convs[k].layer
                differs = result.outputs[layer][:take] != conv.act_int.numpy()
                level_differences[layer] = level_differences.get(layer, 0) + int(differs.sum())
                differs_any |= differs.reshape(take, -1).any(axis=1)
            images_differing += int(differs_any.sum())
            integer_classes_differing += int((ours[:take] != np.array(integer.predictions)).sum())
            compared += take
        done = indices[-1] - args.first + 1
        elapsed = time.perf_counter() - wall
        print(f"  {done}/{count} images, {elapsed:.0f} s, about {elapsed * (count - done) / done:.0f} s left", flush=True)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

    def percent(n: int) -> str:
        return f"{100.0 * n / count:.2f}%"

    print(f"float model accuracy:        {correct['float']}/{count} = {percent(correct['float'])}")
    print(f"integer-only accuracy:       {correct['integer_only']}/{count} = {percent(correct['integer_only'])} "
          f"({100.0 * (correct['integer_only'] - correct['float']) / count:+.2f} points)")
    print(f"classes agreeing with float: {agree}/{count} = {percent(agree)}")
    print(f"largest feature: {feature_max} of {2**widths.feature_bits - 1} (x 2^-{widths.feature_frac_bits})")
    if compared:
        print(f"against the integer path, {compared} images: {integer_classes_differing} classes differ; "
              f"{images_differing} images have a level that differs; levels differing per layer: "
              + ", ".join(f"L{layer} {n}" for layer, n in sorted(level_differences.items())))
    verdict = "within" if wall <= TARGET_SECONDS else "beyond"
    print(f"seconds: {wall:.1f} wall ({verdict} the {TARGET_SECONDS} s target), {cpu:.1f} CPU of this process, "
          f"{os.cpu_count()} CPU(s) on the machine")


if __name__ == "__main__":
    main()
