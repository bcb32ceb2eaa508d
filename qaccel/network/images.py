"""Which test images a network run covers, and how they split into shards: plain arithmetic, no
torch, so that parsing the Snakefile stays fast.

Shards start at multiples of ``network.shard`` (absolute test-split indices), cut to the range
``network.first`` .. ``first + count - 1``: growing or moving the range keeps the names, and so the
results, of every shard it does not touch.
"""
from __future__ import annotations


class ImageRangeError(ValueError):
    """The configured images are not all in the test split."""


def shard_ranges(first: int, count: int, shard: int) -> list[tuple[int, int]]:
    """(first, last) image indices, both included, of each shard of ``first`` .. ``first + count - 1``."""
    stop = first + count
    starts = range(first - first % shard, stop, shard)
    return [(max(start, first), min(start + shard, stop) - 1) for start in starts]


def check_image_range(first: int, last: int, available: int, data_path: str) -> None:
    if not 0 <= first <= last < available:
        raise ImageRangeError(
            f"network images {first}-{last}: the test split of {data_path} has {available} images (0-{available - 1}); "
            f"network.first + network.count must not exceed {available}")
