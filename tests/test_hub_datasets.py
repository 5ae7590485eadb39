"""Training pairs from a Hub dataset: the real ``datasets`` client against the local Hub server, which serves
parquet datasets in the Hub's layout. ``datasets`` reads HF_ENDPOINT and HF_HUB_OFFLINE when it is first imported,
so everything that talks to the server runs in a fresh process, as a user's run does."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hub_server import dataset_files
from hub_server import random_png as png
from PIL import Image


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float32).transpose(2, 0, 1) / 255


def run(args: list[str], hub, tmp_path: Path, offline: bool = False, endpoint: str | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_ENDPOINT": endpoint or hub.endpoint, "HF_HOME": str(tmp_path / "hf_home"),
           "HF_HUB_OFFLINE": "1" if offline else "0", "HF_HUB_DISABLE_TELEMETRY": "1", "PIX2PIX_HUB_TIMEOUT": "10"}
    env.pop("HF_TOKEN", None)
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=tmp_path)


def python(code: str, hub, tmp_path: Path, args: list[str] = (), **kwargs) -> dict:
    """Run ``code`` with ``args`` in a fresh interpreter; it prints one JSON object, returned."""
    result = run(["-c", code, *args], hub, tmp_path, **kwargs)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def cli(args: list[str], hub, tmp_path: Path, **kwargs) -> subprocess.CompletedProcess:
    return run(["-m", "pix2pix_core", *args], hub, tmp_path, **kwargs)


@pytest.fixture
def pairs(hub):
    """``org/pairs``: train (4 rows, the third without a target) and test (2 rows), imageA -> imageB, and a label."""
    train = {"imageA": [png(24, 20, i) for i in range(4)], "imageB": [png(24, 20, 10 + i) for i in range(4)],
             "label": [f"row {i}" for i in range(4)]}
    train["imageB"][2] = None
    test = {"imageA": [png(24, 20, 20 + i) for i in range(2)], "imageB": [png(24, 20, 30 + i) for i in range(2)],
            "label": ["t0", "t1"]}
    commit = hub.state.add_commit("datasets/org/pairs", dataset_files({"train": train, "test": test}))
    return commit, train, test


READ_PAIRS = """
import json, sys
from pix2pix_core.training.hub_datasets import hub_data, hub_pair_dataset
source = hub_data(sys.argv[1], sys.argv[2], None, sys.argv[3] or None)
dataset = hub_pair_dataset(source, "aligned")
a, b = dataset.pair(0)
last_a, last_b = dataset.pair(len(dataset) - 1)
print(json.dumps({"describe": dataset.describe(), "provenance": dataset.provenance, "len": len(dataset),
                  "a": a.tolist(), "b": b.tolist(), "last_a": last_a.tolist()}))
"""


@pytest.mark.slow
def test_two_image_columns_are_pairs_with_the_pixels_put_there(hub, pairs, tmp_path):
    commit, train, test = pairs
    got = python(READ_PAIRS, hub, tmp_path, ["org/pairs", "train", ""])
    assert got["len"] == 3 and got["provenance"] == {"dataset": "org/pairs", "dataset_revision": commit,
                                                     "dataset_split": "train"}
    assert "columns imageA -> imageB" in got["describe"] and "1 row(s) missing an image skipped" in got["describe"]
    np.testing.assert_array_equal(np.asarray(got["a"], np.float32), pixels(train["imageA"][0]))
    np.testing.assert_array_equal(np.asarray(got["b"], np.float32), pixels(train["imageB"][0]))
    np.testing.assert_array_equal(np.asarray(got["last_a"], np.float32), pixels(train["imageA"][3]))  # row 2 left out

    swapped = python(READ_PAIRS, hub, tmp_path, ["hub:org/pairs", "test", "imageB,imageA"])
    assert swapped["len"] == 2 and "columns imageB -> imageA" in swapped["describe"]
    np.testing.assert_array_equal(np.asarray(swapped["a"], np.float32), pixels(test["imageB"][0]))


SMALL = ["--ngf", "8", "--ndf", "8", "--num-downs", "5", "--crop-size", "32", "--load-size", "36",
         "--checkpoint-every", "2", "--sample-every", "2"]


@pytest.mark.slow
def test_training_pins_the_commit_records_it_and_resumes_on_it_offline_too(hub, pairs, tmp_path):
    commit, train, test = pairs
    first = cli(["train", "--data", "org/pairs", "--out", "run", "--steps", "2", "--num-workers", "1", *SMALL], hub,
                tmp_path)  # a worker process reads the Arrow table too
    assert first.returncode == 0, first.stderr[-3000:]
    assert "columns imageA -> imageB, 3 pair(s)" in first.stderr
    checkpoint = tmp_path / "run" / "checkpoint"
    facts = json.loads((checkpoint / "config.json").read_text())["training"]
    assert (facts["dataset"], facts["dataset_revision"], facts["dataset_split"]) == ("org/pairs", commit, "train")
    card = (checkpoint / "README.md").read_text()
    assert "datasets: [org/pairs]" in card.split("---")[1] and f"at commit `{commit}`" in card

    # main moves on (the targets replaced): the resumed run keeps reading the commit it started on
    hub.state.add_commit("datasets/org/pairs", dataset_files({"train": {**train, "imageB": train["imageA"]},
                                                                     "test": test}))
    resumed = cli(["train", "--data", "org/pairs", "--out", "run", "--steps", "4", *SMALL], hub, tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"resuming on org/pairs at commit {commit}" in resumed.stderr
    facts = json.loads((checkpoint / "config.json").read_text())["training"]
    assert facts["steps"] == 4 and facts["dataset_revision"] == commit

    # online, main is now the new commit (all 4 rows paired); offline, each commit reads its own cached copy
    def evaluate(*args: str, offline: bool) -> dict:
        result = cli(["eval", "--model", "run/checkpoint", "--data", "org/pairs", "--out", "m.json", *args], hub,
                     tmp_path, offline=offline)
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads((tmp_path / "m.json").read_text())

    latest = evaluate("--split", "train", offline=False)
    assert latest["images"] == 4 and latest["dataset_revision"] != commit
    pinned = evaluate("--split", "train", "--revision", commit, offline=True)
    assert pinned["images"] == 3 and pinned["dataset_revision"] == commit
    main = evaluate(offline=True)  # the default split of eval: test; main as the cache's refs record it
    assert main["images"] == 2 and main["dataset_split"] == "test"
    assert main["dataset_revision"] == latest["dataset_revision"] and 0 < main["l1"] < 1


PROBE = """
import json, sys
from pix2pix_core.errors import Pix2PixError
from pix2pix_core.training.hub_datasets import hub_data, hub_pair_dataset
answers = []
for data, split, columns, kind in json.loads(sys.argv[1]):
    try:
        answers.append(hub_pair_dataset(hub_data(data, split, None, columns), kind).describe())
    except Pix2PixError as exc:
        answers.append("error: " + str(exc))
print(json.dumps(answers))
"""


def probe(cases: list[tuple], hub, tmp_path: Path, **kwargs) -> list[str]:
    return python(PROBE.replace("print(json.dumps(answers))", "print(json.dumps({'answers': answers}))"), hub,
                  tmp_path, [json.dumps(cases)], **kwargs)["answers"]


@pytest.mark.slow
def test_the_layout_comes_from_the_features_and_bad_datasets_are_named(hub, pairs, tmp_path):
    for name, width in (("aligned", 40), ("photos", 20)):
        images = [png(width, 20, i) for i in range(3)] + [None]  # an empty cell is skipped, as in a pair
        hub.state.add_commit(f"datasets/org/{name}", dataset_files({"train": {"image": images}}))
    hub.state.add_commit("datasets/org/text", dataset_files({"train": {"caption": ["a", "b"]}}))
    hub.state.add_commit("datasets/org/three", dataset_files({"train": {name: [png(20, 20, 1)] for name in "xyz"}}))
    aligned, photos, colorize, text, three, chosen, unknown, split, missing = probe([
        ("org/aligned", "train", None, "aligned"), ("org/photos", "train", None, "aligned"),
        ("org/photos", "train", None, "colorize"), ("org/text", "train", None, "aligned"),
        ("org/three", "train", None, "aligned"), ("org/three", "train", "z,x", "aligned"),
        ("org/three", "train", "x,w", "aligned"), ("org/pairs", "validation", None, "aligned"),
        ("org/absent", "train", None, "aligned")], hub, tmp_path)
    assert aligned == "aligned pairs, 3 image(s) split into A | B"
    assert photos.startswith("error: org/photos@") and "does not look like aligned pairs: 3 of 3" in photos
    assert "row 0 (20x20)" in photos and "--preset colorize" in photos and "--columns A,B" in photos
    assert colorize == "3 photo(s), each made into a Lab L -> ab (colorization) pair"
    assert "has no Image column to train on (its columns: caption (Value))" in text
    assert "has 3 image columns (x, y, z): name the input and the target with --columns A,B" in three
    assert "columns z -> x, 1 pair(s)" in chosen
    assert "has no image column w; its image columns: x, y, z" in unknown
    assert "has no split 'validation'; its splits: train, test. Choose one with --split." in split
    assert "org/absent was not found" in missing


@pytest.mark.slow
def test_without_the_network_or_the_extra_the_message_names_the_way_out(hub, pairs, tmp_path):
    unreachable = cli(["train", "--data", "org/pairs", "--out", "run", "--steps", "1", *SMALL], hub, tmp_path,
                      endpoint="http://127.0.0.1:9")
    assert unreachable.returncode == 2 and "Traceback" not in unreachable.stderr
    assert "could not download org/pairs@main" in unreachable.stderr and "HF_HUB_OFFLINE=1" in unreachable.stderr
    assert "Or use a local folder instead of org/pairs" in unreachable.stderr

    offline = cli(["train", "--data", "org/pairs", "--out", "run", "--steps", "1", *SMALL], hub, tmp_path,
                  offline=True)
    assert offline.returncode == 2 and "Traceback" not in offline.stderr
    assert "offline (HF_HUB_OFFLINE is set) and the dataset org/pairs@main is not in the local cache" in offline.stderr

    local = tmp_path / "pairs_folder"
    local.mkdir()
    refused = cli(["train", "--data", str(local), "--split", "test", "--out", "run"], hub, tmp_path)
    assert refused.returncode == 2 and "--split: options of a Hub dataset, but" in refused.stderr

    no_extra = run(["-c", "import sys; sys.modules['datasets'] = None; from pix2pix_core.cli import main; "
                    "sys.exit(main(['train', '--data', 'org/pairs', '--out', 'run', '--steps', '1']))"], hub, tmp_path)
    assert no_extra.returncode == 2 and "Traceback" not in no_extra.stderr
    needs = "datasets is not installed; training on a Hugging Face Hub dataset (--data org/name, hub:org/name) needs"
    assert needs in no_extra.stderr
    assert 'pip install "pix2pix-nodes[datasets]"; in ComfyUI\'s Python: pip install datasets' in no_extra.stderr


@pytest.mark.slow
def test_cyclegan_reads_two_image_columns_as_its_domains(hub, tmp_path):
    """huggan's unpaired datasets hold unrelated A and B images side by side (empty cells where one domain has
    fewer): each column, its empty cells skipped, is a domain."""
    domains = {"imageA": [png(30, 24, i) for i in range(3)], "imageB": [png(24, 30, 5 + i) for i in range(3)]}
    domains["imageB"][1] = None
    commit = hub.state.add_commit("datasets/org/unpaired", dataset_files({"train": domains}))
    small = ["--ngf", "8", "--ndf", "8", "--n-blocks", "1", "--crop-size", "32", "--load-size", "36",
             "--checkpoint-every", "2", "--sample-every", "2"]
    result = cli(["train", "--method", "cyclegan", "--data", "org/unpaired", "--out", "run", "--steps", "2", *small],
                 hub, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "unpaired domains: 3 image(s) in A, 2 in B" in result.stderr
    for direction in ("AtoB", "BtoA"):
        facts = json.loads((tmp_path / "run" / "checkpoint" / direction / "config.json").read_text())["training"]
        assert (facts["dataset"], facts["dataset_revision"]) == ("org/unpaired", commit)
    one_column = cli(["train", "--method", "cyclegan", "--data", "org/unpaired", "--columns", "imageA", "--out",
                      "other", *small], hub, tmp_path)
    assert one_column.returncode == 2 and "unpaired training reads domain A and domain B from two image" in \
        one_column.stderr
