"""Instruction encoding of the core's controller (rtl/controller.v, rtl/README.md).

An instruction is 256 bits: the opcode in bits [3:0], the ring flag in bit 4, the dma flag in bit
5, and its fields of 24 bits from bit 8 upward, in order: for a RUN the layer descriptor (``FIELDS``;
one RUN runs a whole layer), for a DRAIN the read-out's (``DRAIN_FIELDS``: the accumulator's words
through the requantizer and the max-pool), for a LOAD the DMA's (``LOAD_FIELDS``: a layer's tile
blocks in DRAM). A ring RUN alternates its output-channel tiles between the accumulator's two banks,
and its ring DRAIN reads each tile out while the next is computed; a dma RUN reads each tile's
weights from the half of the weight memory the DMA filled.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

INSTRUCTION_BITS = 256
FIELD_BITS = 24
FIELD_OFFSET = 8
RING_BIT = 4
DMA_BIT = 5
# The layer descriptor of a RUN (rtl/README.md, "Instruction set").
FIELDS = ("width", "height", "tile_pitch", "in_tiles", "out_tiles", "pixel_tiles", "pixels", "act_base",
          "wgt_base", "acc_base")
DRAIN_FIELDS = ("width", "height", "out_tiles", "acc_base", "pool", "level_bits", "const_base", "store", "act_base")
LOAD_FIELDS = ("dram_base", "tiles", "weight_beats", "const_beats")


class Opcode(IntEnum):
    HALT = 0
    RUN_WS = 1
    RUN_OS = 2
    DRAIN = 3
    LOAD = 4


@dataclass(frozen=True)
class Instruction:
    opcode: Opcode
    descriptor: dict[str, int] = field(default_factory=dict)
    ring: bool = False
    dma: bool = False

    @property
    def fields(self) -> tuple[str, ...]:
        return {Opcode.DRAIN: DRAIN_FIELDS, Opcode.LOAD: LOAD_FIELDS}.get(self.opcode, FIELDS)

    def encode(self) -> int:
        word = int(self.opcode) | int(self.ring) << RING_BIT | int(self.dma) << DMA_BIT
        for index, name in enumerate(self.fields):
            value = self.descriptor.get(name, 0)
            if not 0 <= value < 1 << FIELD_BITS:
                raise ValueError(f"{self.opcode.name} field {name}={value} does not fit {FIELD_BITS} bits")
            word |= value << (FIELD_OFFSET + index * FIELD_BITS)
        return word

    def hex(self) -> str:
        return f"{self.encode():0{INSTRUCTION_BITS // 4}x}"

    def __str__(self) -> str:
        fields = " ".join(f"{name}={self.descriptor[name]}" for name in self.fields if name in self.descriptor)
        flags = "".join(f" {name}" for name, on in (("ring", self.ring), ("dma", self.dma)) if on)
        return f"{self.opcode.name}{flags} {fields}".strip()


def _instruction(opcode: Opcode, descriptor: dict[str, int], ring: bool = False, dma: bool = False) -> Instruction:
    instruction = Instruction(opcode, descriptor, ring, dma)
    unknown = set(descriptor) - set(instruction.fields)
    if unknown:
        raise ValueError(f"unknown {opcode.name} fields {sorted(unknown)}; fields are {instruction.fields}")
    return instruction


def run(dataflow: str, ring: bool = False, dma: bool = False, **descriptor: int) -> Instruction:
    return _instruction(Opcode.RUN_OS if dataflow == "os" else Opcode.RUN_WS, descriptor, ring, dma)


def drain(ring: bool = False, **descriptor: int) -> Instruction:
    return _instruction(Opcode.DRAIN, descriptor, ring)


def load(**descriptor: int) -> Instruction:
    return _instruction(Opcode.LOAD, descriptor)


def halt() -> Instruction:
    return Instruction(Opcode.HALT)
