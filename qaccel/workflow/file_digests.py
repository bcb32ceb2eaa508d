"""The content digest of a large input that the workflow reads from outside its rules: the data
archive.

Snakemake re-runs a job when an input is newer than its outputs, unless the input is small (under
``--max-checksum-file-size``, 1 MB) and its checksum, kept with the outputs' metadata, is unchanged:
so a Verilog file whose time stamp a checkout renewed re-runs nothing. The archive is tens of
megabytes: a copy, a download again or a shared folder's refresh would re-run the data rule, and
training after it, for the same bytes. The data rule therefore takes the archive as ``ancient()``
(its time stamp ignored) and its content as the param ``archive_sha256``: the pinned
``data.archive_sha256``, or this digest of the file.

A file's digest is kept in ``resources/code/file_stamps.json`` with its time stamp and size, so a
parse reads the archive only when it changed.
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

from .rule_code import CODE_DIR, replace_text

STAMPS = "file_stamps.json"  # in CODE_DIR


class _FileStamps:
    """The sha256 of each file's bytes, kept with the file's time stamp and size."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.entries = json.loads(path.read_text())
        except (OSError, ValueError):  # none yet, or cut short: every file is read afresh
            self.entries = {}

    def digest(self, source: Path) -> str:
        status = source.stat()
        stamp = [status.st_mtime_ns, status.st_size]
        entry = self.entries.get(str(source))
        if entry is None or entry["stamp"] != stamp:
            digest = hashlib.sha256()
            with open(source, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            entry = {"stamp": stamp, "sha256": digest.hexdigest()}
            self.entries[str(source)] = entry
            replace_text(self.path, json.dumps(self.entries, indent=0, sort_keys=True))
        return entry["sha256"]


@lru_cache(maxsize=None)
def _stamps(working_directory: str) -> _FileStamps:
    return _FileStamps(Path(working_directory, CODE_DIR, STAMPS))


def file_digest(path: str | Path) -> str:
    """The sha256 of the file at ``path`` (read only when its time stamp or size changed)."""
    return _stamps(os.getcwd()).digest(Path(path).resolve())
