"""Helpers shared by the tests: numpy reference quantizers, the offline CIFAR-10 archive, the tiny
workflow configuration, and running the real Snakemake on this repository's Snakefile."""
from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from qaccel.data import CLASSES
from qaccel.workflow.config import default_config

REPO = Path(__file__).resolve().parent.parent
# The configuration's defaults, from the schema: tests take them from here, never as copied numbers.
DEFAULTS = default_config()
QUANT = DEFAULTS["quant"]  # w_bits, a_bits
INTEGERIZE = DEFAULTS["integerize"]  # integer_tolerance, max_recovered_error
MEAN, STD = tuple(DEFAULTS["data"]["mean"]), tuple(DEFAULTS["data"]["std"])
# The seed's accelerator: an 8x8 array, 4-bit activations and weights, 16-bit partial sums.
HW_8X8 = {"rows": 8, "cols": 8, "act_bits": 4, "weight_bits": 4, "psum_bits": 16}


def random_layer(cin: int, cout: int, height: int, width: int, seed: int = 0, weight_min: int = -7):
    """Random 4-bit integers: activations 0..15 of shape (cin, h, w), weights weight_min..7 of
    shape (cout, cin, 3, 3). The seed's weights stop at -7; -8 probes the full signed range."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 16, (cin, height, width)), rng.integers(weight_min, 8, (cout, cin, 3, 3))


def make_archive(path: Path, per_class: int = 2, bad_member: str | None = None) -> Path:
    """A small CIFAR-10-style JPEG archive: ``per_class`` random images per class and split."""
    rng = np.random.default_rng(0)
    with tarfile.open(path, "w:gz") as tar:
        for split in ("train", "test"):
            for label in CLASSES:
                for n in range(per_class):
                    buffer = io.BytesIO()
                    Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(buffer, "JPEG")
                    data = buffer.getvalue()
                    name = f"cifar10-jpeg/{split}/{label}/{n:04d}.jpg"
                    if name == bad_member:
                        data = b"not a jpeg"
                    info = tarfile.TarInfo(name)
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    return path


def reference_normalised_weight_q(normalised: np.ndarray, alpha: float, w_bits: int) -> np.ndarray:
    """FORMATS.md's weight quantizer after the normalisation, in numpy."""
    levels = 2 ** (w_bits - 1) - 1
    x = np.clip(normalised / alpha, -1, 1)
    return np.sign(x) * np.round(np.abs(x) * levels) / levels * alpha


def reference_act_q(a: np.ndarray, alpha: float, a_bits: int) -> np.ndarray:
    """FORMATS.md's activation quantizer, in numpy."""
    levels = 2**a_bits - 1
    return np.round(np.minimum(a / alpha, 1.0) * levels) / levels * alpha


ARCHIVE_SHA256 = "b379c20532d0d7113e4257fb4fe37c05481e5a503319cd10c2de3889728c9e18"


def offline_archive() -> Path:
    """The offline CIFAR-10 copy: $QACCEL_CIFAR_ARCHIVE, else ../shared/data beside the repo."""
    path = Path(os.environ.get("QACCEL_CIFAR_ARCHIVE", REPO.parent / "shared/data/cifar10-jpeg.tar.gz"))
    if not path.is_file():
        pytest.fail(f"offline CIFAR-10 archive not found at {path}; set QACCEL_CIFAR_ARCHIVE")
    return path


def tiny_settings() -> dict:
    """A hundred CPU training steps (two epochs) on a subset of the offline archive; layer 27, WS and OS; the
    whole network on test images 0 and 1, one image per shard; its bandwidth sweep at 4 and 16 bytes per cycle."""
    return {
        "data": {"source": "archive", "archive": str(offline_archive()), "archive_sha256": ARCHIVE_SHA256},
        "train": {
            "device": "cpu", "threads": 2, "train_subset": 1000, "test_subset": 200, "max_steps": 100,
            "log_every": 50, "recipe": "seed",
            "recipes": {"seed": {"epochs": 100, "batch_size": 16, "lr": 0.01, "momentum": 0.9,
                                 "weight_decay": 4.0e-4, "loader": "device"}},
        },
        "capture": {"batch_size": 8},
        "network": {"first": 0, "count": 2, "shard": 1, "bandwidths": [4, 16]},
    }


def config_args(*overlays: Path) -> list[str]:
    """--configfile with the repo's config.yaml first: a --configfile replaces the Snakefile's own."""
    return ["--configfile", str(REPO / "config.yaml"), *map(str, overlays)]


def snakemake_command(workdir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
            *args]


def run_snakemake(workdir: Path, *args: str, timeout: float = 900, check: bool = True,
                  env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the workflow in ``workdir``; on timeout send SIGINT (Snakemake cleans up), then kill."""
    process = subprocess.Popen(snakemake_command(workdir, *args), cwd=workdir, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True, env=env)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
        raise AssertionError(f"snakemake {' '.join(args)} timed out after {timeout} s:\n{output[-4000:]}")
    result = subprocess.CompletedProcess(process.args, process.returncode, output, "")
    if check and process.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({process.returncode}):\n{output[-6000:]}")
    return result


def checkout_copy(directory: Path, rtl: Path | None = None) -> Path:
    """A copy of this checkout whose package a test may edit: its own Snakefile (the jobs import qaccel
    from the Snakefile's directory) and qaccel/; the rules, scripts and config linked; rtl/ linked to
    ``rtl`` if given, else to the checkout's (the workflow reads rtl/ by its real path: the same files
    are the same inputs)."""
    copy = directory / "checkout"
    copy.mkdir()
    shutil.copy2(REPO / "Snakefile", copy)
    shutil.copytree(REPO / "qaccel", copy / "qaccel", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("workflow", "scripts", "config.yaml"):
        (copy / name).symlink_to(REPO / name)
    (copy / "rtl").symlink_to(rtl or REPO / "rtl")
    return copy


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of ``old`` in the file at ``path``."""
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} in {path}"
    path.write_text(text.replace(old, new))


def planned_jobs(workdir, *overlays, target=(), options=(), env=None):
    """Rule -> count of the jobs a dry run would execute."""
    result = run_snakemake(workdir, *config_args(workdir / "tiny.yaml", *overlays), "--dry-run", "--quiet", "rules",
                           "--workflow-profile", "none", *options, *target, env=env)
    jobs, table = {}, False
    for line in result.stdout.splitlines():
        if line.startswith("job "):
            table = True
        elif table and line.startswith("total"):
            break
        elif table and line.strip() and not line.startswith("-"):
            rule, count = line.split()
            jobs[rule] = int(count)
    return jobs


def overlay(workdir, name, settings):
    """A config overlay file ``name``.yaml in ``workdir``."""
    path = workdir / f"{name}.yaml"
    path.write_text(yaml.safe_dump(settings))
    return path
