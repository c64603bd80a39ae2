"""Help as the docker CLI prints it: command list, groups, usage/aliases/typed options, typos."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dockyard.cli import help as helptext
from dockyard.cli import main as cli_main


def _main(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = cli_main.main(list(argv))
    except SystemExit as exc:  # argparse's help action exits 0
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv", [[], ["--help"], ["-h"], ["help"]])
def test_top_level_groups_commands_as_docker(capsys, argv):
    code, out, _ = _main(capsys, *argv)
    assert code == 0
    assert out.startswith("Usage:  dockyard [OPTIONS] COMMAND\n")
    common = out.index("Common Commands:")
    management = out.index("Management Commands:")
    commands = out.index("\nCommands:")
    assert common < management < commands < out.index("Global Options:")
    assert "  run         Create and run a new container from an image\n" in out
    assert "  container   Manage containers\n" in out
    assert "  context     Manage contexts\n" in out
    assert "  builder     Manage builds\n" in out
    # ps is a common command, not repeated among the others
    assert out[commands:].count("\n  ps ") == 0
    assert "  -c, --context string" in out


@pytest.mark.parametrize(
    "group,verbs",
    [
        ("container", ["ls", "rm", "prune", "run", "inspect"]),
        ("image", ["ls", "rm", "prune", "tag", "inspect"]),
        ("network", ["connect", "ls", "prune"]),
        ("volume", ["create", "ls", "prune"]),
        ("system", ["df", "events", "info", "prune"]),
        ("builder", ["build", "prune"]),
        ("context", ["create", "inspect", "ls", "rm", "show", "use"]),
    ],
)
def test_group_lists_subcommands_once(capsys, group, verbs):
    code, out, _ = _main(capsys, group)
    assert code == 0
    assert out.startswith(f"Usage:  dockyard {group} COMMAND\n")
    names = [line.split()[0] for line in out.split("Commands:\n", 1)[1].split("\n\n")[0].split("\n")]
    assert set(verbs) <= set(names)
    assert "list" not in names and "remove" not in names  # aliases folded
    code2, out2, _ = _main(capsys, group, "--help")
    assert (code2, out2) == (0, out)


def test_command_help_has_usage_aliases_and_typed_options(capsys):
    code, out, _ = _main(capsys, "ps", "--help")
    assert code == 0
    assert out.startswith("Usage:  dockyard ps [OPTIONS]\n\nList containers\n")
    assert "Aliases:\n  dockyard container ls, dockyard container list, dockyard container ps, dockyard ps\n" in out
    assert "  -f, --filter filter   Filter output based on conditions provided\n" in out
    assert "  -n, --last int        Show n last created containers" in out


def test_help_lists_only_flags_the_parser_accepts(capsys):
    code, out, _ = _main(capsys, "volume", "create", "--help")
    assert code == 0
    assert "--driver string" in out and "--label list" in out
    assert "--availability" not in out  # a swarm flag dockyard does not take
    assert "--name" not in out  # hidden, as in Docker


def test_run_help_keeps_h_for_hostname(capsys):
    code, out, _ = _main(capsys, "run", "--help")
    assert code == 0
    assert "  -h, --hostname string" in out
    assert "      --help                             Print usage" in out


def test_help_command_forms(capsys):
    assert _main(capsys, "help", "ps")[1] == _main(capsys, "ps", "--help")[1]
    assert _main(capsys, "help", "container")[1] == _main(capsys, "container")[1]
    code, out, err = _main(capsys, "help", "nosuch")
    assert (code, out, err) == (1, "", "unknown help topic: nosuch\n")


def test_typo_gets_did_you_mean(capsys):
    code, _, err = _main(capsys, "imgaes")
    assert code == 1
    assert err == (
        "dockyard: unknown command: dockyard imgaes\n\nDid you mean this?\n\timages\n\n"
        "Run 'dockyard --help' for more information\n"
    )
    code, _, err = _main(capsys, "container", "lss")
    assert code == 1
    assert "Did you mean this?\n\tlogs\n\tls\n" in err
    assert "Usage:  dockyard container\n" in err


def test_no_suggestion_for_a_far_word(capsys):
    code, _, err = _main(capsys, "zzzzzzz")
    assert code == 1 and "Did you mean" not in err


@pytest.mark.parametrize(
    "argv,first",
    [
        (["rm"], "dockyard: 'dockyard rm' requires at least 1 argument"),
        (["tag", "a"], "dockyard: 'dockyard tag' requires 2 arguments"),
        (["logs", "a", "b"], "dockyard: 'dockyard logs' requires 1 argument"),
        (["exec", "a"], "dockyard: 'dockyard exec' requires at least 2 arguments"),
        (["port"], "dockyard: 'dockyard port' requires at least 1 and at most 2 arguments"),
    ],
)
def test_usage_errors_exit_1_as_docker(capsys, argv, first):
    code, _, err = _main(capsys, *argv)
    assert code == 1
    assert err.split("\n")[0] == first
    assert "\n\nUsage:  dockyard " in err


@pytest.mark.parametrize(
    "argv,first",
    [
        (["ps", "--bogus"], "unknown flag: --bogus"),
        (["ps", "-x"], "unknown shorthand flag: 'x' in -x"),
        (["logs", "--tail"], "flag needs an argument: --tail"),
        (["ps", "-n", "x"], 'invalid argument "x" for "-n, --last" flag: strconv.ParseInt: parsing "x": invalid syntax'),
        (["rm", "--force=maybe", "a"], 'invalid argument "maybe" for "-f, --force" flag: strconv.ParseBool: parsing "maybe": invalid syntax'),
    ],
)
def test_flag_errors_exit_125_as_docker(capsys, argv, first):
    code, _, err = _main(capsys, *argv)
    assert code == 125
    assert err.split("\n")[0] == first
    assert err.endswith(f"Run 'dockyard {argv[0]} --help' for more information\n")


def test_suggestions_follow_cobra():
    assert helptext.suggestions("pss", ["ps", "push", "pull"]) == ["ps", "push"]
    assert helptext.suggestions("pu", ["ps", "push", "pull", "images"]) == ["ps", "pull", "push"]
    assert helptext.suggestions("xyzzy", ["ps"]) == []


def test_help_does_not_load_on_the_fast_path():
    code = (
        "import sys; from dockyard.cli import main; main.load_tables();"
        "import dockyard.cli.ps, dockyard.cli.system;"
        "print(any(m in sys.modules for m in ('dockyard.cli.help', 'dockyard.cli.helpdata')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
