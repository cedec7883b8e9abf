"""The slapd every LDAP test shares (started once; each test that changes it says so)."""

from __future__ import annotations

import shutil

import pytest

from tests.ldap.slapd import start_slapd


@pytest.fixture(scope="session")
def slapd():
    server = start_slapd()
    yield server
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)
