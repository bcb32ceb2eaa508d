"""The core a hardware run synthesises: its build key (qaccel.rtl.build.BenchParameters.key()) read
back into parameters, and the Verilog parameters of rtl/core.v they set."""
from __future__ import annotations

import re

from qaccel.rtl.build import BenchParameters

TOP = "core"
CLOCK = "clk"
KEY_PATTERN = re.compile(r"r(\d+)c(\d+)a(\d+)([su])w(\d+)p(\d+)k(\d+)l(\d+)-(\d+)\.(\d+)\.(\d+)\.(\d+)\.(\d+)"
                         r"(?:-i(\d+))?(?:-v(\d+))?(?:-d(\d+))?(?:-w(\d+))?")
# A build key's fourth memory depth belongs to the test bench's monitor, not to the core.
BENCH_ONLY = ("EXPECT_ADDR_BITS", "LEVEL_ADDR_BITS", "DRAM_ADDR_BITS")


class CoreKeyError(ValueError):
    """A core key that BenchParameters.key() does not write."""


def parameters_from_key(key: str) -> BenchParameters:
    """The BenchParameters whose key() is ``key`` (e.g. r2c2a8sw4p32k24l16-6.6.6.4.4)."""
    match = KEY_PATTERN.fullmatch(key)
    if not match:
        raise CoreKeyError(f"core key {key!r}: expected r<rows>c<cols>a<act bits><s|u>w<weight bits>p<psum bits>"
                           f"k<mult bits>l<level bits>-<act>.<wgt>.<acc>.<expect>.<const address bits>"
                           f"[-i<instr>][-v<levels>][-d<dram>][-w<act words>], e.g. r2c2a8sw4p32k24l16-6.6.6.4.4")
    (rows, cols, act, sign, weight, psum, mult, level, act_addr, wgt_addr, acc_addr, expect_addr, const_addr,
     instr_addr, level_addr, dram_addr, act_words) = match.groups()
    parameters = BenchParameters(int(rows), int(cols), int(act), int(weight), int(psum), sign == "s", int(act_addr),
                                 int(wgt_addr), int(acc_addr), int(expect_addr), mult_bits=int(mult),
                                 level_bits=int(level), const_addr_bits=int(const_addr),
                                 **({"instr_addr_bits": int(instr_addr)} if instr_addr is not None else {}),
                                 level_addr_bits=int(level_addr) if level_addr is not None else None,
                                 dram_addr_bits=int(dram_addr) if dram_addr is not None else None,
                                 act_words=int(act_words) if act_words is not None else None)
    if parameters.key() != key:  # leading zeros, say: one core, one key
        raise CoreKeyError(f"core key {key!r} is written {parameters.key()!r}")
    return parameters


def core_verilog_parameters(parameters: BenchParameters) -> dict[str, int]:
    """The parameters of rtl/core.v for ``parameters`` (the bench's own ones left out)."""
    return {name: value for name, value in parameters.verilog().items() if name not in BENCH_ONLY}

