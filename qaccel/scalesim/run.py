"""One SCALE-Sim run: its input files written into a run directory, runner.py executed by SCALE-Sim's
own Python (a bounded wait; its output goes to the log as it comes), its reports read back."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from pathlib import Path

from qaccel.rtl.program import ConvShape

from .environment import python_of
from .inputs import RUN_NAME, ScaleSimArray, config_text, layout_text, topology_text
from .report import read_layers

RUNNER = Path(__file__).with_name("runner.py")
VERSIONS_PREFIX = "versions: "  # runner.py's first line
INPUTS = {"config": "scalesim.cfg", "topology": "topology.csv", "layout": "layout.csv"}


class ScaleSimError(RuntimeError):
    pass


def write_inputs(run_dir: Path, array: ScaleSimArray, convs: dict[int, ConvShape]) -> dict[str, Path]:
    run_dir.mkdir(parents=True, exist_ok=True)
    texts = {"config": config_text(array), "topology": topology_text(convs), "layout": layout_text()}
    paths = {name: run_dir / INPUTS[name] for name in texts}
    for name, text in texts.items():
        paths[name].write_text(text)
    return paths


def run_scalesim(environment: Path, run_dir: Path, array: ScaleSimArray, convs: dict[int, ConvShape],
                 time_limit_s: float, log=print) -> tuple[dict, dict[int, dict]]:
    """SCALE-Sim on ``convs`` (model.features index -> shape): its versions and, per layer, its
    report items (qaccel.scalesim.report). Reports land in ``run_dir``/<run_name>/."""
    python = python_of(environment)
    if not python.is_file():
        raise ScaleSimError(f"{python} not found: create SCALE-Sim's environment first "
                            f"(snakemake {environment}, or python -m qaccel.scalesim.environment {environment})")
    run_dir = Path(run_dir)
    paths = write_inputs(run_dir, array, convs)
    command = [os.path.abspath(python), "-u", str(RUNNER), paths["config"].name, paths["topology"].name, paths["layout"].name, "."]
    log(f"{len(convs)} layers on a {array.rows}x{array.cols} array, {array.dataflow}: {' '.join(command)} in {run_dir}")
    # (abspath, not resolve: the venv's python is a link to the base interpreter.)
    # SCALE-Sim's progress bars (stderr) go to a file; its own lines (stdout) to the log.
    with open(run_dir / "scalesim.stderr", "w") as stderr:
        process = subprocess.Popen(command, cwd=run_dir, stdout=subprocess.PIPE, stderr=stderr, text=True,
                                   start_new_session=True)
        expired = threading.Event()

        def stop():
            expired.set()
            os.killpg(process.pid, signal.SIGKILL)

        timer = threading.Timer(time_limit_s, stop)
        timer.start()
        versions = None
        try:
            for line in process.stdout:
                line = line.rstrip()
                if line.startswith(VERSIONS_PREFIX):
                    versions = json.loads(line[len(VERSIONS_PREFIX):])
                if line:
                    log(line)
            status = process.wait()
        finally:
            timer.cancel()
    if expired.is_set():
        raise ScaleSimError(f"SCALE-Sim did not finish in {time_limit_s} s (scalesim.time_limit_s); stopped it")
    if status != 0:
        tail = (run_dir / "scalesim.stderr").read_text().strip().splitlines()[-5:]
        raise ScaleSimError(f"SCALE-Sim failed with exit status {status}; its stderr ends:\n" + "\n".join(tail))
    if versions is None:
        raise ScaleSimError(f"{RUNNER.name} did not report SCALE-Sim's version")
    return versions, read_layers(run_dir / RUN_NAME, sorted(convs))
