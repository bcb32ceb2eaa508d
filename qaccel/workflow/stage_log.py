"""Progress lines for pipeline stages: to the rule's log file and to stderr, flushed as they come."""
from __future__ import annotations

import sys
import time
from pathlib import Path


class StageLog:
    def __init__(self, path: str | Path | None, stage: str):
        self.stage = stage
        self.start = time.perf_counter()
        self.handle = None
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.handle = open(path, "w", buffering=1)

    def __call__(self, message: str) -> None:
        line = f"[{self.stage} {time.perf_counter() - self.start:7.1f}s] {message}"
        print(line, file=sys.stderr, flush=True)
        if self.handle:
            self.handle.write(line + "\n")

    def __enter__(self) -> "StageLog":
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if error is not None:
            self(f"FAILED: {type(error).__name__}: {error}")
        if self.handle:
            self.handle.close()
