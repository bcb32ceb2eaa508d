"""Operations one training step dispatches, the step's time and where it goes, with the reference
quantizers and with the fused ones (``qaccel.model.fused_quant``, recipe key ``fused_quant``), in one process.

Operations are counted below autograd (on the CPU): on a GPU each is at least one kernel launch,
which is why an eager step of this network is launch-bound and why the fast recipe replays the step
as one CUDA graph. The count does not depend on the batch size or the device. Then it times
training steps of both kinds, alternating them so that a change in the machine's load hits both
alike, and prints the medians and their ratio, and how long the first fused step took (it compiles
the quantizers; Inductor's on-disk cache, ``$TORCHINDUCTOR_CACHE_DIR``, makes a second process much
quicker). ``--profile FILE`` writes a torch.profiler table of a few steps of each kind (replayed
graphs with ``--cuda-graph``), sorted by the time each operation or kernel itself took.

    python benchmarks/step_kernels.py                          # counts; then timing, batch 32, 5 steps each
    python benchmarks/step_kernels.py --batch 64 --steps 9 --timed-precisions fp32 bf16
    python benchmarks/step_kernels.py --steps 0                # counts only
    python benchmarks/step_kernels.py --device cuda --batch 512 --timed-precisions bf16 --channels-last \
        --cuda-graph --steps 20 --profile profile.txt        # the fast recipe's step on a GPU
"""
from __future__ import annotations

import argparse
import collections
import statistics
import time

import torch
import torch.nn as nn
from torch.utils._python_dispatch import TorchDispatchMode

from qaccel.model.quant import set_fused_quantizers
from qaccel.model.vgg import VGGQuant
from qaccel.training.train_step import CudaGraphStep, TrainStep
from qaccel.workflow.config import default_config

# The fast recipe and the quantizer widths as config.yaml holds them (the schema's defaults).
DEFAULTS = default_config()
FAST, QUANT = DEFAULTS["train"]["recipes"]["fast"], DEFAULTS["quant"]

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


def training_step(precision: str, fused: bool, channels_last: bool = False, device: str = "cpu",
                  cuda_graph: bool = False, seed: int = 0):
    """A step of the fast recipe's optimizer and loss on a freshly initialised model."""
    torch.manual_seed(seed)
    model = VGGQuant(**QUANT).to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    set_fused_quantizers(model, fused)
    optimizer = torch.optim.SGD(model.parameters(), lr=torch.tensor(FAST["lr"], device=device),
                                momentum=FAST["momentum"], nesterov=FAST["nesterov"],
                                weight_decay=FAST["weight_decay"], fused=True)
    step = TrainStep(model, optimizer, nn.CrossEntropyLoss(label_smoothing=FAST["label_smoothing"]),
                     torch.device(device), PRECISIONS[precision])
    return CudaGraphStep(step) if cuda_graph else step


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


class StepTimer:
    """Both kinds of step on the same batch: alternating timed steps, then a profile of each."""

    def __init__(self, precision: str, batch: int, channels_last: bool, device: str, cuda_graph: bool):
        self.device = torch.device(device)
        self.runners = {fused: training_step(precision, fused, channels_last, device, cuda_graph)
                        for fused in (False, True)}
        generator = torch.Generator().manual_seed(0)
        self.inputs = torch.randn(batch, 3, 32, 32, generator=generator).to(device)
        if channels_last:
            self.inputs = self.inputs.contiguous(memory_format=torch.channels_last)
        self.targets = torch.randint(0, 10, (batch,), generator=generator).to(device)
        self.first = {}
        warmup = CudaGraphStep.WARMUP_STEPS + 1 if cuda_graph else 1  # eager steps, then the capture
        for fused, step in self.runners.items():  # momentum buffers, compilation, graph capture
            start = time.perf_counter()
            self.step(fused)
            self.first[fused] = time.perf_counter() - start
            for _ in range(warmup - 1):
                self.step(fused)

    def step(self, fused: bool) -> None:
        self.runners[fused](self.inputs, self.targets)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def median_seconds(self, steps: int) -> dict[bool, float]:
        seconds = {False: [], True: []}
        for _ in range(steps):
            for fused in self.runners:
                start = time.perf_counter()
                self.step(fused)
                seconds[fused].append(time.perf_counter() - start)
        return {fused: statistics.median(values) for fused, values in seconds.items()}

    def profile_table(self, fused: bool, steps: int) -> str:
        activities = [torch.profiler.ProfilerActivity.CPU]
        if self.device.type == "cuda":
            activities.append(torch.profiler.ProfilerActivity.CUDA)
        with torch.profiler.profile(activities=activities) as profile:
            for _ in range(steps):
                self.step(fused)
        sort = "self_cuda_time_total" if self.device.type == "cuda" else "self_cpu_time_total"
        return profile.key_averages().table(sort_by=sort, row_limit=40)


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
    parser.add_argument("--device", default="cpu", help="where the timed steps run (cpu, cuda)")
    parser.add_argument("--cuda-graph", action="store_true", help="replay each timed step as a CUDA graph")
    parser.add_argument("--profile", metavar="FILE", help="append profiler tables of a few steps of each kind")
    parser.add_argument("--profile-steps", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from torch._dynamo.utils import counters

    if args.device == "cpu":  # the counts are the same on every device
        first_steps = {}
        for precision in PRECISIONS:
            for fused in (False, True):
                counts, first_steps[precision, fused] = count_step(precision, fused)
                print(f"{precision} {'fused' if fused else 'unfused'}: {describe(counts)}", flush=True)
        print(f"first step, batch 4 fp32: unfused {first_steps['fp32', False]:.2f} s, fused "
              f"{first_steps['fp32', True]:.2f} s (compiles the fused quantizers)", flush=True)
    for precision in args.timed_precisions if args.steps else []:
        timer = StepTimer(precision, args.batch, args.channels_last, args.device, args.cuda_graph)
        medians = timer.median_seconds(args.steps)
        unfused, fused = medians[False], medians[True]
        setting = (f"{precision}, batch {args.batch}, {args.device}{', channels_last' if args.channels_last else ''}"
                   f"{', CUDA graph replays' if args.cuda_graph else ''}")
        print(f"step time ({setting}, {args.threads} threads, median of {args.steps}): unfused {unfused:.4f} s, "
              f"fused {fused:.4f} s, ratio fused/unfused x{fused / unfused:.3f} (first steps: unfused "
              f"{timer.first[False]:.2f} s, fused {timer.first[True]:.2f} s)", flush=True)
        inductor = counters["inductor"]
        print(f"Inductor's cache so far: {inductor['fxgraph_cache_hit']} hits, {inductor['fxgraph_cache_miss']} "
              f"misses (a miss compiles)", flush=True)
        if args.profile:
            tables = [f"{'fused' if kind else 'unfused'} quantizers, {args.profile_steps} steps ({setting}):\n"
                      f"{timer.profile_table(kind, args.profile_steps)}" for kind in (True, False)]
            with open(args.profile, "a") as out:
                out.write("\n".join(tables) + "\n")
            print(f"profile of {args.profile_steps} steps of each kind ({setting}) appended to {args.profile}; "
                  f"fused, the top rows:\n" + "\n".join(tables[0].splitlines()[:14]), flush=True)


if __name__ == "__main__":
    main()
