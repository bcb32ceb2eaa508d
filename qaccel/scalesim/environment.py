"""SCALE-Sim's own virtual environment: ``python -m venv`` and pip, from PyPI, beside qaccel's.

SCALE-Sim 3.0.0 fails under the NumPy 2 that qaccel's environment has (``int()`` of an array in
its scratchpad memory model), so it runs in an environment with NumPy 1 (config
``scalesim.packages``), and qaccel talks to it through files (qaccel/scalesim/runner.py).

    python -m qaccel.scalesim.environment [DIRECTORY]    # default resources/scalesim-venv
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DEFAULT_DIRECTORY = Path("resources/scalesim-venv")
# pip downloads about 100 MB (pandas, matplotlib, numba and llvmlite come with scalesim).
INSTALL_LIMIT_S = 1200


def python_of(directory: Path) -> Path:
    return Path(directory) / "bin" / "python"


def _run(command: list[str], log, what: str) -> None:
    try:
        completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   timeout=INSTALL_LIMIT_S)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{what} did not finish in {INSTALL_LIMIT_S} s: {' '.join(command)}") from None
    for line in completed.stdout.splitlines():
        log(line)
    if completed.returncode:
        raise RuntimeError(f"{what} failed with exit status {completed.returncode}: {' '.join(command)}")


def create_environment(directory: Path, packages: list[str], log=print) -> None:
    """A fresh virtual environment in ``directory`` with ``packages`` from PyPI."""
    directory = Path(directory)
    log(f"creating {directory} with {sys.executable} -m venv, then pip install {' '.join(packages)}")
    _run([sys.executable, "-m", "venv", "--clear", str(directory)], log, "python -m venv")
    _run([str(python_of(directory)), "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off",
          *packages], log, "pip install into SCALE-Sim's environment")
    if not python_of(directory).is_file():
        raise RuntimeError(f"{python_of(directory)} is missing after the install")


def main(argv: list[str] | None = None) -> None:
    from qaccel.workflow.config import default_config

    argv = sys.argv[1:] if argv is None else argv
    if len(argv) > 1:
        sys.exit(f"usage: python -m qaccel.scalesim.environment [DIRECTORY] (got {len(argv)} arguments)")
    create_environment(Path(argv[0]) if argv else DEFAULT_DIRECTORY, default_config()["scalesim"]["packages"])


if __name__ == "__main__":
    main()
