"""Batch sources for training and evaluation.

``seed_dataloader`` is the seed's input pipeline (torchvision transforms per image in CPU worker
processes). ``DeviceBatches`` keeps the uint8 dataset on the training device and augments whole
batches there (random crop with 4-pixel zero padding, horizontal flip), which removes the CPU
bottleneck; for training it yields full batches only, so every step has the same shapes (which a
captured CUDA graph needs) and each epoch's reshuffle lets every image take part over the run.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from qaccel.data import normalise


def subset_indices(count: int, limit: int | None, seed: int) -> np.ndarray:
    """A seeded random subset (all of them when ``limit`` is None), so subsets span all classes."""
    if limit is None or limit >= count:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).permutation(count)[:limit])


class DeviceBatches:
    """Shuffled, augmented batches drawn from a uint8 dataset held on the training device.

    With ``full_batches_only`` the images left over after the last full batch sit out that epoch.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, batch_size: int, device: torch.device,
                 mean, std, seed: int, augment: bool = True, shuffle: bool = True, full_batches_only: bool = False):
        if full_batches_only and len(labels) < batch_size:
            raise ValueError(f"batch size {batch_size} is larger than the {len(labels)} training images, so no "
                             f"full batch exists (train.recipes.<recipe>.batch_size, train.train_subset)")
        self.images = torch.from_numpy(images).to(device)
        self.labels = torch.from_numpy(labels).to(device)
        self.batch_size = batch_size
        self.device = device
        self.mean = torch.tensor(mean, device=device)
        self.std = torch.tensor(std, device=device)
        self.augment = augment
        self.shuffle = shuffle
        self.full_batches_only = full_batches_only
        self.generator = torch.Generator(device=device).manual_seed(seed)

    def __len__(self) -> int:
        count = len(self.labels)
        return count // self.batch_size if self.full_batches_only else -(-count // self.batch_size)

    def _augment(self, batch: torch.Tensor) -> torch.Tensor:
        n, height, width, _ = batch.shape
        padded = F.pad(batch, (0, 0, 4, 4, 4, 4))  # zero pixels, like RandomCrop(32, padding=4)
        oy = torch.randint(0, 9, (n,), device=self.device, generator=self.generator)
        ox = torch.randint(0, 9, (n,), device=self.device, generator=self.generator)
        rows = oy[:, None] + torch.arange(height, device=self.device)
        cols = ox[:, None] + torch.arange(width, device=self.device)
        cropped = padded[torch.arange(n, device=self.device)[:, None, None], rows[:, :, None], cols[:, None, :]]
        flip = torch.rand(n, device=self.device, generator=self.generator) < 0.5
        return torch.where(flip[:, None, None, None], cropped.flip(2), cropped)

    def __iter__(self):
        count = len(self.labels)
        order = (torch.randperm(count, device=self.device, generator=self.generator) if self.shuffle
                 else torch.arange(count, device=self.device))
        for batch_index in range(len(self)):
            index = order[batch_index * self.batch_size : (batch_index + 1) * self.batch_size]
            batch = self.images[index]
            if self.augment:
                batch = self._augment(batch)
            yield normalise(batch, self.mean, self.std), self.labels[index]


class _ArrayDataset(torch.utils.data.Dataset):
    def __init__(self, images: np.ndarray, labels: np.ndarray, transform):
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index):
        return self.transform(self.images[index]), int(self.labels[index])


def seed_dataloader(images, labels, batch_size, mean, std, workers, seed, train: bool):
    """The seed's input pipeline: torchvision transforms per image in worker processes."""
    import torchvision.transforms as T

    steps = [T.ToTensor()]
    if train:
        steps += [T.RandomCrop(32, padding=4), T.RandomHorizontalFlip()]
    steps.append(T.Normalize(mean=list(mean), std=list(std)))
    return torch.utils.data.DataLoader(
        _ArrayDataset(images, labels, T.Compose(steps)), batch_size=batch_size, shuffle=train,
        num_workers=workers, generator=torch.Generator().manual_seed(seed), persistent_workers=workers > 0,
    )
