"""Rule data: CIFAR-10 (torchvision download or offline archive) -> resources/cifar10.npz.

That the test split holds capture.image and the network's images is checked while parsing
(qaccel.workflow.checks), before any job.
"""
from qaccel import data
from qaccel.workflow.stage_log import StageLog

p = snakemake.params
archive = snakemake.input.get("archive")
with StageLog(snakemake.log[0], "data") as log:
    log(f"source={p.source} archive={archive}")
    arrays = data.read_source(p.source, archive=archive, archive_sha256=p.archive_sha256,
                              download_root=p.download_root, log=log)
    data.save(arrays, snakemake.output[0])
    log(f"wrote {snakemake.output[0]}")
