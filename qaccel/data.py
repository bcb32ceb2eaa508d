"""CIFAR-10 in one cached canonical form: an .npz of uint8 images (N, 32, 32, 3) and int64 labels.

Two sources: torchvision's official download (the default), or an offline archive of JPEGs laid
out as ``<top>/{train,test}/<class>/<name>.jpg`` (the form of ``shared/data/cifar10-jpeg.tar.gz``).
"""
from __future__ import annotations

import hashlib
import io
import os
import tarfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch is not imported here: the Snakefile reads this module while parsing
    import torch

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
SPLITS = ("train", "test")
IMAGE_SHAPE = (32, 32, 3)
TEST_IMAGES = 10000  # CIFAR-10's test split, from either source


class DatasetError(RuntimeError):
    """The dataset source is missing, corrupt or laid out unexpectedly."""


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def from_torchvision(root: Path, log=print) -> dict[str, np.ndarray]:
    import torchvision

    arrays = {}
    for split in SPLITS:
        log(f"torchvision CIFAR10 {split} split (downloads about 170 MB into {root} if missing)")
        try:
            dataset = torchvision.datasets.CIFAR10(root=str(root), train=split == "train", download=True)
        except (OSError, RuntimeError) as error:
            raise DatasetError(
                f"data.source torchvision: CIFAR-10 could not be downloaded to or read from {root} ({error}); "
                f"without a network use data.source: archive (configs/offline.yaml)"
            ) from error
        arrays[f"{split}_images"] = np.asarray(dataset.data, dtype=np.uint8)
        arrays[f"{split}_labels"] = np.asarray(dataset.targets, dtype=np.int64)
    return arrays


def from_jpeg_archive(archive: Path, expected_sha256: str | None, log=print) -> dict[str, np.ndarray]:
    from PIL import Image

    archive = Path(archive)
    if not archive.is_file():
        raise DatasetError(f"data.archive: {archive} does not exist")
    if expected_sha256:
        actual = sha256_of(archive)
        if actual != expected_sha256.lower():
            raise DatasetError(f"data.archive: {archive} has sha256 {actual}, expected {expected_sha256} "
                               f"(data.archive_sha256, or the digest the workflow read while parsing)")
    images: dict[str, list[tuple[str, int, np.ndarray]]] = {split: [] for split in SPLITS}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for count, member in enumerate(tar, start=1):
                place = _archive_image(archive, member)
                if place is None:
                    continue
                split, label_name = place
                data = tar.extractfile(member).read()
                try:
                    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.uint8)
                except Exception as error:
                    raise DatasetError(f"{archive}: {member.name} is not a readable JPEG ({error})") from error
                if pixels.shape != IMAGE_SHAPE:
                    raise DatasetError(f"{archive}: {member.name} has shape {pixels.shape}, expected {IMAGE_SHAPE}")
                images[split].append((member.name, CLASSES.index(label_name), pixels))
                if count % 10000 == 0:
                    log(f"  decoded {count} archive members")
    except (tarfile.TarError, EOFError, OSError) as error:
        raise DatasetError(f"{archive}: corrupt or unreadable archive ({error})") from error
    arrays = {}
    for split, entries in images.items():
        if not entries:
            raise DatasetError(f"{archive}: no {split} images found")
        entries.sort(key=lambda entry: (entry[1], entry[0]))  # class order, then file name
        arrays[f"{split}_images"] = np.stack([pixels for _, _, pixels in entries])
        arrays[f"{split}_labels"] = np.array([label for _, label, _ in entries], dtype=np.int64)
        log(f"  {split}: {len(entries)} images")
    return arrays


def _archive_image(archive: Path, member: tarfile.TarInfo) -> tuple[str, str] | None:
    """(split, class name) of an image member of the archive, None for anything else (folders, other files)."""
    parts = Path(member.name).parts
    if not member.isfile() or len(parts) < 3 or not member.name.lower().endswith(".jpg"):
        return None
    split, label_name = parts[-3], parts[-2]
    if split not in SPLITS or label_name not in CLASSES:
        raise DatasetError(f"{archive}: unexpected member {member.name} (want <top>/{{train,test}}/<class>/*.jpg)")
    return split, label_name


def archive_test_images(archive: Path) -> int:
    """The images in the test split of a JPEG archive, counted from its member names (nothing decoded)."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            return sum(place[0] == "test" for place in (_archive_image(archive, member) for member in tar) if place)
    except (tarfile.TarError, EOFError, OSError) as error:
        raise DatasetError(f"{archive}: corrupt or unreadable archive ({error})") from error


def read_source(source: str, archive: Path | None = None, archive_sha256: str | None = None,
                download_root: Path | None = None, log=print) -> dict[str, np.ndarray]:
    """The canonical arrays from ``source`` (torchvision or archive)."""
    if source == "torchvision":
        return from_torchvision(Path(download_root), log)
    if source == "archive":
        if archive is None:
            raise DatasetError("data.source is 'archive' but data.archive is not set")
        return from_jpeg_archive(Path(archive), archive_sha256, log)
    raise DatasetError(f"data.source: {source!r} is neither 'torchvision' nor 'archive'")


def prepare(source: str, out_path: Path, archive: Path | None = None, archive_sha256: str | None = None,
            download_root: Path | None = None, log=print) -> None:
    """Build the canonical .npz at ``out_path``."""
    save(read_source(source, archive, archive_sha256, download_root, log), out_path)


def save(arrays: dict[str, np.ndarray], out_path: Path) -> None:
    """Write the canonical .npz through a temporary name."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(out_path.name + ".partial.npz")
    np.savez(partial, **arrays)
    os.replace(partial, out_path)


def load(path: Path, keys: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """The arrays of a prepared .npz; ``keys`` reads only those (the test split alone is 30 MB of 180)."""
    with np.load(path) as data:
        return {key: data[key] for key in (data.files if keys is None else keys)}


def check_test_image(image: int, test_images: int, source) -> None:
    """``capture.image`` must index the test split of ``source``, which holds ``test_images`` images."""
    if image >= test_images:
        raise DatasetError(f"config key capture.image: {image} is beyond the test split of {source}, which holds "
                           f"{test_images} images (indices 0..{test_images - 1})")


def test_split_size(path: Path) -> int:
    """Images in the test split of a canonical .npz, read from the array's header alone."""
    with zipfile.ZipFile(path) as npz, npz.open("test_labels.npy") as member:
        major, _ = np.lib.format.read_magic(member)
        read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        shape, _, _ = read_header(member)
    return shape[0]


def normalise(images_uint8_nhwc: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """As the seed's ToTensor + Normalize: x / 255, then (x - mean) / std, channels first."""
    x = images_uint8_nhwc.permute(0, 3, 1, 2).float().div_(255.0)
    return (x - mean.view(1, -1, 1, 1)) / std.view(1, -1, 1, 1)
