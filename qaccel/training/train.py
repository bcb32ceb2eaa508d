"""Quantization-aware training of VGG16_quant: resumable, seeded, with per-epoch metrics.

A recipe picks the batch source (``qaccel.training.batches``), precision, schedule, and whether the step
is replayed as a CUDA graph (``qaccel.training.train_step``). Each epoch's record carries the wall time
since training began (data loading, compilation, capture and evaluation included), which is the
clock the training benchmark reports against.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
import random
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from qaccel import data as cifar
from qaccel.model.checkpoint import (
    ARCH,
    CHECKPOINT_FORMAT,
    CheckpointError,
    read_checkpoint,
    require_keys,
    save_atomically,
)
from qaccel.model.quant import set_fused_quantizers, set_quantization
from qaccel.model.vgg import VGGQuant
from qaccel.workflow.config import ConfigError, default_config, recipe_defaults, recipe_problem

from .alpha_init import set_alphas_from_statistics
from .batches import DeviceBatches, seed_dataloader, subset_indices
from .progress import ProgressLog
from .train_step import CudaGraphStep, TrainStep, learning_rate, set_learning_rate

RESUME_KEYS = ("fingerprint", "epoch", "global_step", "state_dict", "optimizer", "cpu_rng", "loader_rng", "metrics")

# Defaults are the configuration schema's (qaccel/workflow/config.schema.yaml), never written twice.
_RECIPE = recipe_defaults()
_DEFAULTS = default_config()
_TRAIN, _DATA, _QUANT = _DEFAULTS["train"], _DEFAULTS["data"], _DEFAULTS["quant"]


@dataclass(frozen=True)
class Recipe:
    epochs: int
    batch_size: int
    lr: float
    momentum: float
    weight_decay: float
    nesterov: bool = _RECIPE["nesterov"]
    schedule: str = _RECIPE["schedule"]
    milestones: tuple[int, ...] = ()  # none: the schema has no default (a step schedule's recipe names them)
    gamma: float = _RECIPE["gamma"]
    warmup_epochs: float = _RECIPE["warmup_epochs"]
    label_smoothing: float = _RECIPE["label_smoothing"]
    loader: str = _RECIPE["loader"]
    num_workers: int = _RECIPE["num_workers"]
    precision: str = _RECIPE["precision"]
    channels_last: bool = _RECIPE["channels_last"]
    compile: bool = _RECIPE["compile"]
    cuda_graph: bool = _RECIPE["cuda_graph"]
    float_warmup_epochs: int = _RECIPE["float_warmup_epochs"]
    alpha_init: str = _RECIPE["alpha_init"]
    fused_quant: bool = _RECIPE["fused_quant"]

    @classmethod
    def from_dict(cls, values: dict) -> "Recipe":
        values = dict(values)
        if "milestones" in values:
            values["milestones"] = tuple(values["milestones"])
        return cls(**values)


@dataclass(frozen=True)
class RunSettings:
    device: str = _TRAIN["device"]
    seed: int = _TRAIN["seed"]
    threads: int = _TRAIN["threads"]
    train_subset: int | None = _TRAIN["train_subset"]
    test_subset: int | None = _TRAIN["test_subset"]
    max_steps: int | None = _TRAIN["max_steps"]
    max_epochs: int | None = None  # stop early; the schedule still spans the recipe's epochs (benchmarks)
    mean: tuple[float, ...] = tuple(_DATA["mean"])
    std: tuple[float, ...] = tuple(_DATA["std"])
    w_bits: int = _QUANT["w_bits"]
    a_bits: int = _QUANT["a_bits"]
    log_every: int = _TRAIN["log_every"]
    deterministic: bool = _TRAIN["deterministic"]

    @classmethod
    def from_dict(cls, values: dict) -> "RunSettings":
        """From ``qaccel.workflow.config.training_settings`` (JSON/YAML lists become tuples)."""
        return cls(**{**values, "mean": tuple(values["mean"]), "std": tuple(values["std"])})


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"train.device is {name!r} but torch sees no CUDA device")
    return torch.device(name)


def choose_recipe(spec: dict, device: torch.device, log=print) -> Recipe:
    """The recipe to train: ``spec`` itself, or under ``train.recipe: auto`` (``{"auto": {device type:
    recipe}}``, from ``training_recipe``) the one for ``device``, said up front."""
    if "auto" not in spec:
        return Recipe.from_dict(spec)
    choice = dict(spec["auto"][device.type])
    name = choice.pop("name")
    recipe = Recipe.from_dict(choice)
    if device.type == "cpu":
        log(f"train.recipe auto found no CUDA device: training the {name!r} recipe, a CPU model "
            f"({recipe.epochs} epochs of batch {recipe.batch_size}, a fixed length: 20 to 30 minutes on 2 CPU cores). "
            f"Expect about 69% test accuracy (68.7% measured), far below the GPU recipes'; the pipeline's integer "
            f"and RTL checks are exact all the same. For the real model, train on a CUDA machine (auto picks "
            f"'fast') or set train.recipe: seed (the notebook's 100 epochs: about 19 hours on 2 CPU cores).")
    else:
        log(f"train.recipe auto: training the {name!r} recipe on {device}")
    return recipe


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def lr_at(recipe: Recipe, epoch: int, step_in_epoch: int, steps_per_epoch: int) -> float:
    if recipe.schedule == "step":
        return recipe.lr * recipe.gamma ** sum(epoch >= m for m in recipe.milestones)
    if recipe.schedule == "onecycle":
        progress = epoch + step_in_epoch / steps_per_epoch
        if progress < recipe.warmup_epochs:
            return recipe.lr * progress / recipe.warmup_epochs
        remaining = max(recipe.epochs - recipe.warmup_epochs, 1e-9)
        return recipe.lr * max(0.0, 1.0 - (progress - recipe.warmup_epochs) / remaining)
    raise ValueError(f"train recipe schedule {recipe.schedule!r}: expected 'step' or 'onecycle'")


def fingerprint(recipe: Recipe, settings: RunSettings, data_path: Path) -> str:
    """Identifies a training run; a resume state from another run is ignored, never mixed in."""
    run_settings = {key: value for key, value in asdict(settings).items() if key != "log_every"}
    payload = json.dumps({"recipe": asdict(recipe), "settings": run_settings, "data": str(data_path)}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


@torch.no_grad()
def evaluate(model: nn.Module, batches, device: torch.device, autocast_dtype) -> tuple[float, float]:
    model.eval()
    correct, total, loss_sum = 0, 0, 0.0
    for inputs, targets in batches:
        inputs, targets = inputs.to(device, non_blocking=True), targets.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            logits = model(inputs)
        loss_sum += F.cross_entropy(logits.float(), targets, reduction="sum").item()
        correct += (logits.argmax(1) == targets).sum().item()
        total += targets.numel()
    return 100.0 * correct / total, loss_sum / total


@contextmanager
def exact_float32():
    """fp32 without TF32 tensor cores: the arithmetic the pipeline's CPU stages use."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


@dataclass
class TrainResult:
    metrics: list[dict] = field(default_factory=list)
    resumed_from_epoch: int = 0
    global_step: int = 0


def save_checkpoint(path: Path, model: nn.Module, settings: RunSettings, extra: dict) -> None:
    save_atomically({"format": CHECKPOINT_FORMAT, "arch": ARCH, "w_bits": settings.w_bits, "a_bits": settings.a_bits,
                     "state_dict": model.state_dict(), **extra}, path)


def check_recipe(recipe: Recipe, device: torch.device) -> None:
    """Refuse a recipe that breaks the rules of its keys (``qaccel.workflow.config.recipe_problem``, the one
    statement of them) or that cannot run on ``device``, naming the recipe key."""
    problem = recipe_problem(asdict(recipe))
    if problem:
        raise ConfigError(f"train recipe key {problem[0]}: {problem[1]}")
    if recipe.cuda_graph and device.type != "cuda":
        raise ValueError(f"train recipe key cuda_graph: needs a CUDA device, training runs on {device}")


class Batches(NamedTuple):
    train: DeviceBatches | torch.utils.data.DataLoader
    test: DeviceBatches | torch.utils.data.DataLoader
    train_images: int
    test_images: int
    train_array: np.ndarray  # the training subset's uint8 images, which alpha_init 'mse' fits to


def make_batches(data_path: Path, recipe: Recipe, settings: RunSettings, device: torch.device) -> Batches:
    """The training and test batch sources of the recipe's loader, on the configured subsets."""
    dataset = cifar.load(data_path)
    train_idx = subset_indices(len(dataset["train_labels"]), settings.train_subset, settings.seed)
    test_idx = subset_indices(len(dataset["test_labels"]), settings.test_subset, settings.seed + 1)
    train_x, train_y = dataset["train_images"][train_idx], dataset["train_labels"][train_idx]
    test_x, test_y = dataset["test_images"][test_idx], dataset["test_labels"][test_idx]
    if recipe.loader == "device":
        train_batches = DeviceBatches(train_x, train_y, recipe.batch_size, device, settings.mean, settings.std,
                                      settings.seed, full_batches_only=True)
        test_batches = DeviceBatches(test_x, test_y, 1000, device, settings.mean, settings.std, settings.seed,
                                     augment=False, shuffle=False)
    else:
        train_batches = seed_dataloader(train_x, train_y, recipe.batch_size, settings.mean, settings.std,
                                        recipe.num_workers, settings.seed, train=True)
        test_batches = seed_dataloader(test_x, test_y, recipe.batch_size, settings.mean, settings.std,
                                       recipe.num_workers, settings.seed, train=False)
    return Batches(train_batches, test_batches, len(train_y), len(test_y), train_x)


def make_optimizer(model: nn.Module, recipe: Recipe, device: torch.device) -> torch.optim.SGD:
    """Fused SGD whose lr is a device tensor that the schedule writes in place, so a captured step
    follows it. The quantizer scales form their own group: fused SGD needs every parameter of a
    group to have a momentum buffer or none, and the scales get gradients only once quantization is on."""
    scales = [p for name, p in model.named_parameters() if name.endswith("alpha")]
    others = [p for name, p in model.named_parameters() if not name.endswith("alpha")]
    return torch.optim.SGD([{"params": others}, {"params": scales}], lr=torch.tensor(recipe.lr, device=device),
                           fused=True, momentum=recipe.momentum, weight_decay=recipe.weight_decay,
                           nesterov=recipe.nesterov)


def restore(resume_path: Path, run_id: str, model: nn.Module, optimizer, train_batches, device: torch.device,
            log) -> TrainResult:
    """Continue after the last finished epoch of this run's resume state, if there is one.

    A resume state of another configuration is ignored. One that cannot be used (unreadable, keys
    missing, not fitting the model) is moved aside to ``<name>.corrupt`` with a warning, and the
    model, optimizer and random generators are put back as they were: training starts afresh,
    exactly as without the file.
    """
    resume_path = Path(resume_path)
    if not resume_path.is_file():
        return TrainResult()
    saved = (copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict()), torch.get_rng_state(),
             train_batches.generator.get_state())
    try:
        state = require_keys(read_checkpoint(resume_path, map_location=device), resume_path, RESUME_KEYS)
        if state["fingerprint"] != run_id:
            log(f"ignoring {resume_path}: it belongs to another training configuration")
            return TrainResult()
        metrics = json.loads(state["metrics"])
        model.load_state_dict(state["state_dict"])
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["cpu_rng"])
        train_batches.generator.set_state(state["loader_rng"])
    except (CheckpointError, RuntimeError, ValueError, TypeError, KeyError) as error:
        model.load_state_dict(saved[0])
        optimizer.load_state_dict(saved[1])
        torch.set_rng_state(saved[2])
        train_batches.generator.set_state(saved[3])
        aside = resume_path.with_name(resume_path.name + ".corrupt")
        os.replace(resume_path, aside)
        log(f"warning: resume state {resume_path} cannot be used ({error}); moved it to {aside}, "
            f"training starts from the first epoch")
        return TrainResult()
    log(f"resuming from {resume_path} after epoch {state['epoch']} (step {state['global_step']})")
    return TrainResult(metrics=metrics, resumed_from_epoch=state["epoch"], global_step=state["global_step"])


class EpochTraining(NamedTuple):
    global_step: int  # after the epoch
    loss: float
    accuracy: float
    seconds: float  # of the steps, their kernels finished
    started: float  # time.perf_counter() at the epoch's start


def train_epoch(step_runner, train_batches, optimizer, recipe: Recipe, epoch: int, global_step: int,
                total_steps: int, device: torch.device, memory_format, progress: ProgressLog) -> EpochTraining:
    """One pass over the training batches, stopping at ``total_steps``."""
    epoch_start = time.perf_counter()
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), dtype=torch.long, device=device)
    seen = 0
    for step, (inputs, targets) in enumerate(train_batches):
        if global_step >= total_steps:
            break
        inputs = inputs.to(device, non_blocking=True).contiguous(memory_format=memory_format)
        targets = targets.to(device, non_blocking=True)
        set_learning_rate(optimizer, lr_at(recipe, epoch, step, len(train_batches)))
        loss, logits = step_runner(inputs, targets)
        global_step += 1
        loss_sum += loss.float() * targets.numel()
        correct += (logits.argmax(1) == targets).sum()
        seen += targets.numel()
        progress.after_step(global_step, epoch, step, loss, optimizer)
    if device.type == "cuda":
        torch.cuda.synchronize(device)  # the epoch's kernels, not just their launches, belong to its time
    return EpochTraining(global_step, float(loss_sum) / max(seen, 1), 100.0 * float(correct) / max(seen, 1),
                         time.perf_counter() - epoch_start, epoch_start)


def finish(model: nn.Module, result: TrainResult, test_batches, device: torch.device, autocast_dtype, recipe: Recipe,
           settings: RunSettings, model_path: Path, metrics_path: Path, elapsed: float, log) -> None:
    """Write the checkpoint (quantised, its accuracy in exact fp32) and the metrics of every epoch."""
    set_quantization(model, True)
    last = result.metrics[-1]
    if last["quantized"] and autocast_dtype is None and device.type == "cpu":
        final_acc = last["test_acc"]
    else:  # the reported accuracy is the checkpoint's as the pipeline runs it: quantised, exact fp32
        with exact_float32():
            final_acc, _ = evaluate(model, test_batches, device, None)
        log(f"final test accuracy in fp32: {final_acc:.2f}%")
    model = model.to(memory_format=torch.contiguous_format).cpu()
    save_checkpoint(model_path, model, settings, {"test_acc": final_acc, "epochs": last["epoch"],
                                                  "steps": result.global_step})
    Path(metrics_path).write_text(json.dumps({"arch": ARCH, "device": str(device), "recipe": asdict(recipe),
                                              "settings": asdict(settings), "epochs": result.metrics,
                                              "final_test_acc": final_acc, "total_seconds": elapsed},
                                             indent=1) + "\n")


def train(data_path: Path, model_path: Path, metrics_path: Path, resume_path: Path, recipe: Recipe,
          settings: RunSettings, log=print) -> TrainResult:
    started = time.perf_counter()
    torch.set_num_threads(settings.threads)
    device = resolve_device(settings.device)
    check_recipe(recipe, device)
    seed_everything(settings.seed)
    torch.backends.cudnn.deterministic = settings.deterministic
    torch.backends.cudnn.benchmark = not settings.deterministic
    batches = make_batches(data_path, recipe, settings, device)
    train_batches, test_batches = batches.train, batches.test

    memory_format = torch.channels_last if recipe.channels_last else torch.contiguous_format
    model = VGGQuant(w_bits=settings.w_bits, a_bits=settings.a_bits).to(device).to(memory_format=memory_format)
    set_fused_quantizers(model, recipe.fused_quant)
    optimizer = make_optimizer(model, recipe, device)
    autocast_dtype = torch.bfloat16 if recipe.precision == "bf16" else None
    forward = torch.compile(model) if recipe.compile else model  # shares parameters with ``model``
    criterion = nn.CrossEntropyLoss(label_smoothing=recipe.label_smoothing)

    run_id = fingerprint(recipe, settings, data_path)
    result = restore(resume_path, run_id, model, optimizer, train_batches, device, log)
    elapsed_before = result.metrics[-1]["elapsed_seconds"] if result.metrics else 0.0
    steps_per_epoch = len(train_batches)
    total_steps = recipe.epochs * steps_per_epoch
    if settings.max_steps is not None:
        total_steps = min(total_steps, settings.max_steps)
    log(f"training {ARCH} on {device}: {batches.train_images} train / {batches.test_images} test images, "
        f"{recipe.epochs} epochs x {steps_per_epoch} steps (batch {recipe.batch_size}), "
        f"{total_steps} steps in all, loader={recipe.loader}, precision={recipe.precision}"
        f"{', CUDA graph' if recipe.cuda_graph else ''}"
        f"{f', float warm-up {recipe.float_warmup_epochs} epochs' if recipe.float_warmup_epochs else ''}")
    progress = ProgressLog(log, device, recipe.epochs, settings.log_every, steps_per_epoch, total_steps,
                           first_step=result.resumed_from_epoch * steps_per_epoch)

    def elapsed() -> float:
        return elapsed_before + time.perf_counter() - started

    epoch, global_step = result.resumed_from_epoch, result.global_step
    step_runner, runner_quantizes = None, None
    last_epoch = min(recipe.epochs, settings.max_epochs or recipe.epochs)
    while epoch < last_epoch and global_step < total_steps:
        quantize = epoch >= recipe.float_warmup_epochs
        if quantize != runner_quantizes:  # a new forward: a captured graph of the other one must not replay
            if quantize and recipe.alpha_init == "mse" and epoch == recipe.float_warmup_epochs:
                log(set_alphas_from_statistics(model, batches.train_array, settings.mean, settings.std))
            set_quantization(model, quantize)
            step_runner = TrainStep(forward, optimizer, criterion, device, autocast_dtype)
            if recipe.cuda_graph:
                step_runner = CudaGraphStep(step_runner)
            runner_quantizes = quantize
        model.train()
        trained = train_epoch(step_runner, train_batches, optimizer, recipe, epoch, global_step, total_steps, device,
                              memory_format, progress)
        global_step = trained.global_step
        test_acc, test_loss = evaluate(model, test_batches, device, autocast_dtype)
        epoch += 1
        record = {"epoch": epoch, "steps": global_step, "quantized": quantize,
                  "train_loss": trained.loss, "train_acc": trained.accuracy,
                  "test_loss": test_loss, "test_acc": test_acc, "train_seconds": trained.seconds,
                  "seconds": time.perf_counter() - trained.started, "elapsed_seconds": elapsed(),
                  "lr": learning_rate(optimizer)}
        result.metrics.append(record)
        result.global_step = global_step
        log(f"epoch {epoch}: train loss {record['train_loss']:.4f} acc {record['train_acc']:.2f}% | "
            f"test acc {test_acc:.2f}% | {record['seconds']:.1f} s (elapsed {record['elapsed_seconds']:.1f} s)")
        resume_state = {"fingerprint": run_id, "epoch": epoch, "global_step": global_step,
                        "state_dict": model.state_dict(), "optimizer": optimizer.state_dict(),
                        "cpu_rng": torch.get_rng_state(), "loader_rng": train_batches.generator.get_state(),
                        "metrics": json.dumps(result.metrics)}
        save_atomically(resume_state, resume_path)

    finish(model, result, test_batches, device, autocast_dtype, recipe, settings, model_path, metrics_path, elapsed(),
           log)
    return result


def main(argv: list[str] | None = None) -> None:
    """``python -m qaccel.training.train``: the training stage as a plain command (the rule calls the same train())."""
    import argparse

    from qaccel.workflow.config import (
        load_config_files,
        training_recipe,
        training_settings,
    )
    from qaccel.workflow.stage_log import StageLog

    parser = argparse.ArgumentParser(prog="python -m qaccel.training.train", description=main.__doc__)
    parser.add_argument("--data", required=True, help="canonical CIFAR-10 .npz (rule data)")
    parser.add_argument("--model", required=True, help="checkpoint to write (state dict)")
    parser.add_argument("--metrics", required=True, help="per-epoch metrics JSON to write")
    parser.add_argument("--resume", help="resume state file (default: beside --model)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", nargs="+", metavar="YAML",
                        help="config.yaml and overlays, merged and validated as the workflow does")
    source.add_argument("--recipe", help="the recipe as JSON (with --settings)")
    parser.add_argument("--settings", help="the run settings as JSON (with --recipe)")
    parser.add_argument("--threads", type=int, help="CPU threads (overrides train.threads)")
    parser.add_argument("--log-every", type=int, help="progress line every N steps (overrides train.log_every)")
    parser.add_argument("--log", help="also write progress lines to this file")
    args = parser.parse_args(argv)
    if args.config:
        config = load_config_files(args.config)
        recipe, settings = training_recipe(config), training_settings(config)
    else:
        if not args.settings:
            parser.error("--recipe needs --settings")
        recipe, settings = json.loads(args.recipe), json.loads(args.settings)
    if args.threads:
        settings["threads"] = args.threads
    if args.log_every:
        settings["log_every"] = args.log_every
    elif args.config:
        settings["log_every"] = config["train"]["log_every"]
    settings = RunSettings.from_dict(settings)
    resume = args.resume or str(Path(args.model).with_name("resume.pt"))
    with StageLog(args.log, "train") as log:
        train(Path(args.data), Path(args.model), Path(args.metrics), Path(resume),
              choose_recipe(recipe, resolve_device(settings.device), log), settings, log=log)


if __name__ == "__main__":
    main()
