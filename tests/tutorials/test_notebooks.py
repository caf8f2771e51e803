"""Every tutorial runs top to bottom (short mode: LAVA_DMP_TUTORIAL_SHORT=1)."""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

TUTORIALS = sorted((Path(__file__).parents[2] / "tutorials").glob("*.ipynb"))


def test_all_tutorials_are_there():
    names = [p.name[:2] for p in TUTORIALS]
    assert names == ["01", "02", "03", "04", "05", "06", "07", "08"]


@pytest.mark.parametrize("path", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_notebook_executes(path, tmp_path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "commit tutorials without outputs"
    )
    monkeypatch.setenv("LAVA_DMP_TUTORIAL_SHORT", "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError with the failing cell
    images = sum(
        1
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})
    )
    assert images >= 1, "a tutorial shows at least one figure"
    streams = "".join(
        o.get("text", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream"
    )
    for notice in ("Prophesee", "No CUDA runtime", "Traceback"):
        assert notice not in streams, f"a tutorial prints {notice!r}"
    assert os.environ["LAVA_DMP_TUTORIAL_SHORT"] == "1"
