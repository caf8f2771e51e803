"""The pretrained networks shipped with the package: they measure what their
provenance records, run bit-exactly in Lava, and travel in the wheel."""

import copy
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from lava_dmp.netx import run_lava_many
from lava_dmp.pretrained import NAMES, available, files, load
from lava_dmp.train.export import layer_spikes, quantize_network
from lava_dmp.train.trainer import evaluate
from tests.lava_dmp.datasets.test_mnist import needs_mnist

pytestmark = pytest.mark.timeout(900)


SHIPPED = available()


def test_the_shipped_networks():
    assert NAMES == ("smnist", "psmnist")
    assert SHIPPED == list(NAMES), "both networks are shipped"
    total = sum(p.stat().st_size for n in SHIPPED for p in files(n).values())
    assert total < 2_000_000, "pretrained files under 2 MB in all"


@pytest.mark.parametrize("name", SHIPPED)
def test_files_match_their_provenance(name):
    pre = load(name)
    record = pre.provenance
    for kind in ("weights", "network"):
        digest = hashlib.sha256(files(name)[kind].read_bytes()).hexdigest()
        assert digest == record["files"][kind], kind
    weights = torch.load(files(name)["weights"], weights_only=False)
    assert "optimizer" not in weights and set(weights["model"]) == set(
        pre.net.state_dict()
    )
    assert record["training"]["command"].startswith("lava-dmp train --task")
    assert len(record["training"]["commit"]) == 40
    assert record["measured"]["lava"]["spike_mismatches"] == 0


@needs_mnist
@pytest.mark.parametrize("name", SHIPPED)
def test_recorded_accuracy_and_bit_exact_lava(name):
    """Float and quantised accuracy on the first 500 test digits within 0.5
    points of the record; Lava spikes equal the quantised forward's."""
    pre = load(name)
    first = pre.test_set(500)
    record = pre.provenance["measured"]["first_500"]
    assert abs(evaluate(pre.net, first) - record["float"]) <= 0.005
    net = quantize_network(copy.deepcopy(pre.net), None, pre.spec)
    assert abs(evaluate(net, first) - record["quantised"]) <= 0.005
    seqs = [first.sequence(i) for i in range(2)]
    runs = run_lava_many(pre.network, seqs)
    with torch.no_grad():
        spikes = layer_spikes(net, first.x[:2])
    for i, run in enumerate(runs):
        for k in range(len(spikes)):
            assert np.array_equal(run[f"s{k}"], spikes[k][i].numpy().T), (i, k)


def test_the_wheel_carries_pretrained_files_and_kernel_sources(tmp_path):
    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(tmp_path),
            str(root),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("lava_dmp-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in SHIPPED:
        for ext in ("pt", "h5", "json"):
            assert f"lava_dmp/pretrained/{name}.{ext}" in names
    for src in ("lif_forward.c", "lif_backward.c", "lmu_adjoint.c", "rows.h"):
        assert f"lava_dmp/train/csrc/{src}" in names
    assert "lava_dmp/proc/network/models.py" in names


def test_training_starts_from_a_shipped_network(tmp_path, capsys):
    """``--init-from pretrained:NAME`` fine-tunes a shipped network; an
    unknown name is refused naming the shipped ones."""
    from lava_dmp.cli import main
    from lava_dmp.train.trainer import initial_network

    net, info = initial_network("pretrained:smnist")
    shipped = load("smnist").net
    for (k, a), (_, b) in zip(net.state_dict().items(), shipped.state_dict().items()):
        assert torch.equal(a, b), k
    assert info["net"]["order"] == 20 and info["epoch"] == 32
    argv = ["train", "--task", "smnist", "--order", "20", "--init-from"]
    out = str(tmp_path / "run")
    assert main([*argv, "pretrained:cifar", "--output", out]) == 2
    assert "--init-from: 'pretrained:cifar' is not shipped" in capsys.readouterr().err
