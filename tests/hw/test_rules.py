"""The hardware targets are reachable by name and stay out of rule all (the main run stays fast)."""
import yaml

from support import planned_jobs, tiny_settings


def test_a_pnr_target_plans_synthesis_then_place_and_route_and_rule_all_neither(tmp_path):
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(tiny_settings()))
    assert planned_jobs(tmp_path, target=("results/hw/r4c4a8uw4p16-6.7.8.9/pnr.json",)) == {
        "hw_synth": 1, "hw_pnr": 1}
    assert planned_jobs(tmp_path, target=("results/hw/r4c4a8uw4p16-6.7.8.9/synth.json",)) == {"hw_synth": 1}
    assert not {"hw_synth", "hw_pnr"} & set(planned_jobs(tmp_path))
