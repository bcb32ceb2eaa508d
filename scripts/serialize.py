"""Rule serialize: the vector files of FORMATS.md and manifest.json for one layer and dataflow, and
the layer's out.txt beside the set.

Field widths: activations quant.a_bits (unsigned, after a ReLU) or, for a layer whose activations are
signed (layer 0), the core's signed lanes (hardware.act_bits); weights quant.w_bits; partial sums and
outputs export.psum_bits.

Beside them, the layer's integer-only files (FORMATS.md, "Integer-only inference"): its requantization
constants, folded from the model with the requant.* widths, and the exported image's requantized (and
pooled) levels from its exact sums.
"""
import shutil

import numpy as np
import torch

from qaccel.export.integerize import integer_conv2d
from qaccel.export.requant import RequantWidths, fold_model, requantize
from qaccel.export.serialize import Hardware, serialize
from qaccel.export.tiling import load_tiles
from qaccel.model.checkpoint import load_model
from qaccel.workflow.stage_log import StageLog

p = snakemake.params
layer_index = int(snakemake.wildcards.layer)
dataflow = snakemake.wildcards.dataflow
with StageLog(snakemake.log[0], f"serialize layer {layer_index} {dataflow}") as log:
    layer = np.load(snakemake.input.integers)
    act_signed = bool(layer["act_signed"])
    tiles = load_tiles(snakemake.input.tiles, dataflow)
    hw = Hardware(rows=p.rows, cols=p.cols, act_bits=p.signed_act_bits if act_signed else int(layer["act_bits"]),
                  weight_bits=int(layer["weight_bits"]), psum_bits=p.psum_bits)
    constants = fold_model(load_model(snakemake.input.model), RequantWidths.from_config(p.requant))[layer_index]
    sums = integer_conv2d(torch.from_numpy(layer["act_int"][None]), torch.from_numpy(layer["weight_int"])).numpy()
    manifest = serialize(snakemake.output.vectors, dataflow, tiles, layer["act_int"].shape,
                         int(layer["weight_int"].shape[0]), bool(layer["relu"]), hw, layer=layer_index,
                         act_signed=act_signed, requant=(constants, requantize(sums, constants)[0]))
    shutil.copyfile(f"{snakemake.output.vectors}/out.txt", snakemake.output.out)
    log(f"{len(manifest['files'])} files, tiles {manifest['tiles']}; activation fields {hw.act_bits} bits "
        f"{'signed' if act_signed else 'unsigned'}; requantization {manifest['requant']}")
