"""Rule data: CIFAR-10 (torchvision download or offline archive) -> resources/cifar10.npz.

The test split must hold the image that capture exports: checked here, before training, from
``capture.image`` in the config rather than a param (it shapes nothing this rule writes).
"""
from qaccel import data
from qaccel.config import check_capture_image
from qaccel.stage_log import StageLog

p = snakemake.params
with StageLog(snakemake.log[0], "data") as log:
    log(f"source={p.source} archive={p.archive}")
    arrays = data.read_source(p.source, archive=p.archive, archive_sha256=p.archive_sha256,
                              download_root=p.download_root, log=log)
    check_capture_image(snakemake.config, len(arrays["test_labels"]), p.archive or "torchvision's CIFAR-10")
    data.save(arrays, snakemake.output[0])
    log(f"wrote {snakemake.output[0]}")
