"""Training on a small synthetic dataset: checkpoints, determinism, resume after a kill."""
import json

import numpy as np
import pytest
import torch

from qaccel.train import DeviceBatches, Recipe, RunSettings, load_model, lr_at, train

RECIPE = Recipe(epochs=2, batch_size=16, lr=0.01, momentum=0.9, weight_decay=4e-4, loader="device")
SETTINGS = RunSettings(device="cpu", threads=1, log_every=1000)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("data") / "small.npz"
    np.savez(path, train_images=rng.integers(0, 256, (48, 32, 32, 3), dtype=np.uint8),
             train_labels=rng.integers(0, 10, 48), test_images=rng.integers(0, 256, (16, 32, 32, 3), dtype=np.uint8),
             test_labels=rng.integers(0, 10, 16))
    return path


def run(dataset, out, recipe=RECIPE, settings=SETTINGS, log=lambda m: None):
    out.mkdir(exist_ok=True)
    return train(dataset, out / "model.pt", out / "metrics.json", out / "resume.pt", recipe, settings, log=log)


def test_checkpoint_and_metrics(dataset, tmp_path):
    result = run(dataset, tmp_path)
    assert [m["epoch"] for m in result.metrics] == [1, 2] and result.metrics[-1]["steps"] == 6
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert set(metrics["epochs"][0]) >= {"train_loss", "train_acc", "test_acc", "seconds"}
    checkpoint = torch.load(tmp_path / "model.pt", weights_only=True)
    assert checkpoint["arch"] == "VGG16_quant" and checkpoint["w_bits"] == 4
    model = load_model(tmp_path / "model.pt")
    assert model(torch.zeros(1, 3, 32, 32)).shape == (1, 10)


class Killed(Exception):
    pass


def kill_at(prefix):
    """A log callback that stops training when a line starts with ``prefix``, as a kill would."""
    def log(message):
        if message.startswith(prefix):
            raise Killed(message)
    return log


def test_a_killed_run_resumes_to_the_same_model_as_an_uninterrupted_one(dataset, tmp_path):
    run(dataset, tmp_path / "straight")
    with pytest.raises(Killed):
        run(dataset, tmp_path / "killed", log=kill_at("epoch 2:"))  # epoch 1's state is saved, epoch 2's not
    resumed = run(dataset, tmp_path / "killed")
    assert resumed.resumed_from_epoch == 1
    assert [m["epoch"] for m in resumed.metrics] == [1, 2]
    straight = torch.load(tmp_path / "straight" / "model.pt", weights_only=True)["state_dict"]
    killed = torch.load(tmp_path / "killed" / "model.pt", weights_only=True)["state_dict"]
    for key in straight:
        assert torch.equal(straight[key], killed[key]), key


def test_resume_state_of_another_configuration_is_ignored(dataset, tmp_path):
    with pytest.raises(Killed):
        run(dataset, tmp_path, log=kill_at("epoch 2:"))
    lines = []
    result = run(dataset, tmp_path, recipe=Recipe(**{**RECIPE.__dict__, "lr": 0.02}), log=lines.append)
    assert result.resumed_from_epoch == 0
    assert any("belongs to another training configuration" in line for line in lines)


def test_other_architectures_are_refused_by_name(tmp_path):
    torch.save({"arch": "ResNet18", "state_dict": {}}, tmp_path / "r.pt")
    with pytest.raises(ValueError, match=r"r\.pt: checkpoint architecture is 'ResNet18', expected 'VGG16_quant'"):
        load_model(tmp_path / "r.pt")
    torch.save({"arch": "VGG16_quant", "w_bits": 4, "a_bits": 4, "state_dict": {"features.0.weight": torch.zeros(1)}},
               tmp_path / "v.pt")
    with pytest.raises(ValueError, match=r"v\.pt: state dict does not fit VGG16_quant"):
        load_model(tmp_path / "v.pt")


def test_device_batches_augment_like_random_crop_and_flip():
    images = np.arange(4 * 32 * 32 * 3, dtype=np.int64).reshape(4, 32, 32, 3) % 251
    batches = DeviceBatches(images.astype(np.uint8), np.arange(4), 4, torch.device("cpu"), (0, 0, 0), (1, 1, 1), seed=0)
    original = torch.from_numpy(images.astype(np.uint8))
    padded = torch.nn.functional.pad(original, (0, 0, 4, 4, 4, 4))
    augmented = batches._augment(original)
    for n in range(4):
        windows = [padded[n, y:y + 32, x:x + 32] for y in range(9) for x in range(9)]
        assert any(torch.equal(augmented[n], w) or torch.equal(augmented[n], w.flip(1)) for w in windows)


def test_schedules():
    step = Recipe(epochs=50, batch_size=1, lr=0.01, momentum=0, weight_decay=0, milestones=(25, 35, 45))
    assert [round(lr_at(step, e, 0, 10), 8) for e in (0, 24, 25, 35, 45)] == [0.01, 0.01, 0.001, 0.0001, 0.00001]
    one = Recipe(epochs=10, batch_size=1, lr=0.2, momentum=0, weight_decay=0, schedule="onecycle", warmup_epochs=2)
    assert lr_at(one, 1, 0, 10) == pytest.approx(0.1) and lr_at(one, 2, 0, 10) == pytest.approx(0.2)
    assert lr_at(one, 6, 0, 10) == pytest.approx(0.1) and lr_at(one, 9, 9, 10) == pytest.approx(0.2 * 0.1 / 8)
