"""The workflow end to end with the tiny configuration: outputs, rerun job lists, bad input."""
import hashlib
import json
import os
import re
import shutil
import time

import numpy as np
import pytest
import torch
import yaml
from support import (
    DEFAULTS,
    REPO,
    checkout_copy,
    config_args,
    edit,
    make_archive,
    overlay,
    planned_jobs,
    run_snakemake,
    tiny_settings,
)

from qaccel.export.tile_check import reference_output
from qaccel.export.vectors import read_vectors
from qaccel.model.checkpoint import load_model
from qaccel.rtl.build import layer_parameters, network_parameters
from qaccel.rtl.limits import core_shape

pytestmark = pytest.mark.slow

# What a change of the tiling, the array or the vectors re-runs after its own stage: the summary, the
# figures that show its files, and the jobs figure (every job's benchmark).
REPORTED_AFTER_VECTORS = {"summary": 1, "layer_figure": 1, "rtl_figures": 1, "jobs_figure": 1}
# Each vector set is checked twice: on the pipeline's core (simulate) and by core_tb.v (tb).
CHECKS = {"simulate": 2, "tb": 2}
EVERYTHING_AFTER_TRAINING = {"train": 1, "training_figures": 1, "capture": 1, "integerize": 1, "tile": 2,
                             "serialize": 2, **CHECKS, **REPORTED_AFTER_VECTORS}
# A changed core: layer 27's Icarus build, the network's Verilator build, and core_tb.v's build.
CORE_REBUILT = {"sim_build": 2, "tb_build": 1}


def test_outputs_are_exact_and_consistent(tiny_workflow):
    layer = tiny_workflow / "results/layer27"
    integers = np.load(layer / "integer.npz")
    expected = reference_output(integers["act_int"], integers["weight_int"], relu=True)
    ws_out, os_out = (layer / "ws/vectors/out.txt").read_bytes(), (layer / "os/vectors/out.txt").read_bytes()
    assert ws_out == os_out
    # The layer's out.txt beside each set (results/layer27/os/out.txt) is the set's own.
    assert (layer / "ws/out.txt").read_bytes() == ws_out and (layer / "os/out.txt").read_bytes() == os_out
    np.testing.assert_array_equal(read_vectors(layer / "ws/vectors/out.txt", 16, True), expected)
    activation = read_vectors(layer / "ws/vectors/activation.txt", 4, False)
    np.testing.assert_array_equal(activation.reshape(6, 6, 8)[1:5, 1:5].transpose(2, 0, 1), integers["act_int"])
    report = json.loads((layer / "integerize.json").read_text())
    assert report["recovered_mean_abs_error"] < 1e-3 and report["relu"] and report["image_index"] == 0
    for dataflow in ("ws", "os"):
        manifest = json.loads((layer / dataflow / "vectors/manifest.json").read_text())
        assert manifest["layer"] == 27 and manifest["relu"] is True
        listed = {entry["path"] for entry in manifest["files"]}
        written = {path.name for path in (layer / dataflow / "vectors").iterdir()} - {".snakemake_timestamp"}
        assert written == listed | {"manifest.json"}
        assert json.loads((layer / dataflow / "tile_check.json").read_text())["passed"] is True
    metrics = json.loads((tiny_workflow / "results/train/metrics.json").read_text())
    assert metrics["epochs"][-1]["steps"] == tiny_settings()["train"]["max_steps"]
    model = load_model(tiny_workflow / "results/train/model.pt")
    assert model(torch.zeros(1, 3, 32, 32)).shape == (1, 10)


def test_a_finished_run_has_nothing_left_to_do(tiny_workflow):
    assert planned_jobs(tiny_workflow) == {}


# The network's runs (2 images, 1 per shard, both dataflows) and its bandwidth sweep with the figure of it.
NETWORK_RUNS = {"network_shard": 4, "network_merge": 2, "network_report": 1, "network_figure": 1}
NETWORK = {**NETWORK_RUNS, "network_bandwidth": 1, "memory_bound_figure": 1}


@pytest.mark.parametrize("change,expected", [
    # A 4x4 array (the network runs on square arrays only).
    ({"hardware": {"rows": 4, "cols": 4}}, {"tile": 2, "serialize": 2, **CHECKS, **CORE_REBUILT, **REPORTED_AFTER_VECTORS,
                                            **NETWORK}),
    # The core's accumulator width: the same vector files, checked on a new core.
    ({"hardware": {"psum_bits": 20}}, {**CORE_REBUILT, **CHECKS, "summary": 1, "rtl_figures": 1, "jobs_figure": 1,
                                       **NETWORK}),
    # The files' partial-sum fields: new files, the same core.
    ({"export": {"psum_bits": 20}}, {"serialize": 2, **CHECKS, **REPORTED_AFTER_VECTORS}),
    # Layer 27 and core_tb.v move to Verilator: the layer build's Verilator build is new (the network's
    # accelerator is a build of its own, Verilator's already).
    ({"sim": {"simulator": "verilator"}}, {"sim_build": 1, "simulate": 2, "tb_build": 1, "tb": 2, "summary": 1,
                                           "rtl_figures": 1, "jobs_figure": 1}),
    # A plain build of the network's core (no profile): rebuilt, and the network runs again on it; the
    # layer build is Icarus's, which has no profile.
    ({"sim": {"profile_guided": False}}, {"sim_build": 1, **NETWORK, "jobs_figure": 1}),
    # The DRAM is the bench's model, not the core: the network runs again, nothing is rebuilt; the sweep
    # sets its own bandwidths, its latency is the configuration's.
    ({"hardware": {"dram_bytes_per_cycle": 8}}, {**NETWORK_RUNS, "jobs_figure": 1}),
    ({"hardware": {"dram_latency": 50}}, {**NETWORK, "jobs_figure": 1}),
    ({"network": {"bandwidths": [2, 16]}}, {"network_bandwidth": 1, "memory_bound_figure": 1, "jobs_figure": 1}),
    # A planted fault is a core of its own; core_tb.v's build and its files are not the pipeline's core.
    ({"sim": {"mutant": "MUTANT_ACC_FIRST"}}, {"sim_build": 2, "simulate": 2, "summary": 1, "rtl_figures": 1,
                                               "jobs_figure": 1, **NETWORK}),
    ({"sim": {"mem_mb": 3000}}, {}),
    ({"network": {"mem_mb": 3000}}, {}),
    ({"capture": {"image": 3}}, {"capture": 1, "integerize": 1, "tile": 2, "serialize": 2, **CHECKS,
                                 **REPORTED_AFTER_VECTORS}),
    ({"integerize": {"max_recovered_error": 0.01}}, {"integerize": 1, "tile": 2, "serialize": 2, **CHECKS,
                                                     **REPORTED_AFTER_VECTORS}),
    ({"train": {"recipes": {"seed": {"lr": 0.02}}}}, {**EVERYTHING_AFTER_TRAINING, **NETWORK}),
    ({"train": {"recipes": {"fast": {"lr": 0.5}}}}, {}),
    ({"train": {"log_every": 7}}, {}),
    ({"train": {"deterministic": False}}, {**EVERYTHING_AFTER_TRAINING, **NETWORK}),
    # The alphas figure outlines the exported layers.
    ({"export": {"layers": [27, 29]}}, {"capture": 1, "integerize": 1, "tile": 2, "serialize": 2, **CHECKS,
                                        **REPORTED_AFTER_VECTORS, "training_figures": 1}),
])
def test_a_changed_parameter_reruns_exactly_the_stages_that_depend_on_it(tiny_workflow, tmp_path, change, expected):
    jobs = planned_jobs(tiny_workflow, overlay(tmp_path, "change", change))
    jobs.pop("all", None)
    assert jobs == expected


def test_nested_values_on_the_command_line_work_as_config_yaml_documents(tiny_workflow):
    jobs = planned_jobs(tiny_workflow, options=("--config", "hardware={rows: 4, cols: 4}"))
    jobs.pop("all", None)
    assert jobs == {"tile": 2, "serialize": 2, **CHECKS, **CORE_REBUILT, **REPORTED_AFTER_VECTORS, **NETWORK}


def planned_jobs_of(checkout, workdir=None, **options):
    """The dry-run job list of the tiny run (``workdir``: a copy of it) with the Snakefile of ``checkout``."""
    jobs = planned_jobs(workdir, options=("--snakefile", str(checkout / "Snakefile")), **options)
    jobs.pop("all", None)
    return jobs


def test_an_identical_copy_of_the_checkout_reruns_nothing(tiny_workflow, tmp_path):
    assert planned_jobs_of(checkout_copy(tmp_path), tiny_workflow) == {}


# A change of the tiling: what handles tiles (tile, serialize, the checks, the layer figure) and what
# shows their files; not training nor the builds, nor the network (the core reads each layer's map
# itself: its programs do not tile).
TILING_ONWARD = {"tile": 2, "serialize": 2, **CHECKS, **REPORTED_AFTER_VECTORS}


@pytest.mark.parametrize("module,old,new,expected", [
    # Comments, docstrings, messages and modules that compute no result re-run nothing.
    ("workflow/stage_log.py", "        self.stage = stage\n", "        self.stage = stage  # the rule's name\n", {}),
    ("workflow/stage_log.py", "time.perf_counter() - self.start:7.1f}s]", "time.perf_counter() - self.start:8.2f}s]", {}),
    ("workflow/config.py", "is not one of train.recipes", "is none of train.recipes", {}),
    ("training/progress.py", "ESTIMATE_AFTER_STEPS = 5", "ESTIMATE_AFTER_STEPS = 6", {}),
    ("model/quant.py", 'a signed ``w_bits`` weight (7 for 4 bits)."""', 'a signed ``w_bits`` weight."""', {}),
    # The quantizers' arithmetic: training onward and the network, not the data nor the builds.
    ("model/quant.py", "return 2**a_bits - 1", "return 2**a_bits - 1 + 0", {**EVERYTHING_AFTER_TRAINING, **NETWORK}),
    ("export/tiling.py", "pad[axis] = (0, tiles * lanes - count)", "pad[axis] = (0, tiles * lanes - count + 0)",
     TILING_ONWARD),
    ("workflow/summary.py", "round(ideal / cycles, 4)", "round(ideal / cycles, 5)",
     {"summary": 1, "rtl_figures": 1, "jobs_figure": 1}),
    ("rtl/limits.py", "from __future__ import annotations\n", "from __future__ import annotations\nEDITED = 1\n",
     {}),  # checked while parsing, by no job
])
def test_an_edited_module_reruns_exactly_the_rules_whose_results_depend_on_it(tiny_workflow, tmp_path, module, old,
                                                                              new, expected):
    checkout = checkout_copy(tmp_path)
    edit(checkout / "qaccel" / module, old, new)
    assert planned_jobs_of(checkout, tiny_workflow) == expected


def test_an_edited_verilog_file_rebuilds_and_simulates_only(tiny_workflow, tmp_path):
    rtl = tmp_path / "rtl"
    shutil.copytree(REPO / "rtl", rtl)
    edit(rtl / "mac_row.v", "endmodule", "wire edited;\nendmodule")
    expected = {**CORE_REBUILT, **CHECKS, "summary": 1, "rtl_figures": 1, "jobs_figure": 1, **NETWORK}
    assert planned_jobs_of(checkout_copy(tmp_path, rtl), tiny_workflow) == expected


def test_time_stamps_alone_rerun_nothing(tiny_workflow):
    """A checkout, a copy or a save without an edit renews the Verilog's time stamps: nothing re-runs (only
    an edit does, above), through the checksums Snakemake keeps of small inputs. The checkout's own rtl/
    is touched (and restored): another rtl/ would be another set of inputs."""
    sources = [path for path in (REPO / "rtl").rglob("*") if path.is_file()]
    stamps = {path: os.stat(path) for path in sources}
    later = time.time_ns() + 60 * 10**9
    try:
        for path in sources:
            os.utime(path, ns=(later, later))
        assert planned_jobs_of(REPO, tiny_workflow) == {}
    finally:
        for path, stamp in stamps.items():
            os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))


def test_the_archive_reruns_the_data_for_its_content_not_its_time_stamp(tmp_path):
    archive = make_archive(tmp_path / "small.tar.gz", per_class=1)
    settings = tiny_settings()
    settings["data"].update(archive=str(archive), archive_sha256=None)
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(settings))
    target = ("resources/cifar10.npz",)
    run_snakemake(tmp_path, *config_args(tmp_path / "tiny.yaml"), "--cores", "1", "--workflow-profile", "none",
                  *target)
    later = time.time_ns() + 60 * 10**9
    os.utime(archive, ns=(later, later))
    assert planned_jobs(tmp_path, target=target) == {}
    before = hashlib.sha256(archive.read_bytes()).hexdigest()
    # Pinning the archive it was made from (in either case) re-runs nothing either.
    assert planned_jobs(tmp_path, overlay(tmp_path, "pinned", {"data": {"archive_sha256": before.upper()}}),
                        target=target) == {}
    make_archive(tmp_path / "other.tar.gz", per_class=2).replace(archive)
    now = hashlib.sha256(archive.read_bytes()).hexdigest()
    result = run_snakemake(tmp_path, *config_args(tmp_path / "tiny.yaml"), "--dry-run", "--workflow-profile", "none",
                           *target)
    # The data rule alone, for its param archive_sha256: the archive's digest before and now.
    assert re.findall(r"^rule (\w+):|^\s+reason: (.*)$", result.stdout, flags=re.MULTILINE) == [
        ("data", ""), ("", "Params have changed since last execution: Union of exclusive params before and now across "
                           f"all output: before: '{before}' now: '{now}' ")]


def test_a_rerun_names_the_edited_module(tiny_workflow, tmp_path):
    checkout = checkout_copy(tmp_path)
    edit(checkout / "qaccel/export/tiling.py", "pad[axis] = (0, tiles * lanes - count)",
         "pad[axis] = (0, tiles * lanes - count + 0)")
    result = run_snakemake(tiny_workflow, *config_args(tiny_workflow / "tiny.yaml"), "--snakefile",
                           str(checkout / "Snakefile"), "--dry-run", "--workflow-profile", "none")
    reasons = set(re.findall(r"^\s+reason: (.*)$", result.stdout, flags=re.MULTILINE))
    assert "Updated input files: resources/code/qaccel/export/tiling.py.sha256" in reasons, reasons


def test_one_target_builds_only_its_chain(tmp_path):
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(tiny_settings()))
    jobs = planned_jobs(tmp_path, target=("results/layer27/os/out.txt",))
    assert jobs == {"data": 1, "train": 1, "capture": 1, "integerize": 1, "tile": 1, "serialize": 1}
    sim_jobs = planned_jobs(tmp_path, target=("results/layer27/ws/sim.json",))
    assert sim_jobs == {"data": 1, "train": 1, "capture": 1, "integerize": 1, "tile": 1, "serialize": 1,
                        "sim_build": 1, "simulate": 1}


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
    for options in (("--cores", "1"), ("--dry-run",)):
        result = run_snakemake(tmp_path, *config_args(tmp_path / "tiny.yaml"), *options, "--workflow-profile",
                               "none", "resources/cifar10.npz", check=False)
        assert result.returncode != 0
        assert f"config key data.archive: {tmp_path / 'missing.tar.gz'} does not exist" in result.stdout


def test_a_failing_stage_loses_nothing_already_built(copy_of_tiny_workflow):
    workdir = copy_of_tiny_workflow
    before = {path: path.read_bytes() for path in (workdir / "results").rglob("*")
              if path.is_file() and "/ws/" not in str(path) and "/os/" not in str(path)}
    narrow = overlay(workdir, "narrow", {"export": {"psum_bits": 4}})  # the vector files' fields
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
        # sim.simulator auto: Icarus for a layer this small.
        assert sim["passed"] is True and sim["mismatches"] == 0 and sim["simulator"] == "icarus"
        assert sim["cycles"] == sim["cycles_formula"]
        # Layer 27 at 8x8 is two OS folds: the core's fixed cycles around them (fetch, the transpose's R,
        # the drain) are more than the per-fold model's overlap saves (rtl/README.md, "Timing").
        assert (sim["cycles"] < sim["model"]["cycles"]) == (dataflow == "ws")
        assert sim["values_checked"] > 0 and sim["build"].startswith("resources/sim_build/icarus-")
        # Its energy: at least the layer's MACs; each memory at the build's size (2^address bits words).
        energy, parameters = sim["energy"], sim["parameters"]
        assert energy["events"]["macs"] >= sim["macs"] and energy["total_uj"] > 0
        assert {name: memory["kilobytes"] for name, memory in energy["memories"].items()} == {
            "instr": 2 ** parameters["INSTR_ADDR_BITS"] * 256 / 8192,
            "act": 2 ** parameters["ACT_ADDR_BITS"] * parameters["ROWS"] * parameters["ACT_BITS"] / 8192,
            "wgt": 2 ** parameters["WGT_ADDR_BITS"] * parameters["COLS"] * parameters["WGT_BITS"] / 8192,
            "acc": 2 ** parameters["ACC_ADDR_BITS"] * parameters["COLS"] * parameters["PSUM_BITS"] / 8192,
            # one lane's requantization constants, {S, B_c, M_c}
            "const": 2 ** parameters["CONST_ADDR_BITS"] * (6 + parameters["PSUM_BITS"] + 2 * parameters["MULT_BITS"]) / 8192}
    rows = (tiny_workflow / "results/summary.tsv").read_text().splitlines()
    assert rows[0].split("\t")[:2] == ["layer", "dataflow"]
    assert [row.split("\t")[:2] + [row.split("\t")[5]] for row in rows[1:]] == [["27", "ws", "True"], ["27", "os", "True"]]


def test_a_planted_fault_fails_the_simulate_rule_naming_its_place(copy_of_tiny_workflow):
    workdir = copy_of_tiny_workflow
    psum = workdir / "results/layer27/ws/vectors/psum_kij5.txt"
    lines = psum.read_text().splitlines(keepends=True)
    line = lines[11]
    lines[11] = line[:-2] + ("1" if line[-2] == "0" else "0") + "\n"  # flip the LSB of field 0 on file line 12
    psum.write_text("".join(lines))
    result = run_snakemake(workdir, *config_args(workdir / "tiny.yaml"), "--cores", "1", "--workflow-profile", "none",
                           "--forcerun", "simulate", "results/layer27/ws/sim.json", check=False)
    assert result.returncode != 0
    assert "psum_kij5.txt:12 field 0" in result.stdout
    # The failed job's record survives it, and the summary and the pass matrix show it, with where.
    assert not (workdir / "results/layer27/ws/sim.json").exists()
    record = json.loads((workdir / "results/layer27/ws/sim.failed.json").read_text())
    assert record["passed"] is False and record["failed_at"] == "psum_kij5.txt:12 field 0"
    run_snakemake(workdir, *config_args(workdir / "tiny.yaml"), "--cores", "1", "--workflow-profile", "none",
                  "results/figures/rtl_pass.png")
    rows = json.loads((workdir / "results/summary.json").read_text())["layers"]
    assert [(row["dataflow"], row["rtl_passed"], row["rtl_failed_at"]) for row in rows] == [
        ("ws", False, "psum_kij5.txt:12 field 0"), ("os", True, None)]
    assert "failed: layer 27 ws: psum_kij5.txt:12 field 0" in (workdir / "logs/figures/rtl.log").read_text()


def test_a_fault_planted_in_the_core_fails_the_layer_and_the_network_naming_where(copy_of_tiny_workflow):
    """sim.mutant builds the core with a planted fault (a wrong adder bit in every PE): the vector
    check of rule simulate (Icarus) and the network's check against the integer-only path (Verilator:
    the network is one program of 4M cycles per image; the core requantizes the faulty sums) must both
    catch it, each on a faulty build beside the sound one."""
    workdir = copy_of_tiny_workflow
    faulty = overlay(workdir, "faulty", {"sim": {"simulator": "icarus", "mutant": "MUTANT_PE_ADDER_BIT"}})
    faulty_network = overlay(workdir, "faulty_network", {"sim": {"simulator": "verilator",
                                                                 "mutant": "MUTANT_PE_ADDER_BIT"}})
    layer = run_snakemake(workdir, *config_args(workdir / "tiny.yaml", faulty), "--cores", "1",
                          "--workflow-profile", "none", "results/layer27/os/sim.json", check=False)
    assert layer.returncode != 0
    mismatch = r"first mismatch: results/layer27/os/vectors/out_os_pxt\d\.txt:\d+ field \d+ \(output_os\): expected -?\d+, got"
    assert re.search(mismatch, layer.stdout), layer.stdout[-3000:]
    network = run_snakemake(workdir, *config_args(workdir / "tiny.yaml", faulty_network), "--cores", "1",
                            "--workflow-profile", "none", "results/network/os/shards/images0-0.json", check=False)
    assert network.returncode != 0
    assert re.search(r"image 0, layer 0, pixel \d+ \(y \d+, x \d+\), channel \d+: the backend \d+, integer-only path "
                     r"\d+", network.stdout), network.stdout[-3000:]
    builds = {path.name for path in (workdir / "resources/sim_build").iterdir()}
    # Layer 27 on the layer simulations' build (Icarus), the network on the accelerator's (Verilator).
    layer_key, network_key = layer_parameters(core_shape(DEFAULTS)).key(), network_parameters(core_shape(DEFAULTS)).key()
    assert {name for name in builds if "MUTANT" in name} == {f"icarus-{layer_key}-MUTANT_PE_ADDER_BIT",
                                                             f"verilator-{network_key}-MUTANT_PE_ADDER_BIT"}
    assert {f"icarus-{layer_key}", f"verilator-{network_key}"} <= builds


def test_the_real_first_and_deep_layers_pass_on_a_16x16_core(copy_of_tiny_workflow):
    """On a core other than the course's 8x8: layer 24 (2x2 pixels, 512 channels) passes in both
    dataflows with the timing formula's cycles exactly (a one-fold OS layer, as layer 24 is on a 16x16
    array, takes R + 6 cycles more than the per-fold model's R + C + S - 2, with no next fold to
    overlap), and layer 0's vectors carry its signed 8-bit image activations. (Layer 0 runs on the 8x8
    core in every whole-network run; signed 8-bit layers with fewer input channels than rows run on
    other arrays in tests/rtl/test_core.py.)"""
    workdir = copy_of_tiny_workflow
    wide = overlay(workdir, "wide", {"hardware": {"rows": 16, "cols": 16}, "export": {"layers": [0, 24]},
                                     "sim": {"simulator": "icarus"}})
    simulated = ["results/layer24/ws/sim.json", "results/layer24/os/sim.json"]
    run_snakemake(workdir, *config_args(workdir / "tiny.yaml", wide), "--cores", "2", "--workflow-profile", "none",
                  *simulated, "results/layer0/os/vectors/manifest.json")
    for target in simulated:
        sim = json.loads((workdir / target).read_text())
        assert sim["passed"] is True and sim["mismatches"] == 0 and sim["simulator"] == "icarus", target
        assert sim["cycles"] == sim["cycles_formula"], target
    manifest = json.loads((workdir / "results/layer0/os/vectors/manifest.json").read_text())
    assert manifest["fields"]["activation"] == {"bits": 8, "signed": True}, manifest


def test_every_job_has_a_benchmark_beside_its_log(tiny_workflow):
    logs = {path.with_suffix("") for path in (tiny_workflow / "logs").rglob("*.log")}
    benchmarks = {path.with_name(path.name.removesuffix(".benchmark.tsv"))
                  for path in (tiny_workflow / "logs").rglob("*.benchmark.tsv")}
    # data, train, 3 per layer (capture, integerize, figure), 4 per dataflow (tile, serialize, simulate, tb),
    # 2 core builds (Icarus for layer 27, Verilator for the network), core_tb.v's build, summary, 5
    # run-wide figure rules (training, RTL, network, memory bound, jobs), 2 shards and a merge per
    # dataflow, the network report, the bandwidth sweep
    assert logs == benchmarks and len(logs) == 1 + 1 + 3 + 8 + 2 + 1 + 1 + 5 + 2 * 3 + 1 + 1
    # The jobs figure shows every other job.
    assert "(29 jobs)" in (tiny_workflow / "logs/figures/jobs.log").read_text()
    header = (tiny_workflow / "logs/train.benchmark.tsv").read_text().splitlines()[0].split("\t")
    assert header[:3] == ["s", "h:m:s", "max_rss"]


def nothing_built(workdir):
    """No result and no resource but the code digests the parse writes (resources/code)."""
    resources = workdir / "resources"
    return not (workdir / "results").exists() and (
        not resources.exists() or {path.name for path in resources.iterdir()} == {"code"})


@pytest.mark.parametrize("target,message", [
    ("results/layer5/ws/sim.json", "layer 5 is not a QuantConv2d: model.features[5] is a relu; QuantConv2d layers "
                                   "are [0, 3, 7,"),
    ("results/layer30/capture.pt", "layer 30 is not a QuantConv2d: model.features[30] is a batchnorm"),
])
def test_a_target_of_a_layer_the_pipeline_cannot_export_is_refused_before_any_job(tmp_path, target, message):
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(tiny_settings()))
    result = run_snakemake(tmp_path, *config_args(tmp_path / "tiny.yaml"), "--cores", "1", "--workflow-profile",
                           "none", target, check=False)
    assert result.returncode != 0 and message in result.stdout, result.stdout[-3000:]
    assert nothing_built(tmp_path)


@pytest.mark.parametrize("hardware,target,message", [
    ({"act_signed": False}, "results/layer0/os/out.txt",
     "layer 0's activations are signed (its input is the normalised image, not a ReLU output) and the core's "
     "activation lanes are unsigned (hardware.act_signed: false)"),
    ({"act_bits": 4}, "results/layer27/ws/sim.json",
     "layer 27's 4-bit activations (quant.a_bits) need 5-bit signed lanes; the core has 4 (hardware.act_bits)"),
])
def test_a_layer_whose_activations_the_core_cannot_take_is_refused_before_any_job(tmp_path, hardware, target,
                                                                                    message):
    settings = tiny_settings()
    settings["hardware"] = hardware
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(settings))
    result = run_snakemake(tmp_path, *config_args(tmp_path / "tiny.yaml"), "--cores", "1", "--workflow-profile",
                           "none", target, check=False)
    assert result.returncode != 0 and message in result.stdout, result.stdout[-3000:]
    assert nothing_built(tmp_path)


def test_an_image_beyond_the_built_test_split_is_refused_before_any_job(tmp_path):
    (tmp_path / "resources").mkdir()
    np.savez(tmp_path / "resources/cifar10.npz", train_images=np.zeros((16, 32, 32, 3), np.uint8),
             train_labels=np.zeros(16, np.int64), test_images=np.zeros((16, 32, 32, 3), np.uint8),
             test_labels=np.zeros(16, np.int64))
    settings = tiny_settings()
    settings["capture"]["image"] = 20
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(settings))
    result = run_snakemake(tmp_path, *config_args(tmp_path / "tiny.yaml"), "--cores", "1", "--workflow-profile",
                           "none", check=False)
    assert result.returncode != 0
    assert ("config key capture.image: 20 is beyond the test split of resources/cifar10.npz, which holds 16 images "
            "(indices 0..15)") in result.stdout
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("change,message", [
    ({"capture": {"image": 10}}, "config key capture.image: 10 is beyond the test split of {archive}, which holds "
                                 "10 images (indices 0..9)"),
    ({"network": {"first": 8, "count": 3, "shard": 1}},
     "config key network.count: images 8..10 go beyond the test split of {archive}, which holds 10 images "
     "(indices 0..9)"),
    ({"dse": {"images": 11}}, "config key dse.images: images 0..10 go beyond the test split of {archive}, which "
                              "holds 10 images (indices 0..9)"),
])
def test_images_beyond_the_archives_test_split_are_refused_before_any_job(tmp_path, change, message):
    archive = make_archive(tmp_path / "small.tar.gz", per_class=1)  # 10 test images
    settings = tiny_settings()
    settings["data"].update(archive=str(archive), archive_sha256=None)
    for section, values in change.items():
        settings.setdefault(section, {}).update(values)
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(settings))
    result = run_snakemake(tmp_path, *config_args(tmp_path / "tiny.yaml"), "--cores", "1", "--workflow-profile",
                           "none", check=False)
    assert result.returncode != 0 and message.format(archive=archive) in result.stdout, result.stdout[-3000:]
    assert nothing_built(tmp_path)
