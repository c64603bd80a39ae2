"""cli/buildflags: the lines quick_parse reads give what argparse gives; the rest is
left to argparse."""

import pytest

from dockyard.cli.buildflags import FLAGS, Options, build_parser, quick_parse

LINES = [
    ["."],
    ["-t", "a:1", "--tag=b", "-tc", "."],
    ["--network", "host", "-t", "x", "images/nginx"],
    [".", "--no-cache", "-q", "--pull", "--force-rm", "--check"],
    ["-f", "-", "."],
    ["-f", "sub/Dockerfile", "--file=x", "ctx"],
    ["--build-arg", "A=1", "--build-arg", "B", "--label", "k=v", "--label=k2=v=2", "."],
    ["-c", "512", "-m", "1g", "--shm-size", "64m", "--rm=false", "."],
    ["--cpu-shares=7", "--platform", "linux/amd64", "--target", "build", "."],
    ["--progress=plain", "-o", "type=local,dest=out", "--iidfile", "id", "."],
    ["--cache-from", "img", "--cache-to", "type=local,dest=c", "--metadata-file", "m", "."],
    ["--secret", "id=a", "--ssh", "default", "--build-context", "x=dir", "--add-host", "h:1", "."],
    ["-t", "", "."],
    ["-"],
    ["--tag", "-", "."],
]

REFUSED = [
    [],  # no context: argparse's usage error
    [".", "other"],
    ["--help", "."],
    ["-h"],
    ["--no-ca", "."],  # an abbreviation argparse expands
    ["-qt", "x", "."],  # a bundle
    ["-t=x", "."],
    ["--no-cache=true", "."],
    ["-t", "-x", "."],
    ["-c", "many", "."],
    ["-c", "-5", "."],
    ["--", "."],
    [".", "-t"],
]


@pytest.mark.parametrize("argv", LINES, ids=[" ".join(a) or "-" for a in LINES])
def test_quick_parse_gives_what_argparse_gives(argv):
    quick = quick_parse(argv)
    assert quick is not None
    assert vars(quick) == vars(build_parser().parse_args(argv))


@pytest.mark.parametrize("argv", REFUSED, ids=[" ".join(a) or "none" for a in REFUSED])
def test_other_lines_are_left_to_argparse(argv):
    assert quick_parse(argv) is None


def test_defaults_match_argparse():
    names = {n for names, _, _ in FLAGS for n in names}
    assert {s for a in build_parser()._actions for s in a.option_strings} - names == {"-h", "--help"}
    assert vars(Options()) | {"context": "."} == vars(build_parser().parse_args(["."]))
