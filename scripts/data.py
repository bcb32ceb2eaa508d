"""Rule data: CIFAR-10 (torchvision download or offline archive) -> resources/cifar10.npz."""
from qaccel import data
from qaccel.stage_log import StageLog

p = snakemake.params
with StageLog(snakemake.log[0], "data") as log:
    log(f"source={p.source} archive={p.archive}")
    data.prepare(p.source, snakemake.output[0], archive=p.archive, archive_sha256=p.archive_sha256,
                 download_root=p.download_root, log=log)
    log(f"wrote {snakemake.output[0]}")
