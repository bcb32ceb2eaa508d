"""Whole-network inference with every QuantConv2d on a convolution backend (FORMATS.md, "Whole-network
inference on the core").

Three paths classify the same test images: the float model, the integer path (exact integer convs,
the rest on the host from the model's own modules) and the RTL path (the integer path with the
convs on the simulated core). Modules:

- ``backends``: the convolution backend interface (``ConvResult``) and the software reference.
- ``paths``: the integer path over a batch, and the float model's quantised levels per layer.
- ``checks``: core outputs against the integer path; float levels against integer levels.
- ``widths``: per-layer value ranges and the check against the core's field widths.
- ``images``: the image range and its shards (torch-free: the Snakefile reads it).
- ``shard``: one job's images (a shard) through all three paths, with every check.
- ``merge``: shards into the per-dataflow predictions and summary, and the report tables.
"""
