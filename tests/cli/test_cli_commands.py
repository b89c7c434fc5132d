"""CLI, every command: --help and -h work, every command and option is documented."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from hypecheck.cli import cli

COMMANDS = sorted(cli.commands)


def test_the_documented_commands_exist():
    assert {"score", "scan", "train", "evaluate", "rules"} <= set(COMMANDS)


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_group_help(flag):
    result = CliRunner().invoke(cli, [flag], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: ")
    for name in COMMANDS:
        assert name in result.stdout


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("command", COMMANDS)
def test_command_help(command, flag):
    result = CliRunner().invoke(cli, [command, flag], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Usage: cli {command}") or result.stdout.startswith(f"Usage: hypecheck {command}")
    assert "Examples:" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_text(command):
    cmd = cli.commands[command]
    assert cmd.help and cmd.help.strip(), f"'hypecheck {command}' has no docstring"
    summary = cmd.help.strip().splitlines()[0]
    assert summary.endswith("."), f"'hypecheck {command}': the first line should be a one-sentence summary"
    assert "\b" in cmd.help, f"'hypecheck {command}': keep the Examples block verbatim with click's \\b marker"
    assert cmd.get_short_help_str()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_has_help_text(command):
    cmd = cli.commands[command]
    undocumented = [p.name for p in cmd.params if isinstance(p, click.Option) and not p.help]
    assert undocumented == [], f"'hypecheck {command}' options without help: {undocumented}"


def test_version():
    result = CliRunner().invoke(cli, ["--version"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "version" in result.stdout


def test_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(cli, ["sniff"])
    assert result.exit_code == 2
    assert "Error: No such command 'sniff'" in result.stderr


def test_rules_lists_the_taxonomy():
    result = CliRunner().invoke(cli, ["rules", "--lang", "de", "--category", "return_promise"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout.startswith("return_promise: ")
    assert "de.return_promise.pct_possible" in result.stdout
    assert "en.return_promise" not in result.stdout


def test_rules_reports_a_broken_house_file(tmp_path):
    path = tmp_path / "house.yml"
    path.write_text("language: de\ncategory: moonshot\nrules: []\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["rules", "--rules", str(path)], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {path}: ")
    assert "unknown category 'moonshot'" in result.stderr
