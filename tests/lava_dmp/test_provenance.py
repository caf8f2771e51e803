"""source_commit names the commit a checkout is on, read back from git's own
files (not through git), and None outside a checkout."""

import subprocess
from pathlib import Path

import pytest

from lava_dmp.provenance import source_commit


def _git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(folder), *args],
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@t",
            "HOME": str(folder),
            "PATH": "/usr/bin:/bin:/usr/local/bin",
        },
    )


@pytest.fixture
def checkout(tmp_path):
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    (repo / "sub" / "a.txt").write_text("a\n")
    _git(repo, "add", "sub/a.txt")
    _git(repo, "commit", "-q", "-m", "one")
    return repo


def test_names_the_branch_head_from_the_ref_file(checkout):
    head = (checkout / ".git" / "refs" / "heads" / "main").read_text().strip()
    assert len(head) == 40
    assert source_commit(checkout / "sub", short=False) == head
    short = source_commit(checkout / "sub")
    assert short is not None and 4 <= len(short) < 40 and head.startswith(short)


def test_follows_a_new_commit(checkout):
    first = source_commit(checkout, short=False)
    (checkout / "sub" / "a.txt").write_text("b\n")
    _git(checkout, "commit", "-q", "-am", "two")
    second = (checkout / ".git" / "refs" / "heads" / "main").read_text().strip()
    assert second != first
    assert source_commit(checkout, short=False) == second


def test_none_outside_a_checkout(tmp_path, monkeypatch):
    plain = tmp_path / "plain"
    plain.mkdir()
    # a ceiling stops git from finding a checkout above tmp_path
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert source_commit(plain) is None
    assert source_commit(tmp_path / "missing") is None
