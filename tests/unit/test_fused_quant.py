"""The fused quantizers (qaccel.model.fused_quant) against the reference ones (qaccel.model.quant): the same bits
in the forward value and in every gradient, on CPU here and on CUDA where there is one."""
import copy
import sys

import pytest
import torch
import torch.nn as nn
from support import QUANT, REPO

from qaccel.model.fused_quant import FusedActQuant, FusedWeightQuant
from qaccel.model.quant import (
    QuantConv2d,
    _ActQuant,
    _WeightQuant,
    set_fused_quantizers,
)
from qaccel.model.vgg import VGGQuant
from qaccel.training.train_step import TrainStep

sys.path.insert(0, str(REPO / "benchmarks"))
from step_kernels import CountOperations  # noqa: E402

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA"))]
LAYOUTS = [torch.contiguous_format, torch.channels_last]


@pytest.fixture(autouse=True)
def deterministic_cudnn():
    """Deterministic cuDNN algorithms: a backward convolution may otherwise add in a varying order."""
    saved = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    yield
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = saved


def assert_same_bits(reference: torch.Tensor, fused: torch.Tensor, what: str) -> None:
    assert fused.dtype == reference.dtype and fused.shape == reference.shape, what
    assert fused.stride() == reference.stride(), f"{what}: strides {fused.stride()} != {reference.stride()}"
    as_int = {torch.float32: torch.int32, torch.float64: torch.int64, torch.bfloat16: torch.int16}[reference.dtype]
    differ = (reference.contiguous().view(as_int) != fused.contiguous().view(as_int)).sum().item()
    assert differ == 0, f"{what}: {differ} of {reference.numel()} elements differ in their bits"


def on_rounding_boundaries(levels: int, alpha: float, count: int) -> torch.Tensor:
    """Inputs whose scaled value times ``levels`` rounds, in fp32, to exactly k + 1/2 for most k
    (alpha is a power of two, so dividing by it is exact)."""
    half_steps = torch.arange(count, dtype=torch.float64) % levels * 2 + 1
    return (half_steps / (2 * levels)).float() * alpha


def activation_inputs(device: str, layout) -> torch.Tensor:
    """Negatives, zeros, values on every rounding boundary, exactly at and just above the clip point, far
    above it; shaped as a conv input."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(4, 16, 8, 8, generator=generator) * 6
    flat = x.view(-1)
    ties = on_rounding_boundaries(15, 8.0, 300)
    flat[:300] = ties
    flat[300:310] = 8.0
    flat[310:320] = torch.nextafter(torch.tensor(8.0), torch.tensor(9.0))
    flat[320:330] = 0.0
    flat[330:340] = -torch.arange(10.0)
    return x.to(device).contiguous(memory_format=layout)


def quantize_both(function_pair, inputs: tuple, alpha: torch.Tensor, levels: int, grad_seed: int = 1):
    """Forward value and gradients of each implementation, for the same random output gradient."""
    results = []
    for function in function_pair:
        leaves = [t.detach().clone().requires_grad_(t.is_floating_point()) for t in inputs]
        leaf_alpha = alpha.detach().clone().requires_grad_()
        output = function(*leaves, leaf_alpha, levels)
        generator = torch.Generator().manual_seed(grad_seed)
        grad = torch.randn(output.shape, generator=generator).to(output.device)
        grad = grad.contiguous(memory_format=torch.channels_last if output.dim() == 4 and
                               output.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format)
        output.backward(grad)
        results.append((output.detach(), leaves[0].grad, leaf_alpha.grad))
    return results


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_fused_activation_quantizer_has_the_reference_bits_forward_and_backward(device, layout):
    x = activation_inputs(device, layout)
    scaled_levels = (x.contiguous().view(-1)[:300] / 8.0) * 15
    assert (scaled_levels == scaled_levels.floor() + 0.5).sum() > 100, "the inputs must hit rounding ties"
    reference, fused = quantize_both((_ActQuant.apply, FusedActQuant.apply), (x,), torch.tensor(8.0, device=device),
                                     15)
    for name, ref, got in zip(("output", "input gradient", "alpha gradient"), reference, fused):
        assert_same_bits(ref, got, name)
    assert (reference[1] == 0).any() and (reference[0] < 0).any()  # some inputs clipped, negatives kept


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_fused_weight_quantizer_has_the_reference_bits_forward_and_backward(device, layout):
    generator = torch.Generator().manual_seed(0)
    weight = torch.randn(32, 16, 3, 3, generator=generator) * 2
    flat = weight.view(-1)
    flat[:200] = on_rounding_boundaries(7, 2.0, 200) * torch.where(torch.arange(200) % 2 == 0, 1.0, -1.0)
    flat[200:210] = 2.0  # exactly at the clip point
    weight = weight.to(device).contiguous(memory_format=layout)
    # mean 0 and std 1 leave the boundary values where they are; the normalisation is tested below.
    mean, std = torch.zeros((), device=device), torch.ones((), device=device)
    assert ((flat[:200].abs() / 2.0 * 7) % 1 == 0.5).sum() > 50, "the weights must hit rounding ties"

    def reference(w, alpha, levels):
        return _WeightQuant.apply((w - mean) / std, alpha, levels)

    def fused(w, alpha, levels):
        return FusedWeightQuant.apply(w, mean, std, alpha, levels)

    results = quantize_both((reference, fused), (weight,), torch.tensor(2.0, device=device), 7)
    for name, ref, got in zip(("output", "weight gradient", "alpha gradient"), *results):
        assert_same_bits(ref, got, name)


def conv_pair(layout, device, seed=0):
    torch.manual_seed(seed)
    reference = QuantConv2d(16, 32, **QUANT).to(device).to(memory_format=layout)
    with torch.no_grad():
        reference.act_alpha.fill_(2.7)
        reference.weight_quant.wgt_alpha.fill_(2.3)
    fused = copy.deepcopy(reference)
    set_fused_quantizers(fused, True)
    return reference, fused


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("autocast", [False, True], ids=["fp32", "bf16-autocast"])
def test_a_fused_quant_conv_trains_bit_for_bit_like_the_reference(device, layout, autocast):
    """As the model feeds it: a ReLU output (bf16 under autocast), real weight statistics."""
    generator = torch.Generator().manual_seed(3)
    x = torch.relu(torch.randn(4, 16, 8, 8, generator=generator) * 2).to(device).contiguous(memory_format=layout)
    grad = torch.randn(4, 32, 8, 8, generator=generator).to(device).contiguous(memory_format=layout)
    results = []
    for conv in conv_pair(layout, device):
        leaf = (x.bfloat16() if autocast else x).detach().requires_grad_()
        with torch.autocast(device, dtype=torch.bfloat16, enabled=autocast):
            output = conv(leaf)
        output.backward(grad.to(output.dtype))
        results.append({"output": output.detach(), "weight_q": conv.weight_q, "input gradient": leaf.grad,
                        "weight gradient": conv.weight.grad, "act_alpha gradient": conv.act_alpha.grad,
                        "wgt_alpha gradient": conv.weight_quant.wgt_alpha.grad})
    for name in results[0]:
        assert_same_bits(results[0][name], results[1][name], name)


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_fused_training_steps_leave_every_parameter_bit_identical(precision):
    torch.manual_seed(0)
    models = [VGGQuant(**QUANT).to(memory_format=torch.channels_last)]
    models.append(copy.deepcopy(models[0]))
    set_fused_quantizers(models[1], True)
    generator = torch.Generator().manual_seed(0)
    batches = [(torch.randn(2, 3, 32, 32, generator=generator).contiguous(memory_format=torch.channels_last),
                torch.randint(0, 10, (2,), generator=generator)) for _ in range(2)]
    for model in models:
        optimizer = torch.optim.SGD(model.parameters(), lr=torch.tensor(0.05), momentum=0.9, nesterov=True,
                                    weight_decay=5e-4, fused=True)
        step = TrainStep(model, optimizer, nn.CrossEntropyLoss(label_smoothing=0.1), torch.device("cpu"),
                         torch.bfloat16 if precision == "bf16" else None)
        for inputs, targets in batches:
            step(inputs, targets)
    for (name, reference), fused in zip(models[0].state_dict().items(), models[1].state_dict().values()):
        if reference.is_floating_point():
            assert_same_bits(reference, fused, name)


def test_each_fused_quantizer_is_one_operation_per_direction():
    conv = conv_pair(torch.contiguous_format, "cpu")[1]
    x = torch.rand(2, 16, 8, 8, requires_grad=True)
    grad = torch.ones(2, 32, 8, 8)
    conv(x).backward(grad)  # compiles outside the count
    with CountOperations() as counter:
        conv(x).backward(grad)
    fused = {name: counter.counts[name] for name in ("act_quant_forward", "act_quant_backward", "weight_quant_forward",
                                                     "weight_quant_backward")}
    assert fused == dict.fromkeys(fused, 1)
    elementwise = {"div", "mul", "round", "clamp", "sub", "rsub", "add", "sign", "abs", "gt"}
    assert not elementwise & set(counter.counts), counter.counts
    # What stays outside the kernels: the weight statistics and the two alpha-gradient sums.
    assert {name: counter.counts[name] for name in ("mean", "std", "sum")} == {"mean": 1, "std": 1, "sum": 2}
