"""The workflow end to end with the tiny configuration: outputs, rerun job lists, bad input."""
import json

import numpy as np
import pytest
import torch
import yaml

from qaccel.tile_check import reference_output
from qaccel.train import load_model
from qaccel.vectors import read_vectors

from support import config_args, overlay, planned_jobs, run_snakemake, tiny_settings

pytestmark = pytest.mark.slow


def test_outputs_are_exact_and_consistent(tiny_workflow):
    layer = tiny_workflow / "results/layer27"
    integers = np.load(layer / "integer.npz")
    expected = reference_output(integers["act_int"], integers["weight_int"], relu=True)
    ws_out, os_out = (layer / "ws/out.txt").read_bytes(), (layer / "os/out.txt").read_bytes()
    assert ws_out == os_out
    np.testing.assert_array_equal(read_vectors(layer / "ws/out.txt", 16, True), expected)
    activation = read_vectors(layer / "ws/activation.txt", 4, False)
    np.testing.assert_array_equal(activation.reshape(6, 6, 8)[1:5, 1:5].transpose(2, 0, 1), integers["act_int"])
    report = json.loads((layer / "integerize.json").read_text())
    assert report["recovered_mean_abs_error"] < 1e-3 and report["relu"] and report["image_index"] == 0
    for dataflow in ("ws", "os"):
        manifest = json.loads((layer / dataflow / "manifest.json").read_text())
        assert manifest["layer"] == 27 and manifest["relu"] is True
        assert all((layer / dataflow / entry["path"]).is_file() for entry in manifest["files"])
        assert json.loads((layer / dataflow / "tile_check.json").read_text())["passed"] is True
    metrics = json.loads((tiny_workflow / "results/train/metrics.json").read_text())
    assert metrics["epochs"][-1]["steps"] == 200
    model = load_model(tiny_workflow / "results/train/model.pt")
    assert model(torch.zeros(1, 3, 32, 32)).shape == (1, 10)


def test_a_finished_run_has_nothing_left_to_do(tiny_workflow):
    assert planned_jobs(tiny_workflow) == {}


NETWORK = {"network_shard": 4, "network_merge": 2, "network_report": 1}  # 2 images, 1 per shard, 2 dataflows


@pytest.mark.parametrize("change,expected", [
    ({"hardware": {"rows": 4}}, {"tile": 2, "serialize": 2, "simulate": 2, "summary": 1, **NETWORK}),
    ({"hardware": {"psum_bits": 20}}, {"serialize": 2, "simulate": 2, "summary": 1, **NETWORK}),
    ({"sim": {"simulator": "verilator"}}, {"simulate": 2, "summary": 1}),
    ({"sim": {"mem_mb": 3000}}, {}),
    ({"network": {"mem_mb": 3000}}, {}),
    ({"capture": {"image": 3}}, {"capture": 1, "integerize": 1, "tile": 2, "serialize": 2, "simulate": 2,
                                 "summary": 1}),
    ({"integerize": {"max_recovered_error": 0.01}}, {"integerize": 1, "tile": 2, "serialize": 2, "simulate": 2,
                                                     "summary": 1}),
    ({"train": {"recipes": {"seed": {"lr": 0.02}}}}, {"train": 1, "capture": 1, "integerize": 1, "tile": 2,
                                                      "serialize": 2, "simulate": 2, "summary": 1, **NETWORK}),
    ({"train": {"recipes": {"fast": {"lr": 0.5}}}}, {}),
    ({"train": {"log_every": 7}}, {}),
    ({"train": {"deterministic": False}}, {"train": 1, "capture": 1, "integerize": 1, "tile": 2, "serialize": 2,
                                           "simulate": 2, "summary": 1, **NETWORK}),
    ({"export": {"layers": [27, 29]}}, {"capture": 1, "integerize": 1, "tile": 2, "serialize": 2, "simulate": 2,
                                        "summary": 1}),
])
def test_a_changed_parameter_reruns_exactly_the_stages_that_depend_on_it(tiny_workflow, tmp_path, change, expected):
    jobs = planned_jobs(tiny_workflow, overlay(tmp_path, "change", change))
    jobs.pop("all", None)
    assert jobs == expected


def test_one_target_builds_only_its_chain(tmp_path):
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(tiny_settings()))
    jobs = planned_jobs(tmp_path, target=("results/layer27/os/out.txt",))
    assert jobs == {"data": 1, "train": 1, "capture": 1, "integerize": 1, "tile": 1, "serialize": 1}
    sim_jobs = planned_jobs(tmp_path, target=("results/layer27/ws/sim.json",))
    assert sim_jobs == {"data": 1, "train": 1, "capture": 1, "integerize": 1, "tile": 1, "serialize": 1, "simulate": 1}


def test_a_config_typo_is_rejected_before_anything_runs(tiny_workflow, tmp_path):
    typo = overlay(tmp_path, "typo", {"train": {"epoch": 3}})
    result = run_snakemake(tiny_workflow, *config_args(tiny_workflow / "tiny.yaml", typo), "--cores", "1",
                           "--workflow-profile", "none", check=False)
    assert result.returncode != 0
    assert "config key train.epoch: unknown key" in result.stdout


def test_a_missing_archive_is_named(tmp_path):
    settings = tiny_settings()
    settings["data"].update(archive=str(tmp_path / "missing.tar.gz"), archive_sha256=None)
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(settings))
    result = run_snakemake(tmp_path, *config_args(tmp_path / "tiny.yaml"), "--cores", "1", "--workflow-profile",
                           "none", "resources/cifar10.npz", check=False)
    assert result.returncode != 0
    assert f"data.archive: {tmp_path / 'missing.tar.gz'} does not exist" in result.stdout


def test_a_failing_stage_loses_nothing_already_built(copy_of_tiny_workflow):
    workdir = copy_of_tiny_workflow
    before = {path: path.read_bytes() for path in (workdir / "results").rglob("*")
              if path.is_file() and "/ws/" not in str(path) and "/os/" not in str(path)}
    narrow = overlay(workdir, "narrow", {"hardware": {"psum_bits": 4}})
    # The vector chain only: the network jobs would fail on the same width (tests/workflow/test_network.py).
    result = run_snakemake(workdir, *config_args(workdir / "tiny.yaml", narrow), "--cores", "1",
                           "--workflow-profile", "none", "results/summary.tsv", check=False)
    assert result.returncode != 0
    assert "does not fit a 4-bit signed field" in result.stdout
    assert "layer 27" in result.stdout
    assert {path: path.read_bytes() for path in before} == before
    assert (workdir / "results/layer27/ws/tiles.npz").is_file()


def test_outputs_include_rtl_results_and_summary(tiny_workflow):
    for dataflow in ("ws", "os"):
        sim = json.loads((tiny_workflow / f"results/layer27/{dataflow}/sim.json").read_text())
        assert sim["passed"] is True and sim["mismatches"] == 0 and sim["simulator"] == "icarus"
        assert sim["cycles"] >= sim["model"]["cycles"] > 0
    rows = (tiny_workflow / "results/summary.tsv").read_text().splitlines()
    assert rows[0].split("\t")[:2] == ["layer", "dataflow"]
    assert [row.split("\t")[:2] + [row.split("\t")[5]] for row in rows[1:]] == [["27", "ws", "True"], ["27", "os", "True"]]


def test_a_planted_fault_fails_the_simulate_rule_naming_its_place(copy_of_tiny_workflow):
    workdir = copy_of_tiny_workflow
    psum = workdir / "results/layer27/ws/psum_kij5.txt"
    lines = psum.read_text().splitlines(keepends=True)
    line = lines[11]
    lines[11] = line[:-2] + ("1" if line[-2] == "0" else "0") + "\n"  # flip the LSB of field 0 on file line 12
    psum.write_text("".join(lines))
    result = run_snakemake(workdir, *config_args(workdir / "tiny.yaml"), "--cores", "1", "--workflow-profile", "none",
                           "--forcerun", "simulate", "results/layer27/ws/sim.json", check=False)
    assert result.returncode != 0
    assert "psum_kij5.txt:12 field 0" in result.stdout
