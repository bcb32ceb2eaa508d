"""The hardware targets and the design-space sweep are reachable by name and stay out of rule all (the main run
stays fast)."""
import json
from dataclasses import replace

import yaml

from qaccel.rtl.build import network_parameters
from qaccel.rtl.limits import core_shape
from support import DEFAULTS, config_args, planned_jobs, run_snakemake, tiny_settings


def test_a_pnr_target_plans_synthesis_then_place_and_route_and_rule_all_neither(tmp_path):
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(tiny_settings()))
    assert planned_jobs(tmp_path, target=("results/hw/r4c4a8uw4p16k24l16-6.7.8.9.4/pnr.json",)) == {
        "hw_synth": 1, "hw_pnr": 1}
    assert planned_jobs(tmp_path, target=("results/hw/r4c4a8uw4p16k24l16-6.7.8.9.4/synth.json",)) == {"hw_synth": 1}
    assert not {"hw_synth", "hw_pnr"} & set(planned_jobs(tmp_path))


def sweep_settings(tmp_path):
    """Two arrays in one dataflow over three images; the other settings the tiny run's."""
    settings = {**tiny_settings(), "dse": {"arrays": [{"rows": 4, "cols": 4}, {"rows": 2, "cols": 2}],
                                           "dataflows": ["os"], "images": 3}}
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(settings))
    shape = core_shape(DEFAULTS)  # the tiny run's hardware and quant are the defaults
    return [network_parameters(replace(shape, rows=rows, cols=cols)).key() for rows, cols in ((4, 4), (2, 2))]


def test_the_sweep_runs_the_network_on_each_arrays_own_core_beside_its_synthesis(tmp_path):
    cores = sweep_settings(tmp_path)
    result = run_snakemake(tmp_path, *config_args(tmp_path / "tiny.yaml"), "--dry-run", "--workflow-profile", "none",
                           "dse")
    for core in cores:
        for path in (f"results/dse/{core}/os/images0-2.json", f"resources/sim_build/verilator-{core}",
                     f"results/hw/{core}/synth.json"):
            assert path in result.stdout, path
    assert planned_jobs(tmp_path, target=("dse",)) == {
        "data": 1, "train": 1, "sim_build": 2, "hw_synth": 2, "dse_network": 2, "dse_summary": 1, "dse_figures": 1,
        "dse": 1}


def test_the_sweep_places_a_core_only_where_its_synthesis_says_it_fits(tmp_path):
    fits, refused = sweep_settings(tmp_path)
    planned_jobs(tmp_path, target=("dse",))  # the parse writes the code digests, inputs of hw_synth
    for core, answer in ((fits, True), (refused, False)):
        report = tmp_path / f"results/hw/{core}/synth.json"
        report.parent.mkdir(parents=True)
        report.write_text(json.dumps({"ecp5": {"fits": answer}}))
        (report.parent / "ecp5_netlist.json").write_text("{}")
    jobs = planned_jobs(tmp_path, target=("dse",))
    assert jobs["hw_pnr"] == 1 and "hw_synth" not in jobs, jobs
    result = run_snakemake(tmp_path, *config_args(tmp_path / "tiny.yaml"), "--dry-run", "--workflow-profile", "none",
                           "dse")
    assert f"results/hw/{fits}/pnr.json" in result.stdout and f"results/hw/{refused}/pnr.json" not in result.stdout
