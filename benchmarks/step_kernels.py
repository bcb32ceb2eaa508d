"""Operations one training step dispatches, counted below autograd: on a GPU each is at least one
kernel launch, which is why an eager step of this network is launch-bound and why the fast recipe
replays the step as one CUDA graph. The count does not depend on the batch size or the device.

    python benchmarks/step_kernels.py
"""
from __future__ import annotations

import collections

import torch
import torch.nn as nn
from torch.utils._python_dispatch import TorchDispatchMode

from qaccel.model import VGGQuant
from qaccel.train_step import TrainStep

# Metadata-only operations: they launch no kernel.
VIEWS = {"view", "_unsafe_view", "t", "permute", "expand", "detach", "alias", "as_strided", "squeeze", "unsqueeze",
         "reshape", "slice", "select", "transpose", "_reshape_alias", "lift_fresh", "unbind", "split"}


class CountOperations(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.counts = collections.Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.overloadpacket.__name__
        if name not in VIEWS:
            self.counts[name] += 1
        return func(*args, **(kwargs or {}))


def count_step(precision: str) -> collections.Counter:
    torch.manual_seed(0)
    model = VGGQuant()
    optimizer = torch.optim.SGD(model.parameters(), lr=torch.tensor(0.1), momentum=0.9, nesterov=True,
                                weight_decay=5e-4, fused=True)
    step = TrainStep(model, optimizer, nn.CrossEntropyLoss(label_smoothing=0.1), torch.device("cpu"),
                     torch.bfloat16 if precision == "bf16" else None)
    inputs, targets = torch.randn(4, 3, 32, 32), torch.randint(0, 10, (4,))
    step(inputs, targets)  # the first step creates the momentum buffers
    with CountOperations() as counter:
        step(inputs, targets)
    return counter.counts


def main() -> None:
    for precision in ("fp32", "bf16"):
        counts = count_step(precision)
        total = sum(counts.values())
        convolutions = sum(n for name, n in counts.items() if "convolution" in name)
        print(f"{precision}: {total} operations per training step, {convolutions} of them convolutions "
              f"(forward and backward); most frequent: "
              + ", ".join(f"{name} {n}" for name, n in counts.most_common(6)))


if __name__ == "__main__":
    main()
