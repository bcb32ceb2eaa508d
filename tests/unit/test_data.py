"""The offline-archive path of the data stage, on small archives made here with PIL."""
import hashlib

import numpy as np
import pytest
from support import make_archive

from qaccel.data import DatasetError, load, prepare


def test_archive_becomes_the_canonical_arrays(tmp_path):
    archive = make_archive(tmp_path / "c.tar.gz", per_class=3)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    prepare("archive", tmp_path / "out.npz", archive=archive, archive_sha256=digest, log=lambda m: None)
    arrays = load(tmp_path / "out.npz")
    assert arrays["train_images"].shape == (30, 32, 32, 3) and arrays["train_images"].dtype == np.uint8
    assert arrays["test_labels"].tolist() == [c for c in range(10) for _ in range(3)]


def test_wrong_checksum_names_the_archive(tmp_path):
    archive = make_archive(tmp_path / "c.tar.gz", per_class=1)
    with pytest.raises(DatasetError, match=r"c\.tar\.gz has sha256 [0-9a-f]{64}, expected 0{64} \(data\.archive_sha256, or the digest "):
        prepare("archive", tmp_path / "out.npz", archive=archive, archive_sha256="0" * 64, log=lambda m: None)
    assert not (tmp_path / "out.npz").exists()


def test_truncated_archive_is_reported_as_corrupt(tmp_path):
    archive = make_archive(tmp_path / "c.tar.gz", per_class=2)
    archive.write_bytes(archive.read_bytes()[:2000])
    with pytest.raises(DatasetError, match="corrupt or unreadable archive"):
        prepare("archive", tmp_path / "out.npz", archive=archive, log=lambda m: None)


def test_undecodable_image_is_named(tmp_path):
    archive = make_archive(tmp_path / "c.tar.gz", per_class=1, bad_member="cifar10-jpeg/test/cat/0000.jpg")
    with pytest.raises(DatasetError, match="test/cat/0000.jpg is not a readable JPEG"):
        prepare("archive", tmp_path / "out.npz", archive=archive, log=lambda m: None)


def test_missing_archive_is_named(tmp_path):
    with pytest.raises(DatasetError, match="data.archive: .*nope.tar.gz does not exist"):
        prepare("archive", tmp_path / "out.npz", archive=tmp_path / "nope.tar.gz", log=lambda m: None)
