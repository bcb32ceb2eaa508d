"""The golden check of the tiling stage: the tiled output against torch's conv2d on the integers."""
from __future__ import annotations

import numpy as np
import torch

from .integerize import integer_conv2d


class TilingMismatch(AssertionError):
    pass


def reference_output(act_int: np.ndarray, weight_int: np.ndarray, relu: bool) -> np.ndarray:
    """(H*W, Cout) int64 via conv2d in float64 (exact for these magnitudes)."""
    out = integer_conv2d(torch.from_numpy(np.asarray(act_int, dtype=np.int64))[None],
                         torch.from_numpy(np.asarray(weight_int, dtype=np.int64)))[0]
    if relu:
        out = torch.relu(out)
    return out.reshape(out.shape[0], -1).T.numpy()


def check_against_conv2d(output: np.ndarray, act_int: np.ndarray, weight_int: np.ndarray, relu: bool,
                         label: str) -> dict:
    expected = reference_output(act_int, weight_int, relu)
    if output.shape != expected.shape:
        raise TilingMismatch(f"{label}: tiled output has shape {output.shape}, conv2d gives {expected.shape}")
    bad = np.argwhere(output != expected)
    if bad.size:
        pixel, channel = (int(i) for i in bad[0])
        raise TilingMismatch(f"{label}: output pixel {pixel} channel {channel}: tiled {int(output[pixel, channel])}, "
                             f"conv2d {int(expected[pixel, channel])} ({len(bad)} mismatches)")
    return {"check": "tiled output == conv2d(act_int, weight_int)", "passed": True, "outputs": int(expected.size)}
