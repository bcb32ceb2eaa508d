"""What a training run says while it runs: its duration estimate and its progress lines.

It computes nothing a result holds, so it is declared result-free (qaccel.workflow.rule_code.RESULT_FREE):
an edit here re-runs no training.
"""
from __future__ import annotations

import time

import torch

from .train_step import learning_rate


class ProgressLog:
    """The lines a run logs between epochs: its duration estimate after its first steps, then a line
    every ``log_every`` steps with the time left. Times per step are measured from the end of the
    run's first step: that one carries one-time work (kernel selection, CUDA graph capture, the first
    batches), and counted in, it put the estimate 50% high on a CPU. After the first epoch the time
    left includes the evaluations between epochs, spread over the steps."""

    ESTIMATE_AFTER_STEPS = 5
    LONG_SECONDS = 15 * 60

    def __init__(self, log, device: torch.device, epochs: int, log_every: int, steps_per_epoch: int,
                 total_steps: int, first_step: int):
        self.log, self.device, self.epochs, self.log_every = log, device, epochs, log_every
        self.steps_per_epoch, self.total_steps, self.first_step = steps_per_epoch, total_steps, first_step
        self.estimate_told = False
        self.timed_from: tuple[int, float] | None = None  # (global step, time) at the end of the first step

    def _per_step(self, global_step: int) -> float | None:
        if self.timed_from is None or global_step <= self.timed_from[0]:
            return None
        step, began = self.timed_from
        return (time.perf_counter() - began) / (global_step - step)

    def after_step(self, global_step: int, epoch: int, step: int, loss: torch.Tensor, optimizer) -> None:
        if self.timed_from is None:
            self.timed_from = (global_step, time.perf_counter())
        per_step = self._per_step(global_step)
        left = None if per_step is None else per_step * (self.total_steps - global_step)
        if not self.estimate_told and global_step - self.first_step == self.ESTIMATE_AFTER_STEPS:
            hint = (" That is long for this machine: for a quick CPU run add configs/cpu-quick.yaml to "
                    "--configfile (train.max_steps, train.train_subset)." if left > self.LONG_SECONDS else "")
            self.log(f"about {per_step:.3f} s per step on {self.device}: training needs about {left / 60:.1f} more "
                     f"minutes (plus evaluation).{hint}")
            self.estimate_told = True
        if global_step % self.log_every == 0:
            self.log(f"epoch {epoch + 1}/{self.epochs} step {step + 1}/{self.steps_per_epoch} "
                     f"(total {global_step}/{self.total_steps}) loss {loss.item():.4f} "
                     f"lr {learning_rate(optimizer):.5f}"
                     + ("" if left is None else f", about {left / 60:.1f} min left"))
