"""Fixtures shared by the test modules."""
import pytest

from mockserver import mock_site


@pytest.fixture(scope="module")
def server():
    """The fixture sites' mirror on 127.0.0.1, one per test module (`server.served` lists what it
    served). Modules that serve something else (datasette) define their own `server`."""
    with mock_site() as server:
        yield server
