"""The conv geometry that the tiling and the core's build share: a 3x3 kernel (``kij = ki*3 + kj``)
with padding 1, and tile counts. Its own module so that the simulator builds, which size their
memories with it, do not depend on the tiling's arithmetic."""
from __future__ import annotations

KERNEL = 3
PADDING = 1
KIJ = KERNEL * KERNEL


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)
