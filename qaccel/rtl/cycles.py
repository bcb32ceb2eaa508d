"""Cycle counts of a layer on an R x C array: the core's own (rtl/README.md, "Timing"), the per-fold
model, and the ideal.

  core     WS  5 + 2R + C + (F-1)*max(P, R) + P     F = ceil(Cin/R)*ceil(Cout/C)*9 folds,
                                                    P = H*W pixels streamed per fold
           OS  4 + 3R + C + (F-1)*S + S             F = ceil(H*W/R)*ceil(Cout/C) folds,
                                                    S = ceil(Cin/R)*9*R steps per fold
           for a layer program (one RUN, then HALT). Folds follow each other with no gap, each
           lasting max(streamed words, R) cycles (WS: the next fold's R weights preload during it;
           OS: S >= 9R, so a PE's drain register is always empty again). An OS step is one input
           channel of a tap across the R pixels: the sequencer reads a block of R pixel words per
           (input tile, tap) and the transpose turns it into R steps, R cycles later. Around them:
           fetching and decoding the RUN, WS's preload of fold 0 (R), OS's transpose (R), and the
           last fold's flush: the skew,
           the array (WS: a row crosses C PEs; OS: a column drains its R results), the output
           de-skew and the accumulator. A program of several RUNs saves NEXT_RUN_SAVES cycles per RUN
           after the first (program_cycles). A DRAIN after the RUN adds drain_cycles.
  per-fold the im2col mapping of SCALE-Sim 3, folds back to back with no overlap: the layer is a
  model    (H*W) x (Cin*9) by (Cin*9) x Cout product.
           WS  F = ceil(Cin*9/R)*ceil(Cout/C) folds of 2R + C + P - 2 (load R weight rows, stream
               the P pixels through the skewed array)
           OS  F = ceil(H*W/R)*ceil(Cout/C) folds of R + C + S - 2
           SCALE-Sim 3.0.0 reports one cycle less on every layer (the index of the last cycle,
           counted from 0): tests/unit/test_scalesim.py pins this against its output.
  ideal    MACs / (R*C): every PE busy on every cycle.
"""
from __future__ import annotations

from qaccel.export.geometry import KIJ, ceil_div

from .program import ConvShape


def ws_folds(conv: ConvShape, rows: int, cols: int) -> int:
    return ceil_div(conv.in_channels, rows) * ceil_div(conv.out_channels, cols) * KIJ


def os_folds(conv: ConvShape, rows: int, cols: int) -> int:
    return ceil_div(conv.pixels, rows) * ceil_div(conv.out_channels, cols)


def os_steps(conv: ConvShape, rows: int) -> int:
    """An OS fold's steps: each input-channel tile's 9 taps, R channels each (a partial tile's missing
    channels take their step too, with zero weights)."""
    return ceil_div(conv.in_channels, rows) * KIJ * rows


def core_cycles(dataflow: str, conv: ConvShape, rows: int, cols: int) -> int:
    """The core's cycles from start to done (perf_cycles) for a layer program (RUN, HALT)."""
    if dataflow == "ws":
        folds, streamed, overhead = ws_folds(conv, rows, cols), conv.pixels, 5 + 2 * rows
    else:
        folds, streamed, overhead = os_folds(conv, rows, cols), os_steps(conv, rows), 4 + 3 * rows
    return overhead + cols + (folds - 1) * max(streamed, rows) + streamed


# Cycles a RUN after a RUN saves: its fetch and decode overlap the layer before's drain.
NEXT_RUN_SAVES = 2


def program_cycles(runs: list[tuple[str, ConvShape]], rows: int, cols: int) -> int:
    """The core's cycles from start to done for a program of several RUNs, each (dataflow,
    layer), and a HALT: each RUN's core_cycles, less NEXT_RUN_SAVES for every RUN after the first
    (it is fetched and decoded while the layer before drains, and starts on the cycle the datapath
    is empty, where a HALT would have finished)."""
    return sum(core_cycles(dataflow, conv, rows, cols) for dataflow, conv in runs) - NEXT_RUN_SAVES * (len(runs) - 1)


# A DRAIN's cycles beyond its words (measured, and accounted for): the accumulator's read (1), the
# requantizer (6), the max-pool's register (1), the controller seeing the read-out idle (1), the HALT's
# fetch, decode and finish (3); the DRAIN's own fetch and decode overlap the RUN's last results.
DRAIN_OVERHEAD = 12


def drain_cycles(conv: ConvShape, cols: int) -> int:
    """What a DRAIN between the RUN and the HALT adds: one accumulator word per cycle (Cout/C tiles of
    H*W pixels) and DRAIN_OVERHEAD."""
    return ceil_div(conv.out_channels, cols) * conv.pixels + DRAIN_OVERHEAD


# Cycles a layer after a layer saves in a chain: drain_cycles counts the HALT's fetch, decode and finish
# (3) after the DRAIN; in a chain the next RUN is fetched and decoded there instead, and core_cycles
# counts that RUN's fetch and decode already.
CHAINED_LAYER_SAVES = 3
# A ring DRAIN's last tile starts one cycle sooner after the RUN's last row than a DRAIN after the
# RUN: its tile counts as complete once the row is written, a cycle before the controller would see
# the datapath empty.
RING_DRAIN_SAVES = 1


def ring_drain_cycles(conv: ConvShape) -> int:
    """What a ring DRAIN adds to its RUN: every tile but the last is read out while the next is
    computed (a tile's read-out, H*W cycles, is shorter than a tile's compute, at least 9*H*W), so only
    the last tile's words and DRAIN_OVERHEAD, less RING_DRAIN_SAVES."""
    return conv.pixels + DRAIN_OVERHEAD - RING_DRAIN_SAVES


# A dma RUN (its weights from the DMA, tile by tile): its first tile passes the sequencer's hold, a cycle,
# before its weights are read; at each later tile, WS's last fold reads nothing ahead and the next tile
# passes the hold and preloads its fold 0 (R); OS's last weight reads, R cycles behind its steps, issue
# before the hold (R + 2). A chain's first LOAD is fetched and decoded before RUN 0 (the others while
# the layer before runs).
DMA_RUN_START = 1
FIRST_LOAD = 2


def dma_tile_switch(dataflow: str, rows: int) -> int:
    """The cycles a dma RUN adds between two of its output-channel tiles (DMA_RUN_START's comment)."""
    return rows + 1 if dataflow == "ws" else rows + 2


def chain_layer_cycles(layers: list[tuple[str, ConvShape]], rows: int, cols: int) -> list[int]:
    """Each layer's share of a chain (qaccel.rtl.program.compile_chain: LOADs, ring dma RUNs and ring
    DRAINs), from the end of the DRAIN before to the end of its own, when no tile waits for the DMA: its
    RUN, its tile switches and its ring DRAIN less the HALT's CHAINED_LAYER_SAVES, the last layer to done
    (with the HALT), the first with the first LOAD. The cycles a tile waits for its weights (the bench's
    dma_stalls) come on top."""
    last = len(layers) - 1
    return [core_cycles(dataflow, conv, rows, cols) + ring_drain_cycles(conv) + DMA_RUN_START
            + (ceil_div(conv.out_channels, cols) - 1) * dma_tile_switch(dataflow, rows)
            + (FIRST_LOAD if position == 0 else 0) - (CHAINED_LAYER_SAVES if position < last else 0)
            for position, (dataflow, conv) in enumerate(layers)]


def chain_cycles(layers: list[tuple[str, ConvShape]], rows: int, cols: int) -> int:
    """A chain: each layer's RUN and DRAIN, then a HALT."""
    return sum(chain_layer_cycles(layers, rows, cols))


def fold_model_cycles(dataflow: str, conv: ConvShape, rows: int, cols: int) -> dict:
    """The per-fold model: SCALE-Sim's im2col folds x cycles per fold, folds back to back."""
    if dataflow == "ws":
        folds = ceil_div(conv.in_channels * KIJ, rows) * ceil_div(conv.out_channels, cols)
        streamed, per_fold, formula = conv.pixels, 2 * rows + cols + conv.pixels - 2, "2R + C + P - 2"
    else:
        folds, streamed = os_folds(conv, rows, cols), conv.in_channels * KIJ
        per_fold, formula = rows + cols + streamed - 2, "R + C + S - 2"
    return {"model": "per-fold model (SCALE-Sim's im2col folds, no overlap)", "formula": formula, "rows": rows,
            "cols": cols, "folds": folds, "streamed_vectors_per_fold": streamed, "cycles_per_fold": per_fold,
            "cycles": folds * per_fold}


def ideal_cycles(conv: ConvShape, rows: int, cols: int) -> float:
    return conv.macs / (rows * cols)


def watchdog_cycles(expected: int) -> int:
    """The bench's cycle limit: twice the formula plus a margin; a core that is not done by then
    is stuck, not slow."""
    return 2 * expected + 1000
