"""Operations one training step dispatches, and the step's time, with the reference quantizers and
with the fused ones (``qaccel.fused_quant``, recipe key ``fused_quant``), in one process.

Operations are counted below autograd: on a GPU each is at least one kernel launch, which is why an
eager step of this network is launch-bound and why the fast recipe replays the step as one CUDA
graph. The count does not depend on the batch size or the device. Then it times training steps of
both kinds, alternating them so that a change in the machine's load hits both alike, and prints
the medians and their ratio, and how long compiling the fused quantizers took (Inductor's
on-disk cache, ``$TORCHINDUCTOR_CACHE_DIR``, makes a second process much quicker).

    python benchmarks/step_kernels.py                          # counts; then timing, batch 32, 5 steps each
    python benchmarks/step_kernels.py --batch 64 --steps 9 --timed-precisions fp32 bf16
    python benchmarks/step_kernels.py --steps 0                # counts only
"""
from __future__ import annotations

import argparse
import collections
import statistics
import time

import torch
import torch.nn as nn
from torch.utils._python_dispatch import TorchDispatchMode

from qaccel.model import VGGQuant
from qaccel.quant import set_fused_quantizers
from qaccel.train_step import TrainStep

# Metadata-only operations: they launch no kernel.
VIEWS = {"view", "_unsafe_view", "t", "permute", "expand", "detach", "alias", "as_strided", "squeeze", "unsqueeze",
         "reshape", "slice", "select", "transpose", "_reshape_alias", "lift_fresh", "unbind", "split"}
PRECISIONS = {"fp32": None, "bf16": torch.bfloat16}


class CountOperations(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.counts = collections.Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.overloadpacket.__name__
        if name not in VIEWS:
            self.counts[name] += 1
        return func(*args, **(kwargs or {}))


def training_step(precision: str, fused: bool, channels_last: bool = False, seed: int = 0) -> TrainStep:
    """A step of the fast recipe's optimizer and loss on a freshly initialised model."""
    torch.manual_seed(seed)
    model = VGGQuant()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    set_fused_quantizers(model, fused)
    optimizer = torch.optim.SGD(model.parameters(), lr=torch.tensor(0.1), momentum=0.9, nesterov=True,
                                weight_decay=5e-4, fused=True)
    return TrainStep(model, optimizer, nn.CrossEntropyLoss(label_smoothing=0.1), torch.device("cpu"),
                     PRECISIONS[precision])


def count_step(precision: str, fused: bool = False) -> tuple[collections.Counter, float]:
    """Operations of the second step, and the first step's seconds (it compiles fused quantizers)."""
    step = training_step(precision, fused)
    inputs, targets = torch.randn(4, 3, 32, 32), torch.randint(0, 10, (4,))
    start = time.perf_counter()
    step(inputs, targets)  # the first step creates the momentum buffers
    first_seconds = time.perf_counter() - start
    with CountOperations() as counter:
        step(inputs, targets)
    return counter.counts, first_seconds


def time_steps(precision: str, batch: int, steps: int, channels_last: bool) -> dict:
    """Median seconds per step, unfused and fused, alternating; the fused step's first call compiles."""
    runners = {fused: training_step(precision, fused, channels_last) for fused in (False, True)}
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(batch, 3, 32, 32, generator=generator)
    if channels_last:
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    targets = torch.randint(0, 10, (batch,), generator=generator)
    first = {}
    for fused, step in runners.items():  # momentum buffers; the fused runner compiles here if not yet compiled
        start = time.perf_counter()
        step(inputs, targets)
        first[fused] = time.perf_counter() - start
    seconds = {False: [], True: []}
    for _ in range(steps):
        for fused, step in runners.items():
            start = time.perf_counter()
            step(inputs, targets)
            seconds[fused].append(time.perf_counter() - start)
    return {"first": first, "median": {fused: statistics.median(values) for fused, values in seconds.items()}}


def describe(counts: collections.Counter) -> str:
    total = sum(counts.values())
    convolutions = sum(n for name, n in counts.items() if "convolution" in name)
    return (f"{total} operations per training step, {convolutions} of them convolutions (forward and backward); "
            f"most frequent: " + ", ".join(f"{name} {n}" for name, n in counts.most_common(6)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=32, help="batch size of the timed steps")
    parser.add_argument("--steps", type=int, default=5, help="timed steps of each kind (0: counts only)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--timed-precisions", nargs="+", default=["fp32"], choices=sorted(PRECISIONS))
    parser.add_argument("--channels-last", action="store_true", help="time in channels_last (the fast recipe's)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from torch._dynamo.utils import counters

    first_steps = {}
    for precision in PRECISIONS:
        for fused in (False, True):
            counts, first_steps[precision, fused] = count_step(precision, fused)
            print(f"{precision} {'fused' if fused else 'unfused'}: {describe(counts)}", flush=True)
    inductor = counters["inductor"]
    print(f"first step, batch 4 fp32: unfused {first_steps['fp32', False]:.2f} s, fused "
          f"{first_steps['fp32', True]:.2f} s (compiles the fused quantizers; Inductor cache "
          f"{inductor['fxgraph_cache_hit']} hits, {inductor['fxgraph_cache_miss']} misses)", flush=True)
    for precision in args.timed_precisions if args.steps else []:
        timed = time_steps(precision, args.batch, args.steps, args.channels_last)
        unfused, fused = timed["median"][False], timed["median"][True]
        print(f"step time ({precision}, batch {args.batch}, {'channels_last, ' if args.channels_last else ''}"
              f"{args.threads} threads, median of {args.steps}): unfused {unfused:.3f} s, fused {fused:.3f} s, "
              f"ratio fused/unfused x{fused / unfused:.3f} (first steps: unfused {timed['first'][False]:.2f} s, "
              f"fused {timed['first'][True]:.2f} s)", flush=True)


if __name__ == "__main__":
    main()
