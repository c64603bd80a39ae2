"""Helpers the command modules share."""

from dockyard.cli.shared import split_repo_tag


def test_split_repo_tag():
    assert split_repo_tag("repo:tag") == ("repo", "tag")
    assert split_repo_tag("localhost:5000/repo") == ("localhost:5000/repo", "")
    assert split_repo_tag("localhost:5000/repo:v1") == ("localhost:5000/repo", "v1")
