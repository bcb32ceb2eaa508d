"""Shared fixtures: a tiny workflow configuration and one tiny end-to-end run of the whole DAG per
test session (the real Snakemake on the real offline data). Helpers live in support.py."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from support import config_args, run_snakemake, tiny_settings


@pytest.fixture
def tiny_config(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_settings()))
    return path


@pytest.fixture(scope="session")
def verilator_default(tmp_path_factory):
    """The default core (8x8, 8-bit signed activations, 4-bit weights, 32-bit sums) built with
    Verilator, its memories sized for every VGG16 layer: the build the pipeline uses."""
    from qaccel.rtl.build import build_bench, layer_parameters
    from qaccel.rtl.program import CoreShape

    shape = CoreShape(8, 8, 8, 4, 32, act_signed=True)
    return build_bench("verilator", layer_parameters(shape), tmp_path_factory.mktemp("verilator_default"))


@pytest.fixture(scope="session")
def tiny_workflow(tmp_path_factory) -> Path:
    """A work directory in which the tiny configuration's whole DAG has run once."""
    workdir = tmp_path_factory.mktemp("tiny_workflow")
    (workdir / "tiny.yaml").write_text(yaml.safe_dump(tiny_settings()))
    run_snakemake(workdir, *config_args(workdir / "tiny.yaml"), "--cores", "2", "--workflow-profile", "none")
    return workdir


@pytest.fixture(scope="session")
def layer27_vectors(tiny_workflow) -> Path:
    """results/layer27 of the tiny run: holds ws/ and os/ vector sets with their manifests."""
    return tiny_workflow / "results" / "layer27"


@pytest.fixture
def copy_of_tiny_workflow(tiny_workflow, tmp_path) -> Path:
    """A private copy of the tiny run (results and Snakemake metadata) that a test may change."""
    target = tmp_path / "workflow"
    shutil.copytree(tiny_workflow, target, symlinks=True)
    return target
