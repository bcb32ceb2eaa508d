"""Fixtures for the RTL tests (helpers live in rtl_helpers.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from rtl_helpers import SIMULATORS


@pytest.fixture(scope="session")
def build_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sim_build")


@pytest.fixture(params=SIMULATORS)
def simulator(request) -> str:
    return request.param
