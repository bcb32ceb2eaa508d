"""One optimizer step of quantization-aware training, run eagerly or replayed as a CUDA graph.

On a fast GPU this network's step is launch-bound: every QuantConv2d adds a few dozen small
elementwise kernels (weight normalisation, clamp, round, their backward) to the convolutions, so a
batch-512 step spends most of its time launching about a thousand kernels. ``CudaGraphStep``
captures the whole step (forward, loss, backward, SGD update) once and replays it with one launch.
The learning rate lives in a device tensor the step reads, so a schedule can change it between
replays without re-capturing.
"""
from __future__ import annotations

import torch
import torch.nn as nn


def set_learning_rate(optimizer: torch.optim.Optimizer, value: float) -> None:
    """Write ``value`` into each group's lr tensor in place (a captured step reads it from there)."""
    for group in optimizer.param_groups:
        group["lr"].fill_(value)


def learning_rate(optimizer: torch.optim.Optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])


class TrainStep:
    """Forward under autocast, loss, backward and SGD update; returns loss and logits unsynchronised."""

    def __init__(self, forward, optimizer: torch.optim.Optimizer, criterion: nn.Module, device: torch.device,
                 autocast_dtype: torch.dtype | None):
        self.forward = forward
        self.optimizer = optimizer
        self.criterion = criterion
        self.device_type = device.type
        self.autocast_dtype = autocast_dtype

    def __call__(self, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self.optimizer.zero_grad(set_to_none=True)
        # No autocast weight-cast cache: each weight is cast once per step anyway, and cached casts
        # would outlive a graph capture.
        with torch.autocast(self.device_type, dtype=self.autocast_dtype, enabled=self.autocast_dtype is not None,
                            cache_enabled=False):
            logits = self.forward(inputs)
            loss = self.criterion(logits.float(), targets)
        loss.backward()
        self.optimizer.step()
        return loss.detach(), logits.detach()


class CudaGraphStep:
    """``step`` captured as one CUDA graph after a few eager warm-up steps, then replayed.

    The warm-up steps are real training steps on the batches they are given; they run on a side
    stream, as capture requires, so that lazy initialisation (cuDNN plans, allocator pools, the
    optimizer's momentum buffers) happens before capture. Every batch must have the shape of the
    first: the device loader's full batches. The returned tensors are overwritten by the next call.
    """

    WARMUP_STEPS = 3

    def __init__(self, step: TrainStep):
        self.step = step
        self.graph: torch.cuda.CUDAGraph | None = None
        self.warmup_done = 0
        self.side_stream = torch.cuda.Stream()

    def __call__(self, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.graph is None and self.warmup_done < self.WARMUP_STEPS:
            self.warmup_done += 1
            self.side_stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(self.side_stream):
                result = self.step(inputs, targets)
            torch.cuda.current_stream().wait_stream(self.side_stream)
            return result
        if self.graph is None:
            self.static_inputs, self.static_targets = inputs.clone(), targets.clone()
            self.graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(self.graph):  # records only; the replay below runs this step
                self.static_loss, self.static_logits = self.step(self.static_inputs, self.static_targets)
        else:
            if inputs.shape != self.static_inputs.shape:
                raise ValueError(f"a captured training step needs batches of shape {tuple(self.static_inputs.shape)}, "
                                 f"got {tuple(inputs.shape)}")
            self.static_inputs.copy_(inputs)
            self.static_targets.copy_(targets)
        self.graph.replay()
        return self.static_loss, self.static_logits
