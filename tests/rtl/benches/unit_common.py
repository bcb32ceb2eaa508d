"""Helpers shared by the block-level cocotb benches: clock, reset with X checks, two's complement.

Inputs are driven just after a falling edge and outputs sampled there, so every value a bench
sets is stable across the next rising edge. Every output read goes through ``resolved`` (or
``resolved_lane`` for one lane of a bus whose other lanes may hold unqualified data): under Icarus
an X or Z bit read after reset fails the test.
"""
from __future__ import annotations

from cocotb.clock import Clock
from cocotb.triggers import FallingEdge
from cocotb.types import Logic

CLOCK_NS = 10


class UnknownValueError(AssertionError):
    """A signal read after reset holds X or Z bits."""


def resolved(handle, what: str) -> int:
    """The value of ``handle`` as an unsigned int; X/Z bits fail the test, naming ``what``."""
    value = handle.value
    if not value.is_resolvable:
        raise UnknownValueError(f"{what} holds unknown bits: {value}")
    return int(value) if isinstance(value, Logic) else value.to_unsigned()


def resolved_lane(handle, index: int, bits: int, what: str) -> int:
    """Lane ``index`` (``bits`` wide) of the bus ``handle`` as an unsigned int. Only that lane must
    be known: blocks reset valid bits, not data, so an idle lane may hold X."""
    text = str(handle.value)  # most significant bit first
    chunk = text[len(text) - (index + 1) * bits:len(text) - index * bits]
    if set(chunk) - {"0", "1"}:
        raise UnknownValueError(f"{what} lane {index} holds unknown bits: {chunk}")
    return int(chunk, 2)


def wrap(value: int, bits: int) -> int:
    """Two's-complement value of ``value`` modulo 2^bits."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def signed(dut, name: str, bits: int) -> int:
    return wrap(resolved(getattr(dut, name), name), bits)


def lane(word: int, index: int, bits: int) -> int:
    return wrap(word >> (index * bits), bits)


def pack(values, bits: int) -> int:
    return sum((int(v) & ((1 << bits) - 1)) << (i * bits) for i, v in enumerate(values))


async def start_and_reset(dut, inputs: dict[str, int], outputs: list[str]) -> None:
    """Start the clock, hold reset for 3 cycles with ``inputs`` driven, check ``outputs`` known."""
    Clock(dut.clk, CLOCK_NS, unit="ns", impl="gpi").start()
    await reset(dut, inputs, outputs)


async def reset(dut, inputs: dict[str, int], outputs: list[str]) -> None:
    """Hold reset for 3 cycles with ``inputs`` driven (the clock running), check ``outputs`` known."""
    dut.rst.value = 1
    for name, value in inputs.items():
        getattr(dut, name).value = value
    for _ in range(3):
        await FallingEdge(dut.clk)
    dut.rst.value = 0
    await FallingEdge(dut.clk)
    for name in outputs:
        resolved(getattr(dut, name), name)
