"""Integer-only requantization: the folding and the requantizer against a per-channel reference in
exact rationals and Python ints, the shift rule's edges, the width errors, max-pool after the clamp,
and the whole integer-only path against the float model and the integer path on a small batch."""
from fractions import Fraction

import numpy as np
import pytest
import torch
from support import HW_8X8, QUANT, random_layer

from qaccel.export.capture import capture_batch
from qaccel.export.integerize import integer_conv2d
from qaccel.export.requant import (
    RequantWidthError,
    RequantWidths,
    fold_channels,
    fold_model,
    max_pool_levels,
    requantize,
)
from qaccel.export.serialize import Hardware, export_layer, serialize
from qaccel.export.tiling import tile
from qaccel.export.vectors import read_vectors
from qaccel.model.layers import CONV_LAYERS
from qaccel.model.vgg import VGGQuant
from qaccel.network.backends import IntegerConvBackend
from qaccel.network.integer_only import (
    IntegerOnlyNetwork,
    RequantMismatch,
    check_requantized,
)
from qaccel.network.paths import IntegerNetwork

MEAN, STD = (0.491, 0.482, 0.447), (0.247, 0.243, 0.262)


def reference_fold(m: float, b: float, mult_bits: int) -> tuple[int, int, int]:
    """One channel, the rule read literally: try shifts from 63 down, rounding exact rationals half to even."""
    if m == 0:
        return 0, round(Fraction(b) * 2**63), 63
    for shift in range(63, -1, -1):
        multiplier = round(Fraction(m) * 2**shift)  # Fraction rounds half to even
        if abs(multiplier) <= 2 ** (mult_bits - 1) - 1:
            return multiplier, round(Fraction(b) * 2**shift), shift
    raise AssertionError("no shift fits")


def reference_requantize(acc: int, multiplier: int, bias: int, shift: int, out_bits: int) -> int:
    total = acc * multiplier + bias + (2 ** (shift - 1) if shift else 0)
    return min(max(total // 2**shift, 0), 2**out_bits - 1)  # floor division: the arithmetic shift


def test_folding_equals_the_per_channel_reference():
    rng = np.random.default_rng(3)
    m = np.concatenate([rng.normal(0, 1, 40) * 10.0 ** rng.integers(-6, 3, 40),
                        [0.0, 0.5, -0.5, 1.5, 2.5, 2.0**-40, 3 * 2.0**-20, -(2.0**-30)]])
    b = m * rng.normal(0, 300, m.size)  # B_c about M_c * 300 fits its 64 bits at any shift
    b[m == 0] = 3 * 2.0**-66  # with S = 63, only |b_c| < 1 fits
    for mult_bits in (2, 8, 16, 24, 31, 32):
        fit = [abs(round(Fraction(float(mc)))) <= 2 ** (mult_bits - 1) - 1 for mc in m]  # the rest: an error, below
        assert sum(fit) > 30
        folded = fold_channels(0, m[fit], b[fit], mult_bits, out_bits=4)
        expected = [reference_fold(float(mc), float(bc), mult_bits) for mc, bc in zip(m[fit], b[fit])]
        assert list(zip(folded.multiplier.tolist(), folded.bias.tolist(), folded.shift.tolist())) == expected


def test_shift_rule_edges():
    # m = 0: S = 63, M = 0, B rounded at 2^63.
    folded = fold_channels(5, [0.0], [2.0**-64 * 3], mult_bits=8, out_bits=4)
    assert (folded.multiplier[0], folded.shift[0], folded.bias[0]) == (0, 63, 2)  # 1.5 rounds half to even: 2
    # S = 0: m as large as K bits allow (127 at K = 8), and a half that rounds to even.
    folded = fold_channels(5, [127.0, 126.5, -127.4], [0.5, 1.5, -2.5], mult_bits=8, out_bits=4)
    assert folded.shift.tolist() == [0, 0, 0]
    assert folded.multiplier.tolist() == [127, 126, -127] and folded.bias.tolist() == [0, 2, -2]
    # |M| reaches exactly 2^(K-1) - 1 at the chosen shift, and one more shift would exceed it.
    folded = fold_channels(5, [63.5 / 2**10, -63.5 / 2**10], [0.0, 0.0], mult_bits=8, out_bits=4)
    assert folded.shift.tolist() == [11, 11] and folded.multiplier.tolist() == [127, -127]
    # The smallest width: K = 2 leaves M in {-1, 0, 1}.
    folded = fold_channels(5, [0.3, -0.3], [0.0, 0.0], mult_bits=2, out_bits=4)
    assert folded.multiplier.tolist() == [1, -1] and folded.shift.tolist() == [2, 2]  # round(1.2) = 1, round(2.4) = 2


def test_requantize_equals_python_ints_with_negative_m_and_the_shift_extremes():
    rng = np.random.default_rng(4)
    m = np.array([0.37, -0.02, 0.0, 1e-9, 60.0, 3e-4, 20000.5])
    b = np.array([2.3, 4.1, 3.2e-19, -0.7, -12.0, 0.25, 3.0])
    folded = fold_channels(7, m, b, mult_bits=16, out_bits=4)
    assert folded.shift[2] == 63 and folded.shift[6] == 0 and folded.multiplier[6] == 20000
    acc = rng.integers(-2**20, 2**20, (2, m.size, 3, 5), dtype=np.int64)
    got = requantize(acc, folded)
    for n, c, y, x in np.ndindex(acc.shape):
        assert got[n, c, y, x] == reference_requantize(int(acc[n, c, y, x]), int(folded.multiplier[c]),
                                                       int(folded.bias[c]), int(folded.shift[c]), 4)
    assert got.min() == 0 and got.max() == 15  # both ends of the clamp are exercised


def test_values_that_do_not_fit_name_the_layer_and_channel():
    with pytest.raises(RequantWidthError, match=r"layer 9 channel 1: m_c = 128.0 rounds to 128 even with shift 0, "
                                                r"beyond 8-bit M_c"):
        fold_channels(9, [1.0, 128.0], [0.0, 0.0], mult_bits=8, out_bits=4)
    with pytest.raises(RequantWidthError, match=r"layer 9 channel 0: B_c = round\(4\.0 \* 2\^63\)"):
        fold_channels(9, [0.0], [4.0], mult_bits=8, out_bits=4)  # a dead channel's constant output needs B at 2^63
    with pytest.raises(RequantWidthError, match=r"layer 9 channel 2: m_c is nan"):
        fold_channels(9, [1.0, 1.0, np.nan], [0.0, 0.0, 0.0], mult_bits=8, out_bits=4)
    folded = fold_channels(9, [0.9, 0.9], [0.0, 0.0], mult_bits=32, out_bits=4)  # M near 2^31
    acc = np.zeros((1, 2, 1, 2), dtype=np.int64)
    acc[0, 1, 0, 1] = 2**33  # beyond any real layer's sums: the product leaves int64
    with pytest.raises(RequantWidthError, match=r"layer 9 channel 1: \|acc \* M_c \+ B_c \+ 2\^\(S_c-1\)\| can reach"):
        requantize(acc, folded)


def test_max_pool_commutes_with_the_clamped_requantizer():
    rng = np.random.default_rng(5)
    m, b = rng.normal(0, 0.05, 6), rng.normal(0, 3, 6)
    m[0] = -abs(m[0])  # a decreasing channel: there pooling first would not commute
    folded = fold_channels(2, m, b, mult_bits=12, out_bits=4)
    acc = rng.integers(-400, 400, (3, 6, 8, 8), dtype=np.int64)
    pooled_after = max_pool_levels(requantize(acc, folded))
    windows = acc.reshape(3, 6, 4, 2, 4, 2).transpose(0, 1, 2, 4, 3, 5).reshape(3, 6, 4, 4, 4)
    pooled_acc_first = requantize(windows.max(axis=4), folded)
    increasing = folded.multiplier >= 0
    assert np.array_equal(pooled_after[:, increasing], pooled_acc_first[:, increasing])
    assert not np.array_equal(pooled_after[:, 0], pooled_acc_first[:, 0])  # the check can see a difference
    # pooling the levels equals the max of each window's levels, taken one window at a time
    levels = requantize(acc, folded)
    for n, c, y, x in np.ndindex(pooled_after.shape):
        assert pooled_after[n, c, y, x] == levels[n, c, 2 * y:2 * y + 2, 2 * x:2 * x + 2].max()


@pytest.fixture(scope="module")
def small_model():
    """The VGG16 layout with random weights, BatchNorm statistics and alphas that make the levels busy."""
    torch.manual_seed(1)
    model = VGGQuant(w_bits=QUANT["w_bits"], a_bits=QUANT["a_bits"]).eval()
    generator = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for module in model.features:
            if isinstance(module, torch.nn.BatchNorm2d):
                size = module.num_features
                module.weight.copy_(0.5 + torch.rand(size, generator=generator))
                module.bias.copy_(0.3 * torch.randn(size, generator=generator))
                module.running_mean.copy_(0.2 * torch.randn(size, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(size, generator=generator))
        for index in CONV_LAYERS:
            model.features[index].act_alpha.fill_(2.0 + index / 20)
    return model


def test_integer_only_path_against_the_float_model_and_the_integer_path(small_model):
    rng = np.random.default_rng(6)
    split = {"test_images": rng.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8), "test_labels": np.zeros(4, np.int64)}
    images, _ = capture_batch(split, 0, 4, MEAN, STD)
    # This random model's features reach about 2^16 x 2^-F: 24 bits hold them unclipped.
    widths = RequantWidths(mult_bits=24, feature_bits=24, feature_frac_bits=8)
    result = IntegerOnlyNetwork(small_model, widths, 1e-3).run(images)
    integer = IntegerNetwork(small_model, 1e-3).run(images, IntegerConvBackend())
    with torch.no_grad():
        float_classes = small_model(images).argmax(1).tolist()
    # Each layer's levels against the integer path's next-layer input levels, counted not assumed.
    convs = sorted(CONV_LAYERS)
    differing = {layer: int((result.outputs[layer] != integer.convs[k + 1].act_int.numpy()).sum())
                 for k, layer in enumerate(convs[:-1])}
    total = sum(trace.act_int.numel() for trace in integer.convs[1:])
    assert sum(differing.values()) <= total // 1000, differing
    assert 0 < result.features.max() < 2**24 - 1
    # The features are the integer path's last activations to within 2^-F (plus the constants' error).
    assert torch.allclose(result.logits, integer.logits, rtol=1e-3, atol=0.5), (result.logits, integer.logits)
    agree_integer = sum(a == b for a, b in zip(result.predictions, integer.predictions))
    agree_float = sum(a == b for a, b in zip(result.predictions, float_classes))
    integer_float = sum(a == b for a, b in zip(integer.predictions, float_classes))
    assert agree_integer == 4 and agree_float == integer_float, (result.predictions, integer.predictions, float_classes)
    # A width of 8 bits for M moves levels: the comparison can fail.
    coarse = IntegerOnlyNetwork(small_model, RequantWidths(8, 24, 8), 1e-3).run(images)
    assert any(not np.array_equal(coarse.outputs[layer], result.outputs[layer]) for layer in convs)


def test_check_requantized_names_image_layer_pixel_and_channel():
    expected = np.zeros((2, 3, 4, 4), dtype=np.int64)
    got = expected.copy()
    check_requantized(expected, got, 7, [40, 41], "the core")
    got[1, 2, 3, 1] = 5
    with pytest.raises(RequantMismatch, match=r"^image 41, layer 7, pixel 13 \(y 3, x 1\), channel 2: the core 5, "
                                              r"integer-only path 0 \(1 of 96 requantized values differ"):
        check_requantized(expected, got, 7, [40, 41], "the core")


def test_fold_model_uses_the_next_alpha_and_two_to_the_f_last(small_model):
    widths = RequantWidths(mult_bits=20, feature_bits=12, feature_frac_bits=6)
    constants = fold_model(small_model, widths)
    convs = sorted(CONV_LAYERS)
    assert sorted(constants) == convs
    assert [constants[layer].out_bits for layer in convs] == [4] * (len(convs) - 1) + [12]
    # layer 27 has no BatchNorm (g = 1, h = 0): m from the scales and the next alpha only, b = 0
    conv, following = small_model.features[27], small_model.features[29]
    m = (conv.act_alpha.item() / 15) * (conv.weight_quant.wgt_alpha.item() / 7) * 1.0 * 15 / following.act_alpha.item()
    assert [reference_fold(m, 0.0, 20)] * 8 == list(zip(constants[27].multiplier.tolist(), constants[27].bias.tolist(),
                                                         constants[27].shift.tolist()))
    # the last conv: BatchNorm folded, times 2^F
    last = convs[-1]
    conv, bn = small_model.features[last], small_model.features[last + 1]
    for c in (0, 311):
        g = bn.weight[c].item() / (float(bn.running_var[c]) + bn.eps) ** 0.5
        h = bn.bias[c].item() - float(bn.running_mean[c]) * g
        scale = (conv.act_alpha.item() / 15) * (conv.weight_quant.wgt_alpha.item() / 7)
        assert reference_fold(scale * g * 2**6, h * 2**6, 20) == (
            int(constants[last].multiplier[c]), int(constants[last].bias[c]), int(constants[last].shift[c]))


def test_the_vector_set_holds_the_constants_and_the_requantized_and_pooled_levels(tmp_path):
    act, weight = random_layer(5, 6, 4, 6, seed=8)
    m = np.array([0.02, -0.01, 0.0, 0.005, 0.013, 0.03])
    constants = fold_channels(3, m, m * 40 + 0.3, mult_bits=12, out_bits=4)  # layer 3: a max-pool follows
    sums = integer_conv2d(torch.from_numpy(act[None]), torch.from_numpy(weight)).numpy()
    levels = requantize(sums, constants)[0]
    manifest = export_layer(tmp_path / "ws", "ws", act, weight, relu=False, hw=HW_8X8, layer=3)
    before = {entry["path"]: (tmp_path / "ws" / entry["path"]).read_bytes() for entry in manifest["files"]}
    tiles = tile("ws", act.astype(np.int64), weight.astype(np.int64), 8, 8, False)
    manifest = serialize(tmp_path / "ws", "ws", tiles, act.shape, 6, False, Hardware(**HW_8X8), layer=3,
                         requant=(constants, levels))
    # today's files keep their bytes
    assert {path: (tmp_path / "ws" / path).read_bytes() for path in before} == before
    assert manifest["requant"] == {"mult_bits": 12, "out_bits": 4, "pooled": True}
    entries = {entry["path"]: entry for entry in manifest["files"]}
    expected_levels = [[reference_requantize(int(sums[0, c, y, x]), int(constants.multiplier[c]),
                                             int(constants.bias[c]), int(constants.shift[c]), 4)
                        for c in range(6)] for y in range(4) for x in range(6)]  # pixel order, channel 0 first
    expected_pooled = [[max(expected_levels[(2 * y + dy) * 6 + 2 * x + dx][c] for dy in (0, 1) for dx in (0, 1))
                        for c in range(6)] for y in range(2) for x in range(3)]
    for name, bits, signed, expected in (
            ("requant_mult.txt", 12, True, [[v] for v in constants.multiplier.tolist()]),
            ("requant_bias.txt", 64, True, [[v] for v in constants.bias.tolist()]),
            ("requant_shift.txt", 6, False, [[v] for v in constants.shift.tolist()]),
            ("requant_out.txt", 4, False, expected_levels),
            ("requant_pooled.txt", 4, False, expected_pooled)):
        assert (entries[name]["bits"], entries[name]["signed"]) == (bits, signed)
        text = (tmp_path / "ws" / name).read_text().splitlines()
        assert text[0].startswith("#") and len(text) == 3 + len(expected)
        # line: fields highest channel first, each `bits` wide, MSB first (two's complement when signed)
        assert text[3:] == ["".join(format(v & (2**bits - 1), f"0{bits}b") for v in reversed(line)) for line in expected]
        assert read_vectors(tmp_path / "ws" / name, bits, signed).tolist() == expected
