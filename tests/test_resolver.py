import pytest

from crawler.resolver import is_loopback


@pytest.mark.parametrize("name, loopback", [
    ("127.0.0.1", True), ("127.3.4.5", True), ("localhost", True), ("LOCALHOST.", True),
    ("mirror.localhost", True), ("::1", True), ("[::1]", True),
    ("baolaocai.vn", False), ("10.255.255.53", False), ("192.168.1.1", False),
    ("khong-ton-tai.invalid", False), ("localhost.vn", False),
])
def test_offline_resolver_answers_for_loopback_names_only(name, loopback):
    assert is_loopback(name) is loopback
