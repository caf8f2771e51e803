"""The repository carries its own documentation: every docs/ page (and
section) cited in the package, the tests, the tutorials and the README exists,
and the README's Python snippets run."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [
    *ROOT.glob("lava_dmp/**/*.py"),
    *ROOT.glob("tests/**/*.py"),
    *ROOT.glob("tutorials/*.ipynb"),
    *ROOT.glob("scripts/*.py"),
    *ROOT.glob("benchmarks/*.py"),
    ROOT / "README.md",
    *ROOT.glob("docs/*.md"),
]
CITE = re.compile(r"(?:\.\./)?docs/([\w.-]+\.md)(?:\)?,? section (\d+))?")
LINK = re.compile(r"\]\(([\w.-]+\.md)(#[\w-]+)?\)")


def _citations():
    for path in SOURCES:
        if path.name == "test_docs.py":
            continue
        text = path.read_text()
        for m in CITE.finditer(text):
            yield path, m.group(1), m.group(2)
        if path.parent.name == "docs":
            for m in LINK.finditer(text):
                yield path, m.group(1), None


def test_cited_docs_and_sections_exist():
    cited = list(_citations())
    assert len(cited) >= 10, "the package cites its docs"
    missing = []
    for path, page, section in cited:
        doc = ROOT / "docs" / page
        if page == "README.md":
            continue
        if not doc.is_file():
            missing.append(f"{path.relative_to(ROOT)} cites docs/{page}")
        elif section and not re.search(rf"(?m)^#+ {section}\.", doc.read_text()):
            missing.append(
                f"{path.relative_to(ROOT)} cites docs/{page} section {section}"
            )
    assert not missing, "\n".join(missing)


def test_no_citation_of_notes_outside_the_repository():
    outside = "dmp-" + "model.md"  # the notes this package once cited
    for path in SOURCES:
        assert outside not in path.read_text(), path


def test_readme_is_a_user_guide():
    assert len((ROOT / "README.md").read_bytes()) < 15_000
    index = (ROOT / "docs" / "index.md").read_text()
    for page in sorted(p.name for p in (ROOT / "docs").glob("*.md")):
        if page != "index.md":
            assert f"({page})" in index, f"docs/index.md lists {page}"


@pytest.mark.timeout(600)
def test_readme_python_snippets_run(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert len(blocks) >= 2
    for i, code in enumerate(blocks):
        script = tmp_path / f"snippet{i}.py"
        script.write_text(code)
        done = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=500,
        )
        assert done.returncode == 0, (
            f"README snippet {i}:\n{code}\n{done.stderr[-2000:]}"
        )
