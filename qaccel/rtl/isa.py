"""Instruction encoding of the core's controller (rtl/controller.v, rtl/README.md).

An instruction is 256 bits: the opcode in bits [3:0], the ring flag in bit 4, and its fields of 24
bits from bit 8 upward, in order: for a RUN the layer descriptor (``FIELDS``; one RUN runs a whole
layer), for a DRAIN the read-out's (``DRAIN_FIELDS``: the accumulator's words through the
requantizer and the max-pool). A ring RUN alternates its output-channel tiles between the
accumulator's two banks, and its ring DRAIN (the next instruction) reads each tile out while the
next is computed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

INSTRUCTION_BITS = 256
FIELD_BITS = 24
FIELD_OFFSET = 8
RING_BIT = 4
# The layer descriptor of a RUN (rtl/README.md, "Instruction set").
FIELDS = ("width", "height", "tile_pitch", "in_tiles", "out_tiles", "pixel_tiles", "pixels", "act_base",
          "wgt_base", "acc_base")
DRAIN_FIELDS = ("width", "height", "out_tiles", "acc_base", "pool", "level_bits", "const_base", "store", "act_base")


class Opcode(IntEnum):
    HALT = 0
    RUN_WS = 1
    RUN_OS = 2
    DRAIN = 3


@dataclass(frozen=True)
class Instruction:
    opcode: Opcode
    descriptor: dict[str, int] = field(default_factory=dict)
    ring: bool = False

    @property
    def fields(self) -> tuple[str, ...]:
        return DRAIN_FIELDS if self.opcode == Opcode.DRAIN else FIELDS

    def encode(self) -> int:
        word = int(self.opcode) | int(self.ring) << RING_BIT
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
        return f"{self.opcode.name}{' ring' if self.ring else ''} {fields}".strip()


def _instruction(opcode: Opcode, descriptor: dict[str, int], ring: bool) -> Instruction:
    instruction = Instruction(opcode, descriptor, ring)
    unknown = set(descriptor) - set(instruction.fields)
    if unknown:
        raise ValueError(f"unknown {opcode.name} fields {sorted(unknown)}; fields are {instruction.fields}")
    return instruction


def run(dataflow: str, ring: bool = False, **descriptor: int) -> Instruction:
    return _instruction(Opcode.RUN_OS if dataflow == "os" else Opcode.RUN_WS, descriptor, ring)


def drain(ring: bool = False, **descriptor: int) -> Instruction:
    return _instruction(Opcode.DRAIN, descriptor, ring)


def halt() -> Instruction:
    return Instruction(Opcode.HALT)
