"""The README is the user's manual: every command is in it, and the Quick start's two commands exist."""
import re
from pathlib import Path

import pytest

from cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_is_documented_in_the_readme(command):
    assert f"tintinh {command}" in README


def test_quick_start_has_exactly_two_commands_that_exist():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", quick, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["./scripts/crawl", "./scripts/test"]
    assert all((ROOT / c).is_file() for c in commands)
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()
