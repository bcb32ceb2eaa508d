"""The training step: tensor learning rate, full-precision warm-up, and (on CUDA) graph replay,
each against a plain PyTorch loop written here as the reference."""
import copy

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from support import QUANT

from qaccel.model.quant import QuantConv2d, set_fused_quantizers, set_quantization
from qaccel.model.vgg import VGGQuant
from qaccel.training.train_step import CudaGraphStep, TrainStep, set_learning_rate

SCHEDULE = [0.05, 0.02, 0.08, 0.01, 0.03, 0.06]


def batches(count, device, batch=4, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return [(torch.randn(batch, 3, 32, 32, generator=generator).to(device),
             torch.randint(0, 10, (batch,), generator=generator).to(device)) for _ in range(count)]


def reference_training(model, data, momentum=0.9, weight_decay=5e-4):
    """The textbook loop: float lr set on the param group before each step."""
    optimizer = torch.optim.SGD(model.parameters(), lr=SCHEDULE[0], momentum=momentum, weight_decay=weight_decay,
                                nesterov=True)
    losses = []
    for lr, (inputs, targets) in zip(SCHEDULE, data):
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def stepped_training(model, data, wrap=lambda step: step, momentum=0.9, weight_decay=5e-4):
    device = next(model.parameters()).device
    optimizer = torch.optim.SGD(model.parameters(), lr=torch.tensor(SCHEDULE[0], device=device), fused=True,
                                momentum=momentum, weight_decay=weight_decay, nesterov=True)
    step = wrap(TrainStep(model, optimizer, nn.CrossEntropyLoss(), device, None))
    losses = []
    for lr, (inputs, targets) in zip(SCHEDULE, data):
        set_learning_rate(optimizer, lr)
        loss, _ = step(inputs, targets)
        losses.append(loss.item())
    return losses


def assert_same_parameters(a, b, rtol):
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=rtol, atol=rtol * 1e-2, msg=name)


def test_the_step_follows_a_changing_learning_rate_like_the_textbook_loop():
    torch.manual_seed(0)
    model = VGGQuant(**QUANT)
    reference = copy.deepcopy(model)
    data = batches(len(SCHEDULE), "cpu")
    losses = stepped_training(model, data)
    assert losses == pytest.approx(reference_training(reference, data), rel=1e-4)
    assert_same_parameters(model, reference, rtol=1e-4)


def test_an_unquantised_conv_is_the_plain_conv_of_the_float_weights():
    torch.manual_seed(0)
    conv = QuantConv2d(8, 16, **QUANT)
    x = torch.randn(2, 8, 6, 6) * 3
    quantised = conv(x)
    set_quantization(conv, False)
    assert torch.equal(conv(x), F.conv2d(x, conv.weight, None, 1, 1))
    assert not torch.equal(quantised, conv(x))
    set_quantization(conv, True)
    assert torch.equal(conv(x), quantised)


def test_float_warm_up_leaves_the_alphas_untouched():
    torch.manual_seed(0)
    model = VGGQuant(**QUANT)
    set_quantization(model, False)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    stepped_training(model, batches(2, "cpu"))
    after = dict(model.named_parameters())
    alphas = [name for name in before if "alpha" in name]
    assert alphas and all(torch.equal(before[name], after[name]) for name in alphas)
    assert not torch.equal(before["features.0.weight"], after["features.0.weight"])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA graphs need a CUDA device")
@pytest.mark.parametrize("fused", [False, True], ids=["reference-quantizers", "fused-quantizers"])
def test_a_replayed_cuda_graph_trains_like_eager_steps(fused):
    torch.manual_seed(0)
    torch.backends.cudnn.deterministic = True
    model = VGGQuant(**QUANT).cuda()
    set_fused_quantizers(model, fused)
    graphed = copy.deepcopy(model)
    data = batches(len(SCHEDULE), "cuda", batch=8)
    eager_losses = stepped_training(model, data)
    graph_losses = stepped_training(graphed, data, wrap=CudaGraphStep)
    assert len(SCHEDULE) > CudaGraphStep.WARMUP_STEPS + 1  # capture, then more than one replay
    assert graph_losses == pytest.approx(eager_losses, rel=1e-3)
    assert_same_parameters(graphed, model, rtol=1e-3)
