"""One real Snakemake run of the hardware targets on a small core, shared by the hw tests."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from support import config_args, run_snakemake, tiny_settings


@dataclass
class HardwareRun:
    key: str
    workdir: Path
    output: str  # Snakemake's
    synth: dict
    pnr: dict

    def log(self, name: str) -> str:
        return (self.workdir / f"logs/hw/{self.key}/{name}.log").read_text()


@pytest.fixture(scope="session")
def small_core():
    """A 2x2 core whose activation and weight memories (1024 x 16 and 4096 x 8 bits) are deep enough
    for block RAM; the other memories are small."""
    return "r2c2a8sw4p32k24l16-10.12.6.4.4"


@pytest.fixture(scope="session")
def small_core_run(small_core, tmp_path_factory) -> HardwareRun:
    """`snakemake results/hw/<small core>/pnr.json` (synthesis, then place and route), run once."""
    workdir = tmp_path_factory.mktemp("hw")
    (workdir / "tiny.yaml").write_text(yaml.safe_dump(tiny_settings()))
    result = run_snakemake(workdir, *config_args(workdir / "tiny.yaml"), "--cores", "1", "--workflow-profile", "none",
                           f"results/hw/{small_core}/pnr.json", timeout=1800)
    results = workdir / "results/hw" / small_core
    return HardwareRun(small_core, workdir, result.stdout, json.loads((results / "synth.json").read_text()),
                       json.loads((results / "pnr.json").read_text()))
