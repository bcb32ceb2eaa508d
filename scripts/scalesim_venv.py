"""Rule scalesim_venv: SCALE-Sim's own virtual environment, from PyPI (qaccel/scalesim/environment.py)."""
from pathlib import Path

from qaccel.scalesim.environment import create_environment
from qaccel.workflow.stage_log import StageLog

with StageLog(snakemake.log[0], "scalesim_venv") as log:
    create_environment(Path(snakemake.output[0]), snakemake.params.packages, log)
