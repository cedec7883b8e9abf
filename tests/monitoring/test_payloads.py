"""The payload copies the tests read are the shared real payloads, every one of them."""

from __future__ import annotations

import pytest

from tests.monitoring.conftest import FIXTURES, SHARED_FIXTURES


@pytest.mark.skipif(not SHARED_FIXTURES.is_dir(), reason="../shared/fixtures is not here")
def test_the_copies_are_the_shared_payloads():
    shared = {p.name: p.read_bytes() for p in SHARED_FIXTURES.iterdir()}
    copies = {p.name: p.read_bytes() for p in FIXTURES.iterdir()}

    assert copies == shared
