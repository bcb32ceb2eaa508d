"""Training on a small synthetic dataset: checkpoints, determinism, resume after a kill."""
import json

import numpy as np
import pytest
import torch
from support import INTEGERIZE, QUANT, REPO, reference_act_q, reference_normalised_weight_q
from test_alpha_init import reference_mse_alpha

from qaccel.data import normalise
from qaccel.export.capture import capture_layer
from qaccel.export.integerize import integerize
from qaccel.model.checkpoint import CheckpointError, load_model
from qaccel.model.quant import QuantConv2d, set_quantization
from qaccel.model.vgg import VGGQuant
from qaccel.training.alpha_init import IMAGES
from qaccel.training.batches import DeviceBatches
from qaccel.training.train import Recipe, RunSettings, choose_recipe, fingerprint, lr_at, main, train
from qaccel.workflow.config import ConfigError, check_config, default_config, load_config_files, training_recipe

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


def test_a_new_log_interval_still_resumes(dataset, tmp_path):
    with pytest.raises(Killed):
        run(dataset, tmp_path, log=kill_at("epoch 2:"))
    resumed = run(dataset, tmp_path, settings=RunSettings(**{**SETTINGS.__dict__, "log_every": 1}))
    assert resumed.resumed_from_epoch == 1


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


def test_training_batches_are_full_and_each_image_appears_at_most_once_per_epoch():
    images = np.zeros((50, 32, 32, 3), dtype=np.uint8)
    batches = DeviceBatches(images, np.arange(50), 16, torch.device("cpu"), (0, 0, 0), (1, 1, 1), seed=0,
                            full_batches_only=True)
    labels = [targets for _, targets in batches]
    assert len(batches) == 3 and [len(t) for t in labels] == [16, 16, 16]
    assert len(set(torch.cat(labels).tolist())) == 48
    test = DeviceBatches(images, np.arange(50), 16, torch.device("cpu"), (0, 0, 0), (1, 1, 1), seed=0)
    assert [len(t) for _, t in test] == [16, 16, 16, 2]
    with pytest.raises(ValueError, match=r"batch size 64 is larger than the 50 training images.*train_subset"):
        DeviceBatches(images, np.arange(50), 64, torch.device("cpu"), (0, 0, 0), (1, 1, 1), seed=0,
                      full_batches_only=True)


def test_epoch_records_carry_the_wall_time_since_training_began(dataset, tmp_path):
    result = run(dataset, tmp_path)
    elapsed = [m["elapsed_seconds"] for m in result.metrics]
    assert elapsed == sorted(elapsed) and elapsed[0] >= result.metrics[0]["seconds"]
    assert elapsed[1] - elapsed[0] >= result.metrics[1]["seconds"]
    assert json.loads((tmp_path / "metrics.json").read_text())["total_seconds"] >= elapsed[-1]


def test_float_warm_up_epochs_train_unquantised_then_quantised(dataset, tmp_path):
    recipe = Recipe(**{**RECIPE.__dict__, "float_warmup_epochs": 1})
    with pytest.raises(Killed):
        run(dataset, tmp_path, recipe=recipe, log=kill_at("epoch 2:"))
    after_warmup = torch.load(tmp_path / "resume.pt", weights_only=True)["state_dict"]
    assert after_warmup["features.0.act_alpha"].item() == 8.0  # untouched: no quantizer ran
    assert after_warmup["features.0.weight_quant.wgt_alpha"].item() == 3.0
    result = run(dataset, tmp_path, recipe=recipe)
    assert [m["quantized"] for m in result.metrics] == [False, True]
    final = torch.load(tmp_path / "model.pt", weights_only=True)["state_dict"]
    assert final["features.0.act_alpha"].item() != 8.0
    model = load_model(tmp_path / "model.pt")
    assert all(conv.quantize for conv in model.modules() if hasattr(conv, "quantize"))


def test_alphas_are_fitted_to_the_float_network_when_quantization_switches_on(dataset, tmp_path):
    """lr 0 freezes the network, so the final alphas are those set at the switch: they must equal a
    numpy search on the float network's layer inputs (the first training images as one training-mode
    batch)."""
    recipe = Recipe(**{**RECIPE.__dict__, "lr": 0.0, "float_warmup_epochs": 1, "alpha_init": "mse"})
    with pytest.raises(Killed):
        run(dataset, tmp_path, recipe=recipe, log=kill_at("epoch 2:"))
    float_state = torch.load(tmp_path / "resume.pt", weights_only=True)["state_dict"]  # after the float epoch
    lines = []
    run(dataset, tmp_path, recipe=recipe, log=lines.append)  # resumes at the switch
    assert sum(line.startswith("alphas from the float network") for line in lines) == 1

    float_model = VGGQuant(**QUANT)
    float_model.load_state_dict(float_state)
    set_quantization(float_model, False)
    arrays = np.load(dataset)
    images = normalise(torch.from_numpy(arrays["train_images"][:IMAGES]), torch.tensor(SETTINGS.mean),
                       torch.tensor(SETTINGS.std))
    indices = [i for i, module in enumerate(float_model.features) if isinstance(module, QuantConv2d)]
    layer_inputs = {}

    def keep_input(module, args):
        layer_inputs[indices[len(layer_inputs)]] = args[0].numpy().copy()

    for index in indices:
        float_model.features[index].register_forward_pre_hook(keep_input)
    with torch.no_grad():
        float_model.train()(images)
    final = load_model(tmp_path / "model.pt")
    for index in indices:
        layer_input = layer_inputs[index]
        weight = float_model.features[index].weight.detach()
        normalised = ((weight - weight.mean()) / weight.std()).numpy()
        expected_act = reference_mse_alpha(layer_input, lambda v, alpha: reference_act_q(v, alpha, 4))
        expected_wgt = reference_mse_alpha(normalised, lambda v, alpha: reference_normalised_weight_q(v, alpha, 4))
        assert final.features[index].act_alpha.item() == pytest.approx(expected_act, rel=1e-6), index
        assert final.features[index].weight_quant.wgt_alpha.item() == pytest.approx(expected_wgt, rel=1e-6), index
    assert final.features[0].act_alpha.item() < 4  # the normalised image spans about [-2, 2], not [0, 8]
    report = integerize(capture_layer(final, images[:8], 27), image=0, **INTEGERIZE)["report"]
    assert report["recovered_mean_abs_error"] < INTEGERIZE["max_recovered_error"]


@pytest.mark.parametrize("change, message", [
    ({"cuda_graph": True}, r"train recipe key cuda_graph: needs a CUDA device, training runs on cpu"),
    # the rules of the recipe keys, as the config check states them (qaccel.workflow.config.recipe_problem)
    ({"alpha_init": "mse"}, r"train recipe key alpha_init: 'mse' needs float_warmup_epochs > 0"),
    ({"float_warmup_epochs": 2}, r"train recipe key float_warmup_epochs: must be below epochs \(2\)"),
    ({"loader": "disk"}, r"train recipe key loader: 'disk' is not one of \['dataloader', 'device'\]"),
    ({"schedule": "onecycle", "warmup_epochs": 2}, r"train recipe key warmup_epochs: must be below epochs \(2\)"),
])
def test_recipes_that_cannot_run_are_refused_by_key(dataset, tmp_path, change, message):
    with pytest.raises(ValueError, match=message):
        run(dataset, tmp_path, recipe=Recipe(**{**RECIPE.__dict__, **change}))
    assert not (tmp_path / "model.pt").exists()


def test_the_reported_final_accuracy_is_the_checkpoints_in_fp32(dataset, tmp_path):
    """Trained under bf16 autocast, the model is still judged as the pipeline runs it."""
    lines = []
    # One step: bf16 autocast is slow on a CPU.
    run(dataset, tmp_path, recipe=Recipe(**{**RECIPE.__dict__, "precision": "bf16", "epochs": 1}),
        settings=RunSettings(**{**SETTINGS.__dict__, "max_steps": 1}), log=lines.append)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    arrays = np.load(dataset)
    images = torch.from_numpy(arrays["test_images"]).permute(0, 3, 1, 2).float() / 255
    mean, std = torch.tensor(SETTINGS.mean).view(1, 3, 1, 1), torch.tensor(SETTINGS.std).view(1, 3, 1, 1)
    model = load_model(tmp_path / "model.pt").eval()
    with torch.no_grad():
        predicted = model((images - mean) / std).argmax(1)
    expected = 100.0 * (predicted == torch.from_numpy(arrays["test_labels"])).float().mean().item()
    assert metrics["final_test_acc"] == pytest.approx(expected)
    assert torch.load(tmp_path / "model.pt", weights_only=True)["test_acc"] == pytest.approx(expected)
    assert any(line.startswith("final test accuracy in fp32:") for line in lines)


def test_the_plain_command_trains_from_config_files(dataset, tmp_path):
    """``python -m qaccel.training.train --config``: what a GPU machine without Snakemake runs."""
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("train: {device: cpu, threads: 1, max_steps: 4, log_every: 2, recipe: seed,"
                       " recipes: {seed: {epochs: 2, batch_size: 16, lr: 0.01, momentum: 0.9, weight_decay: 0.0004,"
                       " loader: device}}}\n")
    main(["--data", str(dataset), "--model", str(tmp_path / "model.pt"), "--metrics", str(tmp_path / "metrics.json"),
          "--config", str(REPO / "config.yaml"), str(overlay), "--log", str(tmp_path / "train.log")])
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["recipe"]["batch_size"] == 16 and metrics["epochs"][-1]["steps"] == 4
    log = (tmp_path / "train.log").read_text()
    assert sum("(total " in line for line in log.splitlines()) == 2  # steps 2 and 4: log_every from the overlay
    assert (tmp_path / "resume.pt").is_file() and load_model(tmp_path / "model.pt") is not None


def test_the_gpu_overlay_selects_the_fast_recipe_on_cuda():
    config = load_config_files([REPO / "config.yaml", REPO / "configs/gpu-fast.yaml"])
    recipe = Recipe.from_dict(training_recipe(config))
    assert config["train"]["device"] == "cuda" and recipe.cuda_graph and recipe.loader == "device"


@pytest.mark.parametrize("content, message", [
    (b"", r"bad\.pt: the file is empty \(0 bytes\), not a checkpoint"),
    (b"epoch 3 loss 0.25\n", r"bad\.pt: not a torch checkpoint: torch\.save writes a zip archive, this file starts "
                             r"with b'epoch 3 loss 0\.2'"),
])
def test_unreadable_checkpoints_are_named_with_what_is_wrong(tmp_path, content, message):
    (tmp_path / "bad.pt").write_bytes(content)
    with pytest.raises(CheckpointError, match=message):
        load_model(tmp_path / "bad.pt")


def test_a_checkpoint_cut_short_or_without_a_state_dict_is_named(dataset, tmp_path):
    run(dataset, tmp_path, recipe=Recipe(**{**RECIPE.__dict__, "epochs": 1}))
    whole = (tmp_path / "model.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(CheckpointError, match=r"cut\.pt: a zip archive cut short"):
        load_model(tmp_path / "cut.pt")
    torch.save({"arch": "VGG16_quant", "w_bits": 4, "a_bits": 4, "test_acc": 10.0}, tmp_path / "bare.pt")
    with pytest.raises(CheckpointError, match=r"bare\.pt: lacks 'state_dict' \(it holds 'arch', 'w_bits', 'a_bits', "
                                              r"'test_acc'\)"):
        load_model(tmp_path / "bare.pt")
    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(CheckpointError, match=r"list\.pt: holds a list, not a checkpoint dict"):
        load_model(tmp_path / "list.pt")


def broken_resume_states(dataset):
    """Resume files that cannot be used: garbage bytes, and a state of this very run whose weights do
    not fit (loading it would change part of the model before failing)."""
    run_id = fingerprint(RECIPE, SETTINGS, dataset)
    return {
        "garbage": lambda path: path.write_bytes(b"\x00" * 100),
        "wrong shapes": lambda path: torch.save(
            {"fingerprint": run_id, "epoch": 1, "global_step": 3, "optimizer": {}, "cpu_rng": torch.get_rng_state(),
             "loader_rng": torch.get_rng_state(), "metrics": "[]",
             "state_dict": {**VGGQuant(**QUANT).state_dict(), "classifier.weight": torch.zeros(3, 3)}}, path),
    }


@pytest.mark.parametrize("kind", ["garbage", "wrong shapes"])
def test_a_corrupt_resume_state_is_set_aside_and_training_starts_afresh(dataset, tmp_path, kind):
    straight = run(dataset, tmp_path / "straight")
    out = tmp_path / "corrupt"
    out.mkdir()
    broken_resume_states(dataset)[kind](out / "resume.pt")
    broken = (out / "resume.pt").read_bytes()
    lines = []
    result = run(dataset, out, log=lines.append)
    assert result.resumed_from_epoch == 0 and [m["epoch"] for m in result.metrics] == [1, 2]
    warning = next(line for line in lines if line.startswith("warning: resume state"))
    assert f"moved it to {out / 'resume.pt.corrupt'}, training starts from the first epoch" in warning
    assert (out / "resume.pt.corrupt").read_bytes() == broken
    expected = torch.load(tmp_path / "straight" / "model.pt", weights_only=True)["state_dict"]
    got = torch.load(out / "model.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(expected[key], got[key]) for key in expected)
    assert [m["train_loss"] for m in result.metrics] == [m["train_loss"] for m in straight.metrics]


def test_train_recipe_auto_picks_by_the_device_training_finds_and_says_so_on_a_cpu():
    config = load_config_files([REPO / "config.yaml"])
    assert config["train"]["recipe"] == "auto"
    spec = training_recipe(config)
    recipes = config["train"]["recipes"]
    lines = []
    on_cpu = choose_recipe(spec, torch.device("cpu"), lines.append)
    assert on_cpu == Recipe.from_dict(recipes["cpu"])
    assert len(lines) == 1 and "a CPU model" in lines[0] and "train.recipe: seed" in lines[0]
    assert choose_recipe(spec, torch.device("cuda"), lines.append) == Recipe.from_dict(recipes["fast"])
    assert lines[1] == "train.recipe auto: training the 'fast' recipe on cuda"
    # A named recipe is taken as it is, whatever the device.
    assert choose_recipe(recipes["seed"], torch.device("cpu"), lines.append) == Recipe.from_dict(recipes["seed"])


def test_train_recipe_auto_needs_both_recipes_it_picks_from():
    with pytest.raises(ConfigError, match=r"train.recipe: 'auto' picks among train.recipes \['cpu', 'fast'\], but "
                                          r"\['cpu'\] is not defined"):
        check_config({**default_config(), "train": {**default_config()["train"],
                                                    "recipes": {"fast": default_config()["train"]["recipes"]["fast"]}}})
