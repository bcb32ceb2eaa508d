"""Runs SCALE-Sim 3 on one config, topology and layout, inside SCALE-Sim's own virtual environment
(resources/scalesim-venv; rule scalesim_venv): this file imports only the standard library and
``scalesim``, never qaccel.

    python runner.py CONFIG TOPOLOGY LAYOUT REPORT_DIR

writes SCALE-Sim's reports (COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv, DETAILED_ACCESS_REPORT.csv)
under REPORT_DIR/<run_name>/. Through the API rather than ``python -m scalesim.scale``: that entry
point always saves the per-cycle traces (gigabytes for VGG16), whatever its ``-s`` option says.
"""
import json
import sys
from importlib.metadata import version

VERSIONS_PREFIX = "versions: "  # qaccel/scalesim/run.py reads this line


def main(config, topology, layout, report_dir):
    from scalesim.scale_sim import scalesim

    versions = {"scalesim": version("scalesim"), "numpy": version("numpy"), "python": sys.version.split()[0]}
    print(VERSIONS_PREFIX + json.dumps(versions, sort_keys=True), flush=True)
    simulation = scalesim(save_disk_space=True, verbose=True, config=config, topology=topology, layout=layout)
    simulation.run_scale(top_path=report_dir)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(f"usage: {sys.argv[0]} CONFIG TOPOLOGY LAYOUT REPORT_DIR (got {len(sys.argv) - 1} arguments)")
    main(*sys.argv[1:])
