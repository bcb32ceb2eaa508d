"""Checkpoints: written whole or not at all, read back with ``weights_only`` and refused with a
message that names the file and what is wrong. Capture and the network load models from here, so
they do not import training."""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

import torch

from .vgg import VGGQuant

ARCH = "VGG16_quant"
CHECKPOINT_FORMAT = 1
MODEL_KEYS = ("w_bits", "a_bits", "state_dict")


def save_atomically(state: dict, path: Path) -> None:
    """torch.save through a temporary name, so a kill never leaves a half-written file."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    torch.save(state, partial)
    os.replace(partial, path)


class CheckpointError(ValueError):
    """A checkpoint or resume state that cannot be used; the message names the file and what is wrong."""


def read_checkpoint(path: Path, map_location="cpu") -> dict:
    """The dict a ``torch.save`` wrote to ``path`` (weights_only), or a CheckpointError saying why not."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path}: the file is empty (0 bytes), not a checkpoint")
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as handle:
            start = handle.read(16)
        if start.startswith(b"PK\x03\x04"):
            raise CheckpointError(f"{path}: a zip archive cut short (its central directory is missing): a checkpoint "
                                  f"whose writing was interrupted or that was copied incompletely")
        raise CheckpointError(f"{path}: not a torch checkpoint: torch.save writes a zip archive, this file "
                              f"starts with {start!r}")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # torch.load raises many kinds on a damaged archive
        raise CheckpointError(f"{path}: a zip archive that torch.load cannot read: "
                              f"{type(error).__name__}: {error}") from error
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f"{path}: holds a {type(checkpoint).__name__}, not a checkpoint dict")
    return checkpoint


def require_keys(checkpoint: dict, path: Path, keys: tuple[str, ...]) -> dict:
    missing = [key for key in keys if key not in checkpoint]
    if missing:
        raise CheckpointError(f"{path}: lacks {', '.join(map(repr, missing))} (it holds "
                              f"{', '.join(map(repr, checkpoint)) or 'nothing'})")
    return checkpoint


def load_model(path: Path, map_location="cpu") -> VGGQuant:
    """Load a checkpoint written by ``train`` (weights_only), refusing other architectures by name."""
    checkpoint = read_checkpoint(path, map_location)
    if checkpoint.get("arch") != ARCH:
        raise CheckpointError(f"{path}: checkpoint architecture is {checkpoint.get('arch')!r}, expected {ARCH!r}")
    require_keys(checkpoint, path, MODEL_KEYS)
    model = VGGQuant(w_bits=checkpoint["w_bits"], a_bits=checkpoint["a_bits"])
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        raise CheckpointError(f"{path}: state dict does not fit {ARCH}: {error}") from error
    return model
