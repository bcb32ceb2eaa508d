"""The archive's content digest, read again only when the file's time stamp or size changes."""
import hashlib
import os

from qaccel.workflow import file_digests
from qaccel.workflow.file_digests import file_digest


def test_a_file_is_read_again_only_when_its_stamp_changes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    archive = tmp_path / "archive.tar.gz"
    archive.write_bytes(b"first")
    first = file_digest(archive)
    assert first == hashlib.sha256(b"first").hexdigest()
    stamp = os.stat(archive)
    # The same size and time stamp: the kept digest (a planted one shows through, proving no read).
    stamps = tmp_path / "resources/code/file_stamps.json"
    stamps.write_text(stamps.read_text().replace(first, "planted"))
    file_digests._stamps.cache_clear()  # as a new parse: the kept digests read back from the file
    assert file_digest(archive) == "planted"
    archive.write_bytes(b"other")
    os.utime(archive, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 10**9))
    assert file_digest(archive) == hashlib.sha256(b"other").hexdigest()
