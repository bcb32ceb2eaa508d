"""Instruction encoding of the core's controller (rtl/controller.v, rtl/README.md).

An instruction is ``4 + 4*addr_bits`` bits: opcode in bits [2:0], the relu flag in bit 3, then
fields a, b, c, d of ``addr_bits`` each from bit 4 upward.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Opcode(IntEnum):
    HALT = 0
    LOAD_WEIGHTS = 1
    STREAM = 2
    SFP_COUNTS = 3
    SFP_STRIDES = 4
    SFP = 5


def instruction_bits(addr_bits: int) -> int:
    return 4 + 4 * addr_bits


@dataclass(frozen=True)
class Instruction:
    opcode: Opcode
    a: int = 0
    b: int = 0
    c: int = 0
    d: int = 0
    relu: bool = False

    def encode(self, addr_bits: int) -> int:
        limit = 1 << addr_bits
        for name in ("a", "b", "c", "d"):
            value = getattr(self, name)
            if not 0 <= value < limit:
                raise ValueError(f"{self}: field {name}={value} does not fit {addr_bits} address bits")
        word = int(self.opcode) | (int(self.relu) << 3)
        for position, value in enumerate((self.a, self.b, self.c, self.d)):
            word |= value << (4 + position * addr_bits)
        return word


def halt() -> Instruction:
    return Instruction(Opcode.HALT)


def load_weights(weight_addr: int) -> Instruction:
    """WS: weight words weight_addr .. weight_addr+ROWS-1 (word +r = array row r) into the array."""
    return Instruction(Opcode.LOAD_WEIGHTS, a=weight_addr)


def stream(act_addr: int, count: int, psum_addr: int, weight_addr: int = 0) -> Instruction:
    """Stream ``count`` activation words (OS: and weight words); results to psum_addr onward."""
    return Instruction(Opcode.STREAM, a=act_addr, b=weight_addr, c=psum_addr, d=count)


def sfp_counts(count0: int, count1: int, count2: int) -> Instruction:
    return Instruction(Opcode.SFP_COUNTS, a=count0, b=count1, c=count2)


def sfp_strides(stride0: int, stride1: int, stride2: int) -> Instruction:
    return Instruction(Opcode.SFP_STRIDES, a=stride0, b=stride1, c=stride2)


def sfp(psum_base: int, out_addr: int, relu: bool) -> Instruction:
    return Instruction(Opcode.SFP, a=psum_base, c=out_addr, relu=relu)
