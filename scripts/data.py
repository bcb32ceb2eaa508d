"""Rule data: CIFAR-10 (torchvision download or offline archive) -> resources/cifar10.npz.

The test split must hold the image that capture exports: checked here, before training, from
``capture.image`` in the config rather than a param (it shapes nothing this rule writes).
"""
from qaccel import data
from qaccel.workflow.stage_log import StageLog

p = snakemake.params
archive = snakemake.input.get("archive")
with StageLog(snakemake.log[0], "data") as log:
    log(f"source={p.source} archive={archive}")
    arrays = data.read_source(p.source, archive=archive, archive_sha256=p.archive_sha256,
                              download_root=p.download_root, log=log)
    data.check_test_image(snakemake.config["capture"]["image"], len(arrays["test_labels"]),
                          archive or "torchvision's CIFAR-10")
    data.save(arrays, snakemake.output[0])
    log(f"wrote {snakemake.output[0]}")
