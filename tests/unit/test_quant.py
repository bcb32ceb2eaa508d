"""Quantizers and integer conversion against an independent numpy reference (FORMATS.md)."""
import numpy as np
import pytest
import torch
from support import INTEGERIZE, QUANT, reference_act_q, reference_normalised_weight_q

from qaccel.export.capture import capture_layer
from qaccel.export.integerize import IntegerCheckError, integerize
from qaccel.model.quant import QuantConv2d, quantize_activation, quantize_weight
from qaccel.model.vgg import VGGQuant


def reference_weight_q(w: np.ndarray, alpha: float, w_bits: int) -> np.ndarray:
    return reference_normalised_weight_q((w - w.mean()) / w.std(ddof=1), alpha, w_bits)


@pytest.mark.parametrize("w_bits", [2, 4, 8])
def test_weight_quantizer_matches_reference(w_bits):
    w = torch.randn(16, 8, 3, 3, dtype=torch.float64) * 0.3 + 0.05
    got = quantize_weight(w, torch.tensor(3.0, dtype=torch.float64), w_bits).numpy()
    np.testing.assert_allclose(got, reference_weight_q(w.numpy(), 3.0, w_bits), rtol=0, atol=1e-12)
    assert len(np.unique(np.round(got / 3.0 * (2 ** (w_bits - 1) - 1)))) <= 2 ** w_bits - 1


@pytest.mark.parametrize("a_bits", [2, 4])
def test_activation_quantizer_matches_reference_and_keeps_negatives(a_bits):
    a = torch.linspace(-3, 12, 301, dtype=torch.float64)
    got = quantize_activation(a, torch.tensor(8.0, dtype=torch.float64), a_bits).numpy()
    np.testing.assert_allclose(got, reference_act_q(a.numpy(), 8.0, a_bits), rtol=0, atol=1e-12)
    assert got.min() < 0, "no lower clamp: the normalised image stays negative"
    assert got.max() == pytest.approx(8.0)


def test_activation_gradients_are_zero_where_clipped_and_alpha_gets_pact_gradient():
    a = torch.tensor([-1.0, 2.0, 7.9, 9.0, 20.0], dtype=torch.float64, requires_grad=True)
    alpha = torch.tensor(8.0, dtype=torch.float64, requires_grad=True)
    quantize_activation(a, alpha, 4).sum().backward()
    clipped = a.detach().numpy() / 8.0 > 1
    np.testing.assert_array_equal(a.grad.numpy(), np.where(clipped, 0.0, 1.0))
    scaled = a.detach().numpy() / 8.0
    residual = np.round(np.minimum(scaled, 1) * 15) / 15 - scaled
    assert alpha.grad.item() == pytest.approx(np.where(clipped, 1.0, residual).sum())


def test_weight_gradients_pass_straight_through():
    w = torch.randn(4, 4, 3, 3, dtype=torch.float64, requires_grad=True)
    alpha = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)  # small alpha: many clipped weights
    quantize_weight(w, alpha, 4).sum().backward()
    # d/dw of (w - mean)/std with statistics held constant is 1/std for every element, clipped or not
    np.testing.assert_allclose(w.grad.numpy(), np.full(w.shape, 1 / w.detach().std().item()), rtol=1e-12)


def post_relu_conv_capture(seed=0):
    torch.manual_seed(seed)
    model = VGGQuant(**QUANT)
    model.features[27].act_alpha.data.fill_(2.5)
    return capture_layer(model, torch.randn(4, 3, 32, 32), 27)


def test_integer_conversion_recovers_the_model_output():
    result = integerize(post_relu_conv_capture(), image=1, **INTEGERIZE)
    report = result["report"]
    assert report["relu"] and not report["act_signed"]
    assert report["recovered_mean_abs_error"] < 1e-5
    assert result["weight_int"].min() >= -7 and result["weight_int"].max() <= 7
    assert result["act_int"].min() >= 0 and result["act_int"].max() <= 15
    assert result["act_int"].shape == (8, 4, 4) and result["weight_int"].shape == (8, 8, 3, 3)


def test_layer0_integers_are_signed():
    torch.manual_seed(0)
    captured = capture_layer(VGGQuant(**QUANT), torch.randn(2, 3, 32, 32), 0)
    result = integerize(captured, image=0, **INTEGERIZE)
    assert result["report"]["act_signed"] and result["act_int"].min() < 0


def test_non_integer_weight_is_rejected_with_its_index():
    captured = post_relu_conv_capture()
    step = captured["wgt_alpha"] / 7
    captured["weight_q"][3, 2, 1, 0] += 0.25 * step
    with pytest.raises(IntegerCheckError, match=r"layer 27 weight_int: .* at index \(3, 2, 1, 0\)"):
        integerize(captured, image=0, **INTEGERIZE)


def test_recovered_error_above_limit_fails_the_stage():
    captured = post_relu_conv_capture()
    captured["reference"] = captured["reference"] + 0.01
    with pytest.raises(IntegerCheckError, match="layer 27: recovered output differs"):
        integerize(captured, image=0, **INTEGERIZE)


def test_quant_conv_keeps_weight_q_as_the_seed():
    conv = QuantConv2d(8, 8, **QUANT)
    conv(torch.rand(1, 8, 4, 4))
    levels = conv.weight_q / (conv.weight_quant.wgt_alpha.detach() / 7)
    assert torch.allclose(levels, levels.round(), atol=1e-5)


def test_under_bf16_autocast_activations_are_quantised_on_the_fp32_grid():
    """Only the convolution runs in bf16: its input levels are those of fp32 quantisation."""
    torch.manual_seed(0)
    conv = QuantConv2d(16, 8, **QUANT)
    with torch.no_grad():
        conv.act_alpha.fill_(7.3)
    x = (torch.randn(4, 16, 12, 12).abs() * 3).bfloat16()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = conv(x)
    levels = torch.round(x.float().clamp(max=7.3) / 7.3 * 15)
    x_q = (levels / 15 * conv.act_alpha).detach()
    expected = torch.nn.functional.conv2d(x_q.bfloat16(), conv.weight_q.bfloat16(), None, 1, 1)
    assert out.dtype == torch.bfloat16
    assert torch.equal(out, expected)
