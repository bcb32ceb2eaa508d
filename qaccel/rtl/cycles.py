"""SCALE-Sim's analytical cycle model, per fold, for an R x C array streaming T vectors.

  WS: a fold is one (input-channel tile, output-channel tile, kij) weight set; T = (H+2)(W+2)
      padded positions. Cycles per fold 2R + C + T - 2: R to fill the weights, then the first
      vector needs R + C - 1 cycles to cross the array and the other T - 1 follow one per cycle.
  OS: a fold is one (pixel tile, output-channel tile); T = Cin * 9 (every input channel at every
      kernel offset). Cycles per fold R + C + T - 2: the last operand pair reaches the far PE
      R + C - 2 cycles after it is injected.

Folds run back to back (no overlap), as SCALE-Sim counts them. The model leaves out what the RTL
adds: instruction fetch, memory read latency, the OS drain of R rows, and the SFP pass.
"""
from __future__ import annotations

from qaccel.tiling import KIJ


def ws_fold_cycles(rows: int, cols: int, steps: int) -> int:
    return 2 * rows + cols + steps - 2


def os_fold_cycles(rows: int, cols: int, steps: int) -> int:
    return rows + cols + steps - 2


def analytical_cycles(manifest: dict) -> dict:
    """Folds, T and cycles of a layer's vector set (its manifest) under SCALE-Sim's model."""
    rows, cols = manifest["array"]["rows"], manifest["array"]["cols"]
    conv = manifest["conv"]
    tiles = manifest["tiles"]
    if manifest["dataflow"] == "ws":
        folds = tiles["ic"] * tiles["oc"] * KIJ
        steps = (conv["height"] + 2) * (conv["width"] + 2)
        per_fold = ws_fold_cycles(rows, cols, steps)
        formula = "2R + C + T - 2"
    else:
        folds = tiles["pixel"] * tiles["oc"]
        steps = conv["in_channels"] * KIJ
        per_fold = os_fold_cycles(rows, cols, steps)
        formula = "R + C + T - 2"
    return {"model": "SCALE-Sim", "formula": formula, "rows": rows, "cols": cols, "folds": folds,
            "streamed_vectors_per_fold": steps, "cycles_per_fold": per_fold, "cycles": folds * per_fold}


def conv_macs(manifest: dict) -> int:
    """Multiply-accumulates of a layer's conv (its manifest's conv shape)."""
    conv = manifest["conv"]
    return conv["height"] * conv["width"] * conv["in_channels"] * conv["out_channels"] * conv["kernel"] ** 2


def ideal_cycles(manifest: dict) -> int:
    """The fewest cycles in which the manifest's rows x cols MAC units do the layer's MACs: every unit
    busy every cycle, no fill, drain or padding lanes."""
    array = manifest["array"]
    return -(-conv_macs(manifest) // (array["rows"] * array["cols"]))
