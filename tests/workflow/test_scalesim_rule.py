"""Rule scalesim's place in the DAG: asked for, it creates SCALE-Sim's environment once and runs one
job per dataflow for the configured array; the default target leaves it out."""
import re

from support import config_args, overlay, run_snakemake


def planned(workdir, *args):
    """(rule, output) of every job a dry run would execute."""
    result = run_snakemake(workdir, *config_args(workdir / "tiny.yaml", *args[:-1]), "--dry-run",
                           "--workflow-profile", "none", *args[-1:])
    return set(re.findall(r"^rule (\w+):\n(?:    .*\n)*?    output: (.+)$", result.stdout, flags=re.MULTILINE))


def test_scalesim_all_runs_each_dataflow_on_the_configured_array(tiny_config):
    workdir = tiny_config.parent
    # A non-square array: SCALE-Sim takes it (the network on the core would not: run it in software).
    array = overlay(workdir, "array", {"hardware": {"rows": 4, "cols": 16}, "network": {"backend": "software"}})
    assert planned(workdir, array, "scalesim_all") == {
        ("scalesim_venv", "resources/scalesim-venv"),
        ("scalesim", "results/scalesim/4x16/ws.json, results/scalesim/4x16/ws"),
        ("scalesim", "results/scalesim/4x16/os.json, results/scalesim/4x16/os"),
    }
    assert not {rule for rule, _ in planned(workdir, "all")} & {"scalesim", "scalesim_venv"}
