"""Alphas fitted to the float network (qaccel.training.alpha_init) against a numpy search written here."""
import math

import numpy as np
import pytest
import torch
from support import QUANT, reference_act_q

from qaccel.model.quant import quant_convs, quantize_activation
from qaccel.model.vgg import VGGQuant
from qaccel.training.alpha_init import (
    CANDIDATES,
    SAMPLE_SIZE,
    float_layer_inputs,
    mse_optimal_alpha,
    strided_sample,
)


def reference_mse_alpha(values: np.ndarray, quantize) -> float:
    """The specification: an odd-strided sample of at most SAMPLE_SIZE values, candidates k/CANDIDATES of the
    largest magnitude, the first with the least squared error."""
    flat = values.reshape(-1)
    sample = flat[:: math.ceil(flat.size / SAMPLE_SIZE) | 1].astype(np.float64)
    grid = np.abs(sample).max() * np.arange(1, CANDIDATES + 1) / CANDIDATES
    errors = [np.square(quantize(sample, alpha) - sample).sum() for alpha in grid]
    return float(grid[int(np.argmin(errors))])


def test_the_sample_is_strided_oddly_and_keeps_small_tensors_whole():
    small = torch.arange(1000.0)
    assert torch.equal(strided_sample(small), small)
    big = torch.arange(SAMPLE_SIZE * 4 + 1024, dtype=torch.float64).reshape(-1, 16, 8, 8)  # stride 5
    sample = strided_sample(big)
    assert sample.numel() <= SAMPLE_SIZE and torch.equal(sample[:3], torch.tensor([0.0, 5.0, 10.0], dtype=torch.float64))
    assert len(set((sample % 64).tolist())) == 64  # every pixel position of a channel is sampled


def test_the_activation_alpha_is_the_least_squared_error_candidate():
    rng = np.random.default_rng(0)
    values = np.maximum(rng.standard_t(3, size=(8, 64, 16, 16)), 0).astype(np.float32)  # a heavy-tailed ReLU output
    got = mse_optimal_alpha(strided_sample(torch.from_numpy(values)),
                            lambda v, alpha: quantize_activation(v, alpha, 4))
    expected = reference_mse_alpha(values, lambda v, alpha: reference_act_q(v, alpha, 4))
    assert got == pytest.approx(expected, rel=1e-12)
    assert got < 0.5 * values.max()  # the tail is clipped: the optimum is not the maximum


def test_all_zero_values_are_refused():
    with pytest.raises(ValueError, match="all zero"):
        mse_optimal_alpha(torch.zeros(10), lambda v, alpha: quantize_activation(v, alpha, 4))


def test_the_statistics_pass_leaves_the_model_as_it_was():
    torch.manual_seed(0)
    model = VGGQuant(**QUANT).eval()
    before = {name: buffer.clone() for name, buffer in model.state_dict().items()}
    samples = float_layer_inputs(model, torch.randn(8, 3, 32, 32))
    assert len(samples) == 13 and not model.training
    assert all(conv.quantize for conv in quant_convs(model))
    assert all(torch.equal(before[name], value) for name, value in model.state_dict().items())  # BatchNorm too
