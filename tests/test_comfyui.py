"""The node pack inside a real ComfyUI server: import, documentation, contract, every shipped workflow, errors,
Cancel during training, memory over many prompts, and the workflow templates route."""

from __future__ import annotations

import copy
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import numpy as np
import pytest
import tomlkit  # comfy-cli's TOML library (tomllib is Python 3.11+)
import torch
from comfyui_harness import ComfyServer, PromptRejected
from hub_server import HubServer, dataset_files, random_png
from PIL import Image
from test_pict import tf_variables, write_pict
from video_clips import clip_facts, pan_frames, write_clip

import pix2pix_core as p2p
from pix2pix_core.networks import (
    CommunityUnetConfig,
    PatchGANConfig,
    ResnetConfig,
    UnetConfig,
    build_network,
    init_weights,
)
from pix2pix_core.video.files import read_chunks
from pix2pix_core.weights.catalogue import CATALOGUE, DEMO_TRANSLATORS

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / "workflows"
CONTRACT = Path(__file__).parent / "data" / "node_contract.json"
NODES = ["Pix2PixLoadModel", "Pix2PixTranslate", "Pix2PixEdges", "Pix2PixColorize", "Pix2PixCritic", "Pix2PixTrain",
         "Pix2PixTrainUnpaired", "Pix2PixSaveModel", "Pix2PixExamplePhoto", "Pix2PixSketch", "Pix2PixFlicker",
         "Pix2PixLabelMap", "Pix2PixTranslateLabels", "Pix2PixTrainLabels"]
TINY_TRAINING = {"steps": 3, "crop_size": 64, "ngf": 4, "num_downs": 6, "precision": "float32"}


def _bin(net) -> bytes:
    buffer = io.BytesIO()
    torch.save(net.state_dict(), buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def comfy(tmp_path_factory):
    home = tmp_path_factory.mktemp("hf")
    with HubServer() as hub:
        for i, entry in enumerate(CATALOGUE):  # tiny models under the catalogue's repo ids: the graphs stay as shipped
            torch.manual_seed(i)
            hub.state.add_commit(entry.repo_id, {"pytorch_model.bin": _bin(init_weights(build_network(
                CommunityUnetConfig(ngf=4))))})
        env = {"HF_ENDPOINT": hub.endpoint, "HF_HOME": str(home), "HF_HUB_OFFLINE": "0", "CI": "true",
               "PIX2PIX_LOADED_MODELS": "2"}
        with ComfyServer(env, frontend=True) as server:  # the real UI too, for the browser test
            _prepare_inputs(server.base, tmp_path_factory.mktemp("photos"))
            _place_label_translator(server.base / "models" / "pix2pix" / LABEL_TRANSLATOR)
            server.photos = tmp_path_factory.mktemp("photos_done")
            server.hub = hub
            yield server


LABEL_TRANSLATOR = "label2city_1024p/latest_net_G.pth"  # NVIDIA's, which the labels_to_city template names


def _place_label_translator(path: Path) -> None:
    """A tiny local enhancer where a user puts NVIDIA's label2city_1024p checkpoint, saved as NVIDIA saves it."""
    from nvidia_pix2pixhd import LocalEnhancer, weights_init

    torch.manual_seed(5)
    path.parent.mkdir(parents=True)
    torch.save(LocalEnhancer(36, 3, ngf=4, n_down=2, n_blocks_global=1, n_blocks_local=1).apply(weights_init)
               .state_dict(), path)


def _prepare_inputs(base: Path, photos: Path) -> None:
    assets = ROOT / "pix2pix_core" / "assets"
    shutil.copy(assets / "coffee.jpg", base / "input" / "shoe.jpg")
    shutil.copy(assets / "rocket.jpg", base / "input" / "night.jpg")
    Image.open(assets / "chelsea.jpg").convert("L").save(base / "input" / "gray_photo.jpg")
    Image.new("RGB", (1, 1), (10, 20, 30)).save(base / "input" / "one_pixel.png")
    torch.manual_seed(0)
    colorizer = init_weights(build_network(UnetConfig(1, 2, num_downs=6, ngf=4)))
    colorizer.io = colorizer.io.__class__("lab_l", "lab_ab", 64)
    p2p.save_pretrained(colorizer, base / "models" / "pix2pix" / "fixture-colorizer",
                        init_weights(build_network(PatchGANConfig(in_channels=3, ndf=4))))
    p2p.save_pretrained(init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1))),
                        base / "models" / "pix2pix" / "rgb-model")
    for seed, entry in enumerate(DEMO_TRANSLATORS):  # the interactive demo's files, as `demo: NAME` downloads them
        write_pict(base / "models" / "pix2pix" / entry.file, *tf_variables(seed))
    write_clip(base / "input" / "pix2pix_pan.mp4", pan_frames(20, 96, 64, step=4))  # the video template's clip
    photos_dir = base / "input" / "photos"  # nodes read folders inside ComfyUI's input folder only
    photos_dir.mkdir()
    for name in ("astronaut.jpg", "rocket.jpg"):
        shutil.copy(assets / name, photos_dir / name)


def _workflow(name: str) -> dict:
    return json.loads((WORKFLOWS / "api" / f"{name}.json").read_text())


def _output_images(comfy: ComfyServer, history: dict, node: str) -> list[Image.Image]:
    files = history["outputs"][node]["images"]  # Save Image writes to output/, Preview Image to temp/
    return [Image.open(comfy.base / f["type"] / f["subfolder"] / f["filename"]) for f in files]


def _errors(history: dict) -> str:
    """Each execution error: the node, the exception and the end of its traceback (not the inputs' values)."""
    return "\n".join(f"{m['node_id']} {m['node_type']}: {m['exception_type']}: {m['exception_message']}\n"
                     f"{''.join(m.get('traceback', [])[-3:])}"
                     for kind, m in history["status"].get("messages", []) if kind == "execution_error")


def test_pack_imports_and_every_node_documents_itself(comfy):
    log = comfy.log_text()
    line = next(line for line in log.splitlines() if "comfyui-pix2pix" in line and "seconds" in line)
    assert "IMPORT FAILED" not in line
    # nothing heavy at import (newer logs are coloured); ComfyUI prints tenths, and this pack reads 0.2 to 0.4 on
    # these 2 cores depending on load (its torch, safetensors and Pillow are ComfyUI's, already imported); which
    # heavy packages it must not import is checked exactly in test_the_pack_loads_without_touching_sys_path
    assert float(re.search(r"([\d.]+) seconds", line)[1]) <= 0.5
    info = comfy.get("/object_info")
    for name in NODES:
        node = info[name]
        assert node["category"].startswith("pix2pix") and len(node["description"]) > 40, name
        for group in ("required", "optional"):
            for input_name, spec in node["input"].get(group, {}).items():
                assert spec[1].get("tooltip") if len(spec) > 1 else False, f"{name}.{input_name} has no tooltip"
        assert all(node["output_tooltips"]), f"{name} outputs lack tooltips"


HEAVY_AT_RUN_TIME = {"onnx", "onnxruntime", "datasets", "tensorboard", "av", "skimage", "cv2", "tifffile", "scipy",
                     "matplotlib", "sklearn", "torchvision", "pyarrow", "pandas"}
LOAD_AS_COMFYUI_DOES = """
import asyncio, json, sys
pack, sys.argv = sys.argv[1], ["main.py", "--cpu"]
import comfy.options
comfy.options.enable_args_parsing()
import nodes  # ComfyUI's own module, which a pack must not shadow
path_before, modules_before = list(sys.path), set(sys.modules)
loaded = asyncio.run(nodes.load_custom_node(pack))
new = sorted(set(sys.modules) - modules_before)
print(json.dumps({"loaded": loaded, "path_added": [p for p in sys.path if p not in path_before],
                  "top_level": sorted({m.split(".")[0] for m in new}), "comfy_nodes": nodes.__file__}))
"""


@pytest.mark.slow
def test_the_pack_loads_without_touching_sys_path(comfy):
    """ComfyUI's own loader: nothing is added to sys.path, the pack's folders (nodes, tests, install...) do not
    become top-level modules, the core is the pack's own copy, imported relatively (no top-level pix2pix_core), and
    no heavy package a node needs only when it runs (ONNX, PyAV, datasets, tifffile...) is imported."""
    pack = comfy.base / "custom_nodes" / "comfyui-pix2pix"
    done = subprocess.run([sys.executable, "-c", LOAD_AS_COMFYUI_DOES, str(pack)], cwd=comfy.comfy_dir,
                          capture_output=True, text=True, timeout=240)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["loaded"] and report["path_added"] == []
    assert Path(report["comfy_nodes"]).parent == Path(comfy.comfy_dir).resolve()
    pack_names = {"nodes", "tests", "install", "benchmarks", "workflows", "docs", "subgraphs", "pix2pix_core"}
    assert not pack_names & set(report["top_level"]), report["top_level"]
    # what a node needs only when it runs is imported then: ComfyUI's start-up does not pay for it
    assert not HEAVY_AT_RUN_TIME & set(report["top_level"]), report["top_level"]


def _contract(info: dict) -> dict:
    contract = {}
    for name in NODES:
        node = info[name]
        inputs = {}
        for group in ("required", "optional"):
            for input_name, spec in node["input"].get(group, {}).items():
                kind = "COMBO" if isinstance(spec[0], list) else spec[0]
                inputs[input_name] = {"type": kind, "required": group == "required"}
        contract[name] = {"inputs": inputs, "outputs": node["output"], "output_names": node["output_name"]}
    return contract


def test_node_contract_is_unchanged(comfy):
    """Saved workflows depend on these names and types: changing them must be a deliberate act."""
    assert _contract(comfy.get("/object_info")) == json.loads(CONTRACT.read_text())


def _linked_slots_only(workflow: dict) -> dict:
    """The workflow without ComfyUI's own nodes' unconnected output slots: newer ComfyUI gives SaveImage a
    pass-through output that the shipped (0.3.75-built) files lack and nothing connects; the frontend adds such
    slots itself. The pack's nodes are compared whole."""
    workflow = copy.deepcopy(workflow)
    for node in workflow["nodes"]:
        if node["type"] not in NODES:
            node["outputs"] = [slot for slot in node["outputs"] if slot.get("links")]
    return workflow


def test_ui_workflows_are_the_api_twins(comfy):
    import sys

    sys.path.insert(0, str(WORKFLOWS))
    from build_ui import build_all

    for name, workflow in build_all(comfy.get("/object_info")).items():
        shipped = json.loads((WORKFLOWS / f"{name}.json").read_text())
        assert _linked_slots_only(shipped) == _linked_slots_only(workflow), name
        assert (WORKFLOWS / f"{name}.jpg").is_file(), f"{name} has no thumbnail"


def _prompt_of_blueprint(definition: dict, object_info: dict, image: str, promoted: dict) -> dict:
    """The API prompt a blueprint's subgraph runs as: its input node fed by LoadImage(``image``), each output saved,
    promoted widgets set from ``promoted`` ({(node id, widget): value}) as a user sets them on the subgraph node."""
    from build_ui import _input_specs, _is_widget

    links = {link["id"]: link for link in definition["links"]}
    source = {-10: "input"}
    prompt = {"input": {"class_type": "LoadImage", "inputs": {"image": image}}}
    for node in definition["nodes"]:
        linked = {slot["name"]: links[slot["link"]] for slot in node["inputs"] if slot.get("link") is not None}
        values, inputs = list(node["widgets_values"]), {}
        for name, spec in _input_specs(object_info[node["type"]]):
            if name in linked:
                inputs[name] = [source.get(linked[name]["origin_id"], str(linked[name]["origin_id"])),
                                linked[name]["origin_slot"]]
            elif _is_widget(spec) and values:
                inputs[name] = promoted.get((str(node["id"]), name), values.pop(0))
                if name == "seed":
                    values.pop(0)  # "control after generate"
        prompt[str(node["id"])] = {"class_type": node["type"], "inputs": inputs}
    for link in definition["links"]:
        if link["target_id"] == -20:
            prompt[f"save{link['target_slot']}"] = {"class_type": "SaveImage", "inputs": {
                "images": [str(link["origin_id"]), link["origin_slot"]], "filename_prefix": "blueprint"}}
    return prompt


def test_subgraph_blueprints_are_served_and_run(comfy):
    """ComfyUI serves <pack>/subgraphs/*.json at /global_subgraphs (its node library); each is rebuilt from its spec
    as shipped, and the graph inside runs with its promoted widgets set as a user would."""
    sys.path.insert(0, str(WORKFLOWS))
    from build_ui import SUBGRAPHS, build_subgraphs

    object_info = comfy.get("/object_info")
    for name, blueprint in build_subgraphs(object_info).items():
        assert json.loads((SUBGRAPHS / f"{name}.json").read_text()) == blueprint, name
    served = {entry["name"]: (entry_id, entry) for entry_id, entry in comfy.get("/global_subgraphs").items()
              if entry["info"]["node_pack"] == "custom_nodes.comfyui-pix2pix"}
    assert set(served) == {"Edges to Photo (pix2pix)", "Colorize a Photo (pix2pix)"}
    runs = {"Edges to Photo (pix2pix)": ("shoe.jpg", {}, 2),
            "Colorize a Photo (pix2pix)": ("gray_photo.jpg", {("1", "model"): "fixture-colorizer/model.safetensors"},
                                           1)}
    for name, (image, promoted, outputs) in runs.items():
        data = json.loads(comfy.get(f"/global_subgraphs/{served[name][0]}")["data"])
        definition = data["definitions"]["subgraphs"][0]
        assert data["nodes"][0]["type"] == definition["id"] and definition["category"].endswith("pix2pix")
        widgets = {tuple(widget) for widget in data["nodes"][0]["properties"]["proxyWidgets"]}
        assert set(promoted) <= widgets
        history = comfy.run(_prompt_of_blueprint(definition, object_info, image, promoted))
        assert history["status"]["status_str"] == "success", (name, _errors(history)[-1500:])
        size = Image.open(comfy.base / "input" / image).size
        for slot in range(outputs):
            assert _output_images(comfy, history, f"save{slot}")[0].size == size, (name, slot)


def _as_shipped(name: str) -> dict:
    """A template as a user opens it, its trainings cut to a few steps of a tiny network: it names no file of the
    user's (no Load Image, no saved model) and every model comes from the Hub catalogue or is trained in it."""
    workflow = _workflow(name)
    for node in workflow.values():
        assert node["class_type"] != "LoadImage", name  # the embedded example photos instead (a clip: Load Video)
        assert node["inputs"].get("model", "(none)") in ("(none)", LABEL_TRANSLATOR) or \
            isinstance(node["inputs"]["model"], list), name  # label2city: NVIDIA's file, which no Hub repo holds
        if node["class_type"] == "Pix2PixTrain":
            node["inputs"].update(TINY_TRAINING)
        if node["class_type"] == "Pix2PixTrainUnpaired":
            node["inputs"].update(steps=2, crop_size=32, ngf=4, n_blocks=1, precision="float32")
    return workflow


def test_every_template_runs_as_opened(comfy):
    """Each shipped workflow, with no file in the input folder it needs: the pack's example photos, the Hub
    catalogue's translators (tiny ones from the local Hub), and colorizers trained in the graph itself."""
    held_out = Image.open(ROOT / "pix2pix_core" / "assets" / "coffee.jpg").size
    outputs = {"edges2shoes": ("6", held_out), "night2day": ("4", Image.open(ROOT / "pix2pix_core" / "assets" /
                                                                             "rocket.jpg").size),
               "labels2facade": ("4", (256, 256)), "train_colorizer": ("5", held_out), "colorize": ("4", held_out),
               "critic_heatmap": ("5", held_out), "train_unpaired_style": ("7", held_out),
               "sketch_to_cat": ("4", (256, 256)), "facades_painter": ("4", (256, 256))}
    for name, (node, size) in outputs.items():
        history = comfy.run(_as_shipped(name))
        assert history["status"]["status_str"] == "success", (name, _errors(history)[-1500:])
        image = _output_images(comfy, history, node)[0]
        assert (image.size, image.mode) == (size, "RGB"), name
    # the colour templates share one colorizer: trained by the first, found complete by the others
    assert p2p.load_generator(comfy.base / "models" / "pix2pix" / "my-colorizer").training_facts["steps"] == 3


def test_the_labels_to_city_template_paints_the_drawn_street(comfy):
    """Sketch (a street drawn in the Cityscapes colours) -> Label Map -> Translate Labels with NVIDIA's label2city
    checkpoint (here a tiny one of its format) -> Preview: a picture of the drawing's size."""
    history = comfy.run(_as_shipped("labels_to_city"))
    assert history["status"]["status_str"] == "success", _errors(history)
    image = _output_images(comfy, history, "5")[0]
    assert (image.size, image.mode) == ((512, 256), "RGB")


@pytest.mark.slow
def test_the_video_template_translates_a_clip_and_keeps_its_rate_and_sound(comfy):
    """Load Video -> Get Video Components -> Edges -> Translate (temporal clip, dropout on, stabilize 0.5) -> Create
    Video -> Save Video, ComfyUI's own video nodes around the pack's: as many frames, the same rate and the audio;
    Flicker's report shown by Preview Any."""
    history = comfy.run(_workflow("video_edges_to_photo"))
    assert history["status"]["status_str"] == "success", _errors(history)[-1500:]
    saved = next(iter(history["outputs"]["7"].values()))[0]
    facts = clip_facts(comfy.base / "output" / saved["subfolder"] / saved["filename"])
    source = clip_facts(comfy.base / "input" / "pix2pix_pan.mp4")
    assert (facts["frames"], facts["rate"], facts["size"]) == (source["frames"], source["rate"], source["size"])
    assert facts["audio_seconds"] == pytest.approx(source["audio_seconds"], abs=0.05)
    assert re.fullmatch(r"warping error [0-9.]+, [0-9.]+x the input's own [0-9.]+ over \d+ frames .*",
                        history["outputs"]["9"]["text"][0])


def _translated_chunks(comfy, clip: str, chunks: list[tuple[int, int]], temporal: str, stabilize: float = 0.0,
                       node: str = "t", statistics: str = "per_image") -> list[np.ndarray]:
    """Frames of ``clip`` (in input/) translated by the video-unet as the chunks (start, length), one Translate
    node each (``node`` + k), with dropout on."""
    inputs = {"fit": "native", "tile_size": 512, "statistics": statistics, "dropout": True, "seed": 7,
              "precision": "float32", "temporal": temporal, "stabilize": stabilize}
    return _chunks_through(comfy, clip, chunks, "Pix2PixTranslate", inputs, "video-unet", node,
                           f"meta_{temporal}")


def _chunks_through(comfy, clip: str, chunks: list[tuple[int, int]], node_type: str, inputs: dict, model: str,
                    node: str, prefix: str) -> list[np.ndarray]:
    """Frames of ``clip`` (in input/) through ``node_type`` with ``model`` (in models/pix2pix) as the chunks (start,
    length), one node each (``node`` + k), in one prompt; the frames saved, in order."""
    graph = {"v": {"class_type": "LoadVideo", "inputs": {"file": clip}},
             "c": {"class_type": "GetVideoComponents", "inputs": {"video": ["v", 0]}},
             "m": {"class_type": "Pix2PixLoadModel", "inputs": {"model": f"{model}/model.safetensors",
                                                                "catalogue": "(none)", "repo_id": "",
                                                                "revision": ""}}}
    for k, (start, length) in enumerate(chunks):
        graph[f"b{k}"] = {"class_type": "ImageFromBatch", "inputs": {"image": ["c", 0], "batch_index": start,
                                                                      "length": length}}
        graph[f"{node}{k}"] = {"class_type": node_type, "inputs": {"model": ["m", 0], "image": [f"b{k}", 0],
                                                                   **inputs}}
        graph[f"s{k}"] = {"class_type": "SaveImage", "inputs": {"images": [f"{node}{k}", 0],
                                                               "filename_prefix": f"{prefix}_{k}"}}
    history = comfy.run(graph)
    assert history["status"]["status_str"] == "success", _errors(history)[-1500:]
    return [np.asarray(image) for k in range(len(chunks)) for image in _output_images(comfy, history, f"s{k}")]


@pytest.fixture(scope="module")
def video_unet(comfy):
    torch.manual_seed(0)
    p2p.save_pretrained(init_weights(build_network(UnetConfig(num_downs=6, ngf=8))),
                        comfy.base / "models" / "pix2pix" / "video-unet")


def test_a_clip_translated_in_meta_batches_equals_the_clip_translated_whole(comfy, video_unet):
    """Translate with temporal 'clip' on 32 frames at once, and on the same frames as two chunks of 16 (what
    VideoHelperSuite's meta-batches feed it): identical frames. With 'frame' the dropout noise changes per frame."""
    # lossless (FFV1), so the 32 decoded frames are really one picture
    write_clip(comfy.base / "input" / "still.mkv", pan_frames(1, 64, 64) * 32, audio=False, codec="ffv1")
    whole = _translated_chunks(comfy, "still.mkv", [(0, 32)], "clip")
    chunked = _translated_chunks(comfy, "still.mkv", [(0, 16), (16, 16)], "clip")
    assert len(whole) == len(chunked) == 32 and all((a == b).all() for a, b in zip(whole, chunked))
    assert all((frame == whole[0]).all() for frame in whole)  # a still clip stays still
    flickering = _translated_chunks(comfy, "still.mkv", [(0, 32)], "frame")
    assert not (flickering[0] == flickering[1]).all()


def test_stabilize_carries_over_meta_batch_chunks(comfy, video_unet):
    """stabilize 0.5 on a pan: run whole by one node, and as two chunks of 16 by another node in two successive
    prompts (as meta-batches come): the second chunk continues from the first's last frame, so both give the
    same frames, which differ from the unsmoothed ones after the first."""
    write_clip(comfy.base / "input" / "pan.mkv", pan_frames(32, 64, 64, step=2), audio=False, codec="ffv1")
    whole = _translated_chunks(comfy, "pan.mkv", [(0, 32)], "clip", stabilize=0.5, node="whole")
    chunked = [frame for chunk in ((0, 16), (16, 16))
               for frame in _translated_chunks(comfy, "pan.mkv", [chunk], "clip", stabilize=0.5, node="chunk")]
    plain = _translated_chunks(comfy, "pan.mkv", [(0, 32)], "clip")
    assert len(chunked) == 32 and all((a == b).all() for a, b in zip(whole, chunked))
    assert (whole[0] == plain[0]).all() and not (whole[16] == plain[16]).all()
    rerun = _translated_chunks(comfy, "pan.mkv", [(0, 16)], "clip", stabilize=0.5, node="chunk")
    assert all((a == b).all() for a, b in zip(whole, rerun))  # the clip again: a fresh start, not a continuation


def test_clip_statistics_are_fixed_on_the_first_chunk_and_kept_for_the_next(comfy, video_unet):
    """statistics clip: the 32 frames whole, and as two chunks of 16 in two prompts by one node, give the same
    frames (both estimated over the clip's first 16 frames), unlike per-image statistics; with temporal frame it is
    refused by name."""
    write_clip(comfy.base / "input" / "zoom.mkv", pan_frames(32, 64, 64, step=2, zoom=0.02), audio=False,
               codec="ffv1")
    whole = _translated_chunks(comfy, "zoom.mkv", [(0, 32)], "clip", node="whole", statistics="clip")
    chunked = [frame for chunk in ((0, 16), (16, 16))
               for frame in _translated_chunks(comfy, "zoom.mkv", [chunk], "clip", node="chunk",
                                               statistics="clip")]
    own = _translated_chunks(comfy, "zoom.mkv", [(0, 32)], "clip")
    assert len(chunked) == 32 and all((a == b).all() for a, b in zip(whole, chunked))
    assert not all((a == b).all() for a, b in zip(whole, own))
    with pytest.raises(AssertionError, match="is part of temporal 'clip'"):
        _translated_chunks(comfy, "zoom.mkv", [(0, 4)], "frame", statistics="clip")


def test_colorize_stabilizes_a_clip_across_meta_batch_chunks(comfy):
    """Colorize with stabilize 0.5: the clip whole, and as two chunks in two successive prompts by one node, give
    the same frames, smoothed after the first (unlike stabilize 0)."""
    torch.manual_seed(3)
    p2p.save_pretrained(init_weights(build_network(UnetConfig(in_channels=1, out_channels=2, num_downs=6, ngf=8))),
                        comfy.base / "models" / "pix2pix" / "video-colorizer")
    write_clip(comfy.base / "input" / "gray_pan.mkv", pan_frames(16, 64, 64, step=2), audio=False, codec="ffv1")

    def colorized(chunks, strength, node):
        return _chunks_through(comfy, "gray_pan.mkv", chunks, "Pix2PixColorize", {"stabilize": strength},
                               "video-colorizer", node, f"colorized_{node}")

    whole = colorized([(0, 16)], 0.5, "whole")
    chunked = [frame for chunk in ((0, 8), (8, 8)) for frame in colorized([chunk], 0.5, "chunk")]
    plain = colorized([(0, 16)], 0.0, "plain")
    assert len(chunked) == 16 and all((a == b).all() for a, b in zip(whole, chunked))
    assert (whole[0] == plain[0]).all() and not (whole[8] == plain[8]).all()


def test_the_flicker_node_reports_the_warping_error_of_a_translation(comfy, video_unet):
    """Pix2Pix Flicker on Translate's output: the figures the core's measure gives for the same frames, shown on
    the node; smoothing lowers it."""
    from pix2pix_core.video.flicker import warping_errors

    write_clip(comfy.base / "input" / "pan.mkv", pan_frames(32, 64, 64, step=2), audio=False, codec="ffv1")
    graph = {"v": {"class_type": "LoadVideo", "inputs": {"file": "pan.mkv"}},
             "c": {"class_type": "GetVideoComponents", "inputs": {"video": ["v", 0]}},
             "m": {"class_type": "Pix2PixLoadModel", "inputs": {"model": "video-unet/model.safetensors",
                                                                "catalogue": "(none)", "repo_id": "",
                                                                "revision": ""}}}
    for strength in (0.0, 0.8):
        graph[f"t{strength}"] = {"class_type": "Pix2PixTranslate", "inputs": {
            "model": ["m", 0], "image": ["c", 0], "fit": "native", "tile_size": 512, "statistics": "per_image",
            "dropout": True, "seed": 7, "precision": "float32", "temporal": "frame", "stabilize": strength}}
        graph[f"f{strength}"] = {"class_type": "Pix2PixFlicker", "inputs": {"input_frames": ["c", 0],
                                                                            "output_frames": [f"t{strength}", 0]}}
        graph[f"s{strength}"] = {"class_type": "SaveImage", "inputs": {"images": [f"t{strength}", 0],
                                                                      "filename_prefix": f"flicker_{strength}"}}
    history = comfy.run(graph)
    assert history["status"]["status_str"] == "success", _errors(history)[-1500:]
    figures = {}
    for strength in (0.0, 0.8):
        report = history["outputs"][f"f{strength}"]["text"][0]
        figures[strength] = float(report.split()[2].rstrip(","))
        frames = torch.from_numpy(np.stack(_output_images(comfy, history, f"s{strength}"))).permute(0, 3, 1, 2)
        inputs = torch.cat(list(read_chunks(comfy.base / "input" / "pan.mkv", 32)))
        expected, own = warping_errors([inputs], [frames.float() / 255])
        assert figures[strength] == pytest.approx(expected, abs=2e-3)  # the node saw float frames, not 8-bit
        assert f"the input's own {own:.4f}" in report and "over 32 frames" in report
    assert figures[0.8] < 0.7 * figures[0.0], figures


def test_train_colorizer_reads_a_folder_and_logs_to_tensorboard(comfy):
    train = _workflow("train_colorizer")
    train["1"]["inputs"].update(TINY_TRAINING, folder="photos", save_name="trained-colorizer", tensorboard=True)
    history = comfy.run(train)
    assert history["status"]["status_str"] == "success", _errors(history)
    assert p2p.load_generator(comfy.base / "models" / "pix2pix" / "trained-colorizer").training_facts["steps"] == 3
    assert list((comfy.base / "models" / "pix2pix" / "trained-colorizer.training" / "tb").glob("events.out.*"))


@pytest.mark.slow
def test_train_node_reads_a_hub_dataset_and_records_its_commit(comfy):
    pairs = {side: [random_png(40, 32, seed + i) for i in range(3)] for side, seed in (("imageA", 0), ("imageB", 9))}
    commit = comfy.hub.state.add_commit("datasets/org/tiny-pairs", dataset_files({"train": pairs}))
    workflow = _workflow("train_colorizer")
    prompt = {node: workflow[node] for node in ("1", "2")}  # train and its loss plot
    del prompt["1"]["inputs"]["inputs"]  # the folder alone, no example photos
    prompt["1"]["inputs"].update(TINY_TRAINING, folder="hub:org/tiny-pairs", preset="custom", save_name="from-hub")
    history = comfy.run(prompt)
    assert history["status"]["status_str"] == "success", _errors(history)
    facts = p2p.load_generator(comfy.base / "models" / "pix2pix" / "from-hub").training_facts
    assert (facts["dataset"], facts["dataset_revision"], facts["dataset_split"]) == ("org/tiny-pairs", commit, "train")
    for folder, message in (("hub:org/absent", "org/absent was not found"),
                            ("hub:../etc", "is neither an existing local path nor a valid Hub repo id")):
        prompt["1"]["inputs"].update(folder=folder, save_name="never-written")
        history = comfy.run(prompt)
        assert history["status"]["status_str"] == "error" and message in _errors(history), (folder, _errors(history))

    unpaired = _workflow("train_unpaired_style")  # the two image columns as CycleGAN's two domains
    for side in ("images_a", "images_b"):  # the Hub dataset holds both domains: no example photos
        del unpaired["1"]["inputs"][side]
    unpaired["1"]["inputs"].update(folder_a="hub:org/tiny-pairs", folder_b="", preset="custom", steps=1, crop_size=32,
                                   ngf=4, n_blocks=1, precision="float32", save_name="style-from-hub")
    history = comfy.run(unpaired)
    assert history["status"]["status_str"] == "success", _errors(history)[-1500:]
    facts = p2p.load_generator(comfy.base / "models" / "pix2pix" / "style-from-hub" / "BtoA").training_facts
    assert (facts["dataset"], facts["dataset_revision"]) == ("org/tiny-pairs", commit)


def _translate_prompt(image: str, model: str = "rgb-model/model.safetensors") -> dict:
    prompt = copy.deepcopy(_workflow("night2day"))
    prompt["1"] = {"class_type": "LoadImage", "inputs": {"image": image}}
    prompt["2"]["inputs"].update(model=model, catalogue="(none)")
    return prompt


def test_bad_inputs_give_node_errors_and_the_server_keeps_serving(comfy):
    wrong = _workflow("colorize")  # an RGB translator where the colorizer belongs
    wrong["1"] = {"class_type": "Pix2PixLoadModel", "inputs": {"model": "rgb-model/model.safetensors",
                                                               "catalogue": "(none)", "repo_id": "", "revision": ""}}
    history = comfy.run(wrong)
    assert history["status"]["status_str"] == "error" and "maps 3 -> 3 channels" in _errors(history)
    try:  # refused at validation, or a node error at run time: either way it names the missing file
        missing = comfy.run(_translate_prompt("night.jpg", model="missing-model/model.safetensors"))
        assert missing["status"]["status_str"] == "error" and "missing-model" in _errors(missing)
    except PromptRejected as rejected:
        assert "missing-model" in str(rejected)
    for folder, message in (("/etc", "is a path: give a plain name, which is placed under"),
                            ("../models", "has a component '..'"),
                            ("no_such_folder", "is not a folder inside ComfyUI's input folder")):
        reading = _workflow("train_colorizer")  # nodes read folders inside ComfyUI's input folder only
        reading["1"]["inputs"].update(TINY_TRAINING, folder=folder, save_name="never-written")
        history = comfy.run(reading)
        assert history["status"]["status_str"] == "error" and message in _errors(history), (folder, _errors(history))
    assert not (comfy.base / "models" / "pix2pix" / "never-written").exists()
    tiny = comfy.run(_translate_prompt("one_pixel.png"))
    assert tiny["status"]["status_str"] == "success" and _output_images(comfy, tiny, "4")[0].size == (1, 1)
    after = comfy.run(_translate_prompt("night.jpg"))
    assert after["status"]["status_str"] == "success"


@pytest.mark.slow
def test_interrupt_stops_training_and_keeps_a_checkpoint(comfy):
    train = _workflow("train_colorizer")
    train["1"]["inputs"].update(TINY_TRAINING, steps=100000, folder="photos",
                                save_name="interrupted")
    prompt_id = comfy.queue(train)
    deadline = time.time() + 120
    while not comfy.get("/queue")["queue_running"] and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(4)  # some steps
    comfy.post("/interrupt", {})
    history = comfy.wait(prompt_id, timeout=120)
    assert history["status"]["status_str"] != "success"
    checkpoint = comfy.base / "models" / "pix2pix" / "interrupted.training" / "checkpoint"
    assert 0 < p2p.load_generator(checkpoint).training_facts["steps"] < 100000


def test_many_translate_prompts_do_not_grow_memory(comfy):
    for _ in range(3):
        comfy.run(_translate_prompt("night.jpg"))
    before = comfy.rss()
    ids = []
    for seed in range(20):
        prompt = _translate_prompt("night.jpg")
        prompt["3"]["inputs"]["seed"] = seed  # new inputs: ComfyUI cannot serve it from its cache
        prompt["3"]["inputs"]["dropout"] = True
        ids.append(comfy.queue(prompt))
    for prompt_id in ids:
        assert comfy.wait(prompt_id)["status"]["status_str"] == "success"
    assert comfy.rss() - before < 64 * 2**20


def test_workflow_templates_are_listed(comfy):
    templates = comfy.get("/workflow_templates")
    assert set(templates["comfyui-pix2pix"]) >= {path.stem for path in (WORKFLOWS / "api").glob("*.json")}


def _save_prompt(name: str, overwrite: bool = False) -> dict:
    return {
        "1": {"class_type": "Pix2PixLoadModel", "inputs": {"model": "rgb-model/model.safetensors",
                                                           "catalogue": "(none)", "repo_id": "", "revision": ""}},
        "2": {"class_type": "Pix2PixSaveModel", "inputs": {"model": ["1", 0], "name": name, "push_to_hub": False,
                                                           "repo_id": "", "token": "", "private": True,
                                                           "overwrite": overwrite}},
    }


def test_save_model_node_writes_a_loadable_translator(comfy):
    history = comfy.run(_save_prompt("saved-copy"))
    assert history["status"]["status_str"] == "success", _errors(history)[-1500:]
    saved = p2p.load_generator(comfy.base / "models" / "pix2pix" / "saved-copy")
    original = p2p.load_generator(comfy.base / "models" / "pix2pix" / "rgb-model")
    x = torch.rand(1, 3, 32, 32)
    assert torch.equal(p2p.translate(saved, x), p2p.translate(original, x))
    again = _save_prompt("saved-copy")
    again["2"]["inputs"]["private"] = False  # other inputs, or ComfyUI answers from its cache without running
    history = comfy.run(again)
    assert history["status"]["status_str"] == "error" and "overwrite" in _errors(history)
    assert comfy.run(_save_prompt("saved-copy", overwrite=True))["status"]["status_str"] == "success"


def test_load_model_picks_either_side_of_a_cyclegan_repo(comfy):
    """The reference's latest_net_G_A/B.pth published as a repo: direction BtoA loads G_B (saved back by Save Model
    and compared weight for weight); a pix2pix repo has no BtoA side, and the error says what was expected."""
    sides = {}
    for seed, name in ((1, "latest_net_G_A.pth"), (2, "latest_net_G_B.pth")):
        torch.manual_seed(seed)
        sides[name] = init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1)))
    comfy.hub.state.add_commit("someone/tiny-cyclegan", {name: _bin(net) for name, net in sides.items()})
    for direction, name in (("BtoA", "latest_net_G_B.pth"), ("AtoB", "latest_net_G_A.pth")):
        prompt = _save_prompt(f"picked-{direction}")
        prompt["1"]["inputs"].update(model="(none)", repo_id="someone/tiny-cyclegan", direction=direction)
        history = comfy.run(prompt)
        assert history["status"]["status_str"] == "success", _errors(history)[-1500:]
        saved = p2p.load_generator(comfy.base / "models" / "pix2pix" / f"picked-{direction}").state_dict()
        assert all(torch.equal(saved[k], v) for k, v in sides[name].state_dict().items()), direction
    prompt = _save_prompt("never-written")
    prompt["1"]["inputs"].update(model="(none)", repo_id="huggan/pix2pix-night2day", direction="BtoA")
    history = comfy.run(prompt)
    assert history["status"]["status_str"] == "error" and "latest_net_G_B.pth" in _errors(history)


HOSTILE_NAMES = ["../escape", " ..", "..", "/tmp/abs-escape", "", " ", "a\x00b", "C:evil", "name.", "nested/name",
                 "..\\up", "trailing "]


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.slow
def test_every_node_name_stays_inside_the_models_folder(comfy, tmp_path):
    """Save Model and Train refuse every name that is not a plain folder name, and write nothing anywhere."""
    before = _tree(comfy.base)
    for name in HOSTILE_NAMES:
        history = comfy.run(_save_prompt(name, overwrite=True))
        assert history["status"]["status_str"] == "error", name
        train = _workflow("train_colorizer")
        train["1"]["inputs"].update(TINY_TRAINING, folder="photos", save_name=name)
        history = comfy.run(train)
        assert history["status"]["status_str"] == "error", name
        assert "Traceback" not in _errors(history)[:200]
    assert _tree(comfy.base) == before
    assert not Path("/tmp/abs-escape").exists()


def test_train_never_replaces_a_saved_model(comfy):
    assert comfy.run(_save_prompt("users-model"))["status"]["status_str"] == "success"
    before = (comfy.base / "models" / "pix2pix" / "users-model" / "model.safetensors").read_bytes()
    train = _workflow("train_colorizer")
    train["1"]["inputs"].update(TINY_TRAINING, folder="photos", save_name="users-model")
    history = comfy.run(train)
    assert history["status"]["status_str"] == "error" and "did not write" in _errors(history)
    assert (comfy.base / "models" / "pix2pix" / "users-model" / "model.safetensors").read_bytes() == before


@pytest.mark.parametrize("repo_id", ["/etc/passwd", "/", "../../etc", "models/pix2pix", "org/name/extra"])
def test_load_model_takes_only_hub_ids_and_leaks_nothing(comfy, repo_id):
    prompt = _translate_prompt("night.jpg")
    prompt["2"]["inputs"]["repo_id"] = repo_id
    history = comfy.run(prompt)
    message = next(m[1]["exception_message"] for m in history["status"]["messages"] if m[0] == "execution_error")
    # a server path is refused as an id; an id that names a server folder is looked up on the Hub, never read locally
    expected = "was not found" if repo_id == "models/pix2pix" else "valid Hub repo id"
    assert history["status"]["status_str"] == "error" and expected in message, message
    assert "root:" not in message and "/bin" not in message and "etc/" not in message.replace(repo_id, "")


def test_a_hub_revision_cannot_climb_out_of_the_cache(comfy):
    prompt = _translate_prompt("night.jpg")
    prompt["2"]["inputs"].update(repo_id=CATALOGUE[0].repo_id, revision="../../../../escaped")
    history = comfy.run(prompt)
    assert history["status"]["status_str"] == "error" and "not a valid branch" in _errors(history)
    assert not any(p.name == "escaped" for p in comfy.base.parent.rglob("escaped"))


def test_cancel_ends_a_hub_download_that_hangs(comfy):
    """The endpoint accepts and never answers: Cancel frees the queue at once, long before the request's timeout."""
    comfy.hub.state.stall.add("slow/stalled")
    prompt = _translate_prompt("night.jpg")
    prompt["2"]["inputs"]["repo_id"] = "slow/stalled"
    prompt_id = comfy.queue(prompt)
    deadline = time.time() + 60
    while not comfy.get("/queue")["queue_running"] and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(1)
    started = time.time()
    comfy.post("/interrupt", {})
    history = comfy.wait(prompt_id, timeout=60)
    assert history["status"]["status_str"] != "success" and time.time() - started < 10
    assert comfy.run(_translate_prompt("night.jpg"))["status"]["status_str"] == "success"  # still serving


def test_unpaired_training_workflow_runs_both_ways(comfy):
    """Two folders (photos, and the same photos through a fixed colour transform, unpaired) -> CycleGAN -> a photo
    translated A -> B and back; both directions land in models/pix2pix/<name>/AtoB and /BtoA."""
    folder_b = comfy.base / "input" / "photos_tinted"
    folder_b.mkdir(exist_ok=True)
    for path in sorted((comfy.base / "input" / "photos").iterdir()):
        image = Image.open(path).convert("RGB")
        r, g, b = image.split()
        Image.merge("RGB", (b, r, g)).save(folder_b / f"tinted_{path.stem}.png")
    workflow = _workflow("train_unpaired_style")
    workflow["1"]["inputs"].update(folder_a="photos", folder_b="photos_tinted", preset="custom",
                                   steps=2, crop_size=32, ngf=4, n_blocks=1, precision="float32", save_name="style")
    history = comfy.run(workflow)
    assert history["status"]["status_str"] == "success", _errors(history)[-1500:]
    size = Image.open(comfy.base / "input" / "night.jpg").size
    assert _output_images(comfy, history, "5")[0].size == size and _output_images(comfy, history, "7")[0].size == size
    for direction in ("AtoB", "BtoA"):
        g, d = p2p.load_translator(comfy.base / "models" / "pix2pix" / "style" / direction)
        assert g.io.direction == direction and d is not None
    # a preset fills the widgets left at their defaults (the paper's 128 px recipe: 6 ResNet blocks, 128 px crops),
    # and a widget the user changed wins (ngf 4), as the CLI's options win over its presets
    workflow["1"]["inputs"].update(preset="cyclegan-128", steps=1, save_name="style128", crop_size=256, n_blocks=9)
    assert comfy.run(workflow)["status"]["status_str"] == "success"
    g = p2p.load_generator(comfy.base / "models" / "pix2pix" / "style128" / "AtoB")
    assert (g.config.n_blocks, g.config.ngf, g.io.train_size) == (6, 4, 128)


def test_load_model_follows_a_changed_file_and_keeps_few_translators_loaded(comfy):
    """A translator file changed on disk is loaded again (fingerprint_inputs; ComfyUI would reuse its cached
    output), and Load Model keeps only the most recently used translators (2 in this server) loaded."""
    folder = comfy.base / "models" / "pix2pix" / "changing-model"
    outputs = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        p2p.save_pretrained(init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1))), folder, overwrite=True)
        history = comfy.run(_translate_prompt("night.jpg", "changing-model/model.safetensors"))
        assert history["status"]["status_str"] == "success", _errors(history)
        outputs.append(np.asarray(_output_images(comfy, history, "4")[0], dtype=np.int16))
    assert np.abs(outputs[0] - outputs[1]).max() > 10  # the second run used the new weights
    log_start = len(comfy.log_text())  # only what this test's prompts log counts
    for i in range(3):
        torch.manual_seed(10 + i)
        p2p.save_pretrained(init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1))),
                            comfy.base / "models" / "pix2pix" / f"lru-{i}")
        history = comfy.run(_translate_prompt("night.jpg", f"lru-{i}/model.safetensors"))
        assert history["status"]["status_str"] == "success", _errors(history)
    log = comfy.log_text()[log_start:]
    assert re.search(r"Pix2Pix Load Model: unloaded \S*lru-0\S*.*keeping the 2 most recently used", log), log[-2000:]


def test_registry_metadata_passes_the_registrys_own_validation(tmp_path):
    """`comfy node validate` (comfy-cli, the Comfy Registry's tool) on this pyproject, and the files it names."""
    done = subprocess.run([sys.executable, "-m", "comfy_cli", "--skip-prompt", "--no-enable-telemetry", "node",
                           "validate"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HOME": str(tmp_path)})
    said = done.stdout + done.stderr
    assert done.returncode == 0 and "All validation checks passed" in said and "Warning" not in said, said
    project = tomlkit.parse((ROOT / "pyproject.toml").read_text())
    comfy, classifiers = project["tool"]["comfy"], project["project"]["classifiers"]
    assert comfy["requires-comfyui"].startswith(">=") and comfy["PublisherId"]
    assert any(c.startswith("Operating System ::") for c in classifiers)
    assert any(c.startswith("Environment :: GPU ::") for c in classifiers)
    for field in ("Icon", "Banner"):
        path = ROOT / comfy[field].split("/main/", 1)[1]  # the URL serves this file of the repository
        assert path.is_file(), field
    with Image.open(ROOT / comfy["Icon"].split("/main/", 1)[1]) as icon:
        assert icon.size[0] == icon.size[1] <= 400


def test_search_aliases_where_the_running_comfyui_has_them(comfy):
    """Newer ComfyUI finds the nodes by their aliases; 0.3.75, which refuses Schema fields it does not know, still
    loads the pack (every other test here) and lists no aliases."""
    supports = "search_aliases" in (Path(comfy.comfy_dir) / "comfy_api" / "latest" / "_io.py").read_text()
    info = comfy.get("/object_info")
    for name in NODES:
        assert bool(info[name].get("search_aliases")) == supports, name
    if supports:
        assert "cyclegan" in info["Pix2PixTrainUnpaired"]["search_aliases"]


SHRINK_IN_BROWSER = """([sizes]) => {
    for (const node of window.app.graph.nodes) {
        for (const widget of node.widgets || []) {
            if (node.type in sizes && widget.name in sizes[node.type]) widget.value = sizes[node.type][widget.name];
        }
    }
    return window.app.graph.nodes.filter(node => !LiteGraph.registered_node_types[node.type]).map(node => node.type);
}"""


@pytest.mark.slow
def test_every_template_runs_from_the_real_frontend(comfy):
    """Each shipped UI workflow loaded into the real frontend (1.32.9, headless Chromium): no missing node type, the
    prompt the frontend builds equals the API twin input for input, and queued from the page it runs to success."""
    from browser import chromium, open_frontend

    unpaired = {"steps": 2, "crop_size": 32, "ngf": 4, "n_blocks": 1, "precision": "float32"}
    sizes = {"Pix2PixTrain": TINY_TRAINING, "Pix2PixTrainUnpaired": unpaired}
    with chromium() as browser:
        page = open_frontend(browser, comfy.url)
        for path in sorted(WORKFLOWS.glob("*.json")):
            page.evaluate("wf => window.app.loadGraphData(wf)", json.loads(path.read_text()))
            assert page.evaluate(SHRINK_IN_BROWSER, [sizes]) == [], f"{path.name}: node types the frontend lacks"
            built = page.evaluate("async () => (await window.app.graphToPrompt()).output")
            expected = _as_shipped(path.stem)
            assert {node: (spec["class_type"], spec["inputs"]) for node, spec in built.items()} == \
                {node: (spec["class_type"], spec["inputs"]) for node, spec in expected.items()}, path.name
            before = set(comfy.get("/history"))
            page.evaluate("() => window.app.queuePrompt(0)")
            deadline = time.time() + 300
            while not (new := set(comfy.get("/history")) - before):
                assert time.time() < deadline, f"{path.name}: the frontend queued nothing"
                time.sleep(0.2)
            history = comfy.wait(new.pop())
            assert history["status"]["status_str"] == "success", (path.name, _errors(history)[-1500:])


def _live(comfy: ComfyServer, fields: dict, raw: bytes | None = None, content_type: str | None = None):
    """POST /pix2pix/live as multipart (or ``raw`` as it is); returns (status, content type, body)."""
    boundary = uuid.uuid4().hex
    if raw is None:
        parts = []
        for name, value in fields.items():
            data = value if isinstance(value, bytes) else str(value).encode()
            disposition = f'form-data; name="{name}"' + ('; filename="canvas.png"' if name == "image" else "")
            parts.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n")
        raw = b"".join(parts) + f"--{boundary}--\r\n".encode()
        content_type = f"multipart/form-data; boundary={boundary}"
    request = urllib.request.Request(comfy.url + "/pix2pix/live", data=raw, method="POST",
                                     headers={"Content-Type": content_type or "application/octet-stream"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def _drawing(width: int = 96, height: int = 64) -> bytes:
    from PIL import ImageDraw

    canvas = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(canvas).line([(5, 5), (width - 10, height // 2), (10, height - 5)], fill="black", width=2)
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_live_route_translates_a_drawing_as_translate_does(comfy):
    """PNG in, PNG out: p2p.translate of the drawing with per-image statistics and dropout seed 0, every time."""
    from pix2pix_core.imaging.files import load_image

    drawing = _drawing()
    status, kind, body = _live(comfy, {"model": "rgb-model/model.safetensors", "image": drawing})
    assert (status, kind) == (200, "image/png"), body[:300]
    generator = p2p.load_generator(comfy.base / "models" / "pix2pix" / "rgb-model")
    expected = p2p.translate(generator, load_image(drawing)[None], statistics="per_image", dropout_seed=0)[0]
    assert (load_image(body) - expected).abs().max() <= 1 / 255 + 1e-6  # 8-bit rounding only
    assert _live(comfy, {"model": "rgb-model/model.safetensors", "image": drawing})[2] == body  # deterministic


def _png_header(width: int, height: int) -> bytes:
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk + b"\x00" * 64  # no pixel data: only the header is ever read


@pytest.mark.slow
def test_the_live_route_refuses_bad_requests_keeps_serving_and_writes_nothing(comfy):
    from concurrent.futures import ThreadPoolExecutor

    folders = [comfy.base / name for name in ("input", "output", "temp")]
    before = {path for folder in folders for path in folder.rglob("*")}
    model, drawing = "rgb-model/model.safetensors", _drawing()
    cases = [({"model": "../rgb-model/model.safetensors", "image": drawing}, 400, "'..'"),
             ({"model": "/etc/passwd", "image": drawing}, 400, "is a path"),
             ({"model": "nope/model.safetensors", "image": drawing}, 404, "no translator 'nope/model.safetensors'"),
             ({"model": model}, 400, "'image'"),
             ({"model": model, "image": b"GIF89a" + b"\x00" * 40}, 415, "not a PNG"),
             ({"model": model, "image": _png_header(100000, 100000)}, 413, "claims 100000x100000"),
             ({"model": model, "image": drawing, "client": "../../x"}, 400, "'client'"),
             ({"model": model, "image": b"\x00" * (9 * 2**20)}, 413, "over 8 MiB")]
    for fields, status, message in cases:
        got, kind, body = _live(comfy, fields)
        assert (got, kind) == (status, "application/json; charset=utf-8") and message in json.loads(body)["error"], \
            (fields.get("model"), got, body[:300])
    assert _live(comfy, {}, raw=b'{"model": "x"}', content_type="application/json")[0] == 400

    # a burst from one pen: one drawing in flight, the ones a newer drawing overtook are dropped (409), not queued
    big = p2p.save_pretrained(init_weights(build_network(UnetConfig(num_downs=6, ngf=16))),
                              comfy.base / "models" / "pix2pix" / "live-unet")
    heavy = {"model": f"{big.name}/model.safetensors", "image": _drawing(1024, 1024)}
    with ThreadPoolExecutor(6) as pool:
        burst = [result[0] for result in pool.map(lambda _: _live(comfy, {**heavy, "client": "pen"}), range(6))]
    assert burst.count(409) >= 1 and 1 <= burst.count(200) < 6 and set(burst) <= {200, 409}, burst
    # a flood from many clients: a bounded number wait (8), the rest are told to come back (429)
    with ThreadPoolExecutor(14) as pool:
        flood = [result[0] for result in pool.map(lambda i: _live(comfy, {**heavy, "client": f"c{i}"}), range(14))]
    assert flood.count(429) >= 1 and flood.count(200) >= 1 and set(flood) <= {200, 429}, flood
    assert _live(comfy, {"model": model, "image": drawing})[0] == 200  # still serving
    assert {path for folder in folders for path in folder.rglob("*")} == before  # nothing written


SKETCH_GRAPH = """palette => {
    const graph = window.app.graph;
    graph.clear();
    const sketch = LiteGraph.createNode("Pix2PixSketch"), save = LiteGraph.createNode("SaveImage");
    graph.add(sketch); graph.add(save);
    sketch.pos = [80, 160]; save.pos = [560, 160];
    sketch.connect(0, save, 0);
    const choice = sketch.widgets.find(w => w.name === "palette");
    choice.value = palette; choice.callback(palette);
    window.app.canvas.ds.scale = 1; window.app.canvas.ds.offset = [0, 0];
    graph.setDirtyCanvas(true, true);
}"""
SKETCH_VALUE = """() => window.app.graph.nodes.find(n => n.type === "Pix2PixSketch").widgets
    .find(w => w.name === "drawing").value"""
PAD_GEOMETRY = """() => {
    const pad = window.app.graph.nodes.find(n => n.type === "Pix2PixSketch").pix2pixSketch.pad;
    const box = pad.canvas.getBoundingClientRect();
    const scale = Math.min(box.width / pad.width, box.height / pad.height);
    return {scale, left: box.left + (box.width - pad.width * scale) / 2,
            top: box.top + (box.height - pad.height * scale) / 2};
}"""


def _drag(page, points: list[tuple[int, int]]) -> None:
    """A mouse stroke through these canvas pixels (mapped to the page as the pad shows its canvas)."""
    at = page.evaluate(PAD_GEOMETRY)
    place = [(at["left"] + (x + 0.5) * at["scale"], at["top"] + (y + 0.5) * at["scale"]) for x, y in points]
    page.mouse.move(*place[0])
    page.mouse.down()
    for x, y in place[1:]:
        page.mouse.move(x, y, steps=6)
    page.mouse.up()


def _pixels(data_url: str) -> np.ndarray:
    import base64

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))).convert("RGB"))


def _queue_from_page(comfy: ComfyServer, page) -> dict:
    before = set(comfy.get("/history"))
    page.evaluate("() => window.app.queuePrompt(0)")
    deadline = time.time() + 120
    while not (new := set(comfy.get("/history")) - before):
        assert time.time() < deadline, "the frontend queued nothing"
        time.sleep(0.2)
    return comfy.wait(new.pop())


@pytest.mark.slow
def test_the_sketch_pad_draws_exact_label_colours_and_the_prompt_runs_what_it_shows(comfy):
    """In the real frontend, with the mouse: a facades label map drawn with the box, rectangle, flood fill, line
    and pen tools holds only palette colours; undo and redo step through it; a picture to trace over changes
    nothing sent; the prompt carries the canvas and the server's output equals it pixel for pixel; a reloaded
    workflow brings back the drawing and its palette."""
    from browser import chromium, close_overlays, open_frontend

    from pix2pix_core.imaging.palettes import FACADES

    rgb = {colour.name: colour.rgb for colour in FACADES.colours}
    with chromium() as browser:
        page = open_frontend(browser, comfy.url)
        close_overlays(page)  # the templates browser opens first
        page.evaluate(SKETCH_GRAPH, "facades")
        time.sleep(1)
        assert (_pixels(page.evaluate(SKETCH_VALUE)) == rgb["wall"]).all()  # a blank facades canvas is wall

        def draw(tool: str, colour: str, points: list[tuple[int, int]]) -> np.ndarray:
            page.click(f"button[data-tool={tool}]")
            page.click(f"button[data-colour='{colour}']")
            _drag(page, points)
            return _pixels(page.evaluate(SKETCH_VALUE))

        boxed = draw("box", "window", [(20, 30), (60, 90)])
        assert (boxed[30:91, 20:61] == rgb["window"]).all() and (boxed[:30] == rgb["wall"]).all()
        outlined = draw("rect", "door", [(100, 100), (200, 180)])
        assert (outlined[100, 100:201] == rgb["door"]).all() and (outlined[140, 150] == rgb["wall"]).all()
        filled = draw("fill", "balcony", [(150, 140)])
        assert (filled[101:180, 101:200] == rgb["balcony"]).all() and (filled[100, 150] == rgb["door"]).all()
        assert (filled[:100] == outlined[:100]).all()  # the fill stayed inside the outline
        draw("line", "trim", [(10, 240), (250, 200)])
        final = draw("pen", "cornice", [(220, 20), (230, 60), (240, 30)])
        colours = {tuple(c) for c in final.reshape(-1, 3)}
        assert colours == {rgb[name] for name in ("wall", "window", "door", "balcony", "trim", "cornice")}, colours

        page.click("button[data-action=undo]")
        page.click("button[data-action=undo]")
        assert (_pixels(page.evaluate(SKETCH_VALUE)) == filled).all()  # pen and line taken back
        page.click("button[data-action=redo]")
        page.click("button[data-action=redo]")
        drawing = page.evaluate(SKETCH_VALUE)
        assert (_pixels(drawing) == final).all()

        tracing = io.BytesIO()
        Image.open(ROOT / "pix2pix_core" / "assets" / "facade_labels.png").save(tracing, format="PNG")
        page.set_input_files("div.pix2pix-sketch-pad input[type=file]",
                             files=[{"name": "trace.png", "mimeType": "image/png", "buffer": tracing.getvalue()}])
        time.sleep(0.5)
        assert page.evaluate(SKETCH_VALUE) == drawing  # the tracing picture is shown, not drawn
        page.screenshot(path=str(comfy.base / "sketch.png"))

        prompt = page.evaluate("async () => (await window.app.graphToPrompt()).output")
        sketch = next(node for node in prompt.values() if node["class_type"] == "Pix2PixSketch")
        assert sketch["inputs"] == {"drawing": drawing, "width": 256, "height": 256, "palette": "facades"}
        history = _queue_from_page(comfy, page)
        assert history["status"]["status_str"] == "success", _errors(history)[-1500:]
        output = np.asarray(_output_images(comfy, history, next(iter(history["outputs"])))[0].convert("RGB"))
        assert (output == final).all()

        workflow = page.evaluate("() => window.app.graph.serialize()")
        page.evaluate("() => window.app.graph.clear()")
        page.evaluate("wf => window.app.loadGraphData(wf)", workflow)
        page.wait_for_function("""() => window.app.graph.nodes.find(n => n.type === "Pix2PixSketch")?.pix2pixSketch""")
        page.evaluate("() => window.app.graph.nodes.find(n => n.type === 'Pix2PixSketch').pix2pixSketch.ready")
        restored = page.evaluate("""() => window.app.graph.nodes.find(n => n.type === "Pix2PixSketch")
            .pix2pixSketch.canvas.toDataURL("image/png")""")
        assert (_pixels(restored) == final).all()
        assert page.locator("button[data-colour='entrance']").count() == 1  # the facades palette is back


def _select_run_mode(page, mode: str) -> None:
    page.locator("button.p-splitbutton-dropdown").first.click()  # the arrow beside Run
    page.get_by_role("menuitem", name=mode, exact=True).click()
    time.sleep(0.3)


@pytest.mark.slow
def test_run_on_change_queues_once_per_stroke_and_live_mode_follows_the_pen(comfy):
    """Run (On Change) queues exactly one prompt per finished stroke; with live on, each stroke is posted to
    /pix2pix/live while drawing and the picture shown is p2p.translate of the canvas."""
    import base64

    from browser import chromium, close_overlays, open_frontend

    from pix2pix_core.imaging.files import load_image

    with chromium() as browser:
        page = open_frontend(browser, comfy.url)
        close_overlays(page)
        posted = {"prompt": 0, "live": 0}
        page.on("request", lambda r: r.method == "POST" and [posted.__setitem__(k, posted[k] + 1)
                                                             for k in posted if r.url.endswith(f"/{k}")])
        page.evaluate(SKETCH_GRAPH, "edges")
        time.sleep(1)
        _select_run_mode(page, "Run (On Change)")
        before = len(comfy.get("/history"))
        for stroke in range(3):
            _drag(page, [(20 + 40 * stroke, 20), (60 + 40 * stroke, 200), (30, 120 + 20 * stroke)])
            deadline = time.time() + 60
            while len(comfy.get("/history")) < before + stroke + 1 or comfy.get("/queue")["queue_running"]:
                assert time.time() < deadline, f"stroke {stroke + 1} queued nothing"
                time.sleep(0.2)
        page.wait_for_timeout(1500)  # Playwright reports requests while it waits: anything extra would show
        assert posted["prompt"] == 3 and len(comfy.get("/history")) == before + 3, posted
        _select_run_mode(page, "Run")

        page.check("input.pix2pix-sketch-live")
        page.select_option("select.pix2pix-sketch-live-model", "rgb-model/model.safetensors")
        for stroke in range(4):  # quick strokes: the newest one wins, the last is always shown
            _drag(page, [(200, 30 + 50 * stroke), (120, 60 + 40 * stroke)])
        drawing = page.evaluate(SKETCH_VALUE)
        page.wait_for_function("""() => {
            const pad = window.app.graph.nodes.find(n => n.type === "Pix2PixSketch").pix2pixSketch.pad;
            return pad.result.src && pad.status.textContent.startsWith("live:") && pad.result.complete; }""")
        page.wait_for_timeout(1500)  # any answer still in flight lands
        shown = page.evaluate("""() => {  // the picture as the page shows it
            const image = window.app.graph.nodes.find(n => n.type === "Pix2PixSketch").pix2pixSketch.pad.result;
            const canvas = Object.assign(document.createElement("canvas"),
                                         {width: image.naturalWidth, height: image.naturalHeight});
            canvas.getContext("2d").drawImage(image, 0, 0);
            return [image.src, canvas.toDataURL("image/png")]; }""")
        # at most one request per change (the toggle, the model, 4 strokes), and nothing queued in live mode
        assert 2 <= posted["live"] <= 6 and posted["prompt"] == 3, posted
        generator = p2p.load_generator(comfy.base / "models" / "pix2pix" / "rgb-model")
        canvas = load_image(base64.b64decode(drawing.split(",", 1)[1]))[None]
        expected = p2p.translate(generator, canvas, statistics="per_image", dropout_seed=0)[0]
        assert shown[0].startswith("blob:")
        assert (load_image(base64.b64decode(shown[1].split(",", 1)[1])) - expected).abs().max() <= 1 / 255 + 1e-6


def test_the_sketch_node_refuses_what_no_canvas_writes(comfy):
    """A blank canvas is the palette's blank colour with an empty mask; the mask marks what differs from it; a
    value no canvas writes is refused by name."""
    import base64

    from pix2pix_core.imaging.palettes import FACADES

    def sketch(drawing: str, palette: str = "edges") -> dict:
        return {"1": {"class_type": "Pix2PixSketch",
                      "inputs": {"drawing": drawing, "width": 96, "height": 64, "palette": palette}},
                "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "sketch"}},
                "3": {"class_type": "MaskToImage", "inputs": {"mask": ["1", 1]}},
                "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "sketch_mask"}}}

    for palette, white in (("edges", (255, 255, 255)), ("facades", FACADES.blank_rgb)):
        blank = comfy.run(sketch("", palette))  # nothing drawn yet: a canvas of the node's size
        assert blank["status"]["status_str"] == "success"
        image, mask = _output_images(comfy, blank, "2")[0], _output_images(comfy, blank, "4")[0]
        assert image.size == (96, 64) and image.getextrema() == tuple((v, v) for v in white)
        assert mask.convert("L").getextrema() == (0, 0)
    labels = Image.new("RGB", (96, 64), FACADES.blank_rgb)
    labels.paste(FACADES.colour("door").rgb, (10, 20, 30, 50))  # 20x30 pixels of door
    buffer = io.BytesIO()
    labels.save(buffer, format="PNG")
    drawing = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    drawn = comfy.run(sketch(drawing, "facades"))
    mask = np.asarray(_output_images(comfy, drawn, "4")[0].convert("L"))
    assert mask.sum() == 255 * 20 * 30 and (mask[20:50, 10:30] == 255).all()
    again = comfy.run(sketch(drawing, "facades"))  # the same drawing queued again: ComfyUI's cache answers
    cached = [m[1]["nodes"] for m in again["status"]["messages"] if m[0] == "execution_cached"]
    assert cached and "1" in cached[0], again["status"]["messages"]
    huge = "data:image/png;base64," + base64.b64encode(_png_header(100000, 100000)).decode()
    for drawing, message in (("data:image/gif;base64,R0lGODlh", "not a PNG data URL"),
                             ("data:image/png;base64,%%%", "base64 is damaged"), (huge, "claims 100000x100000")):
        history = comfy.run(sketch(drawing))
        assert history["status"]["status_str"] == "error" and message in _errors(history), _errors(history)[-500:]


def test_label_maps_translate_with_a_pix2pixhd_translator(comfy, tmp_path):
    """NVIDIA's latest_net_G.pth (a local enhancer) in models/pix2pix: a drawing in the Cityscapes colours through
    Label Map and Translate Labels gives what the core's translate_labels gives, and the preview shows the labels
    read; a gray label-id image with its 16-bit instance map from the input folder likewise. Translate refuses the
    model by naming the label nodes."""
    from nvidia_pix2pixhd import LocalEnhancer, weights_init
    from street_scenes import street_scene

    from pix2pix_core.imaging.palettes import CITYSCAPES
    from pix2pix_core.inference.labels import translate_labels

    torch.manual_seed(0)
    nvidia = LocalEnhancer(36, 3, ngf=4, n_down=2, n_blocks_global=1, n_local=1, n_blocks_local=1).apply(weights_init)
    (comfy.base / "models" / "pix2pix" / "label2city").mkdir()
    torch.save(nvidia.state_dict(), comfy.base / "models" / "pix2pix" / "label2city" / "latest_net_G.pth")
    g = p2p.load_generator(comfy.base / "models" / "pix2pix" / "label2city" / "latest_net_G.pth")
    labels, instances = street_scene(100, 70)
    colours = np.array([next(c.rgb for c in CITYSCAPES.colours if c.label_id == i) for i in labels.flatten().tolist()],
                       dtype=np.uint8).reshape(*labels.shape[-2:], 3)
    Image.fromarray(colours).save(comfy.base / "input" / "street_drawing.png")
    Image.fromarray(labels[0, 0].numpy().astype(np.uint8)).save(comfy.base / "input" / "street_labelIds.png")
    Image.fromarray(instances[0, 0].numpy().astype(np.uint16)).save(comfy.base / "input" / "street_instanceIds.png")

    def graph(image: str, read_as: str, instance_map: str, label_nc: int) -> dict:
        return {"i": {"class_type": "LoadImage", "inputs": {"image": image}},
                "m": {"class_type": "Pix2PixLoadModel", "inputs": {"model": "label2city/latest_net_G.pth",
                                                                   "catalogue": "(none)", "repo_id": "",
                                                                   "revision": ""}},
                "l": {"class_type": "Pix2PixLabelMap", "inputs": {"image": ["i", 0], "read_as": read_as,
                                                                  "palette": "cityscapes",
                                                                  "instance_map": instance_map}},
                "t": {"class_type": "Pix2PixTranslateLabels", "inputs": {"model": ["m", 0], "labels": ["l", 0],
                                                                         "fit": "auto", "tile_size": 512,
                                                                         "label_nc": label_nc}},
                "s": {"class_type": "SaveImage", "inputs": {"images": ["t", 0], "filename_prefix": "city"}},
                "p": {"class_type": "SaveImage", "inputs": {"images": ["l", 1], "filename_prefix": "labels"}}}

    for image, read_as, instance_map, expected in (
            ("street_drawing.png", "palette colours", "", translate_labels(g, labels, label_nc=35)),
            ("street_labelIds.png", "label ids", "street_instanceIds.png", translate_labels(g, labels, instances))):
        history = comfy.run(graph(image, read_as, instance_map, 35 if not instance_map else 0))
        assert history["status"]["status_str"] == "success", _errors(history)
        picture = np.asarray(_output_images(comfy, history, "s")[0], dtype=np.float32) / 255
        assert np.abs(picture - expected[0].permute(1, 2, 0).numpy()).max() <= 1 / 255 + 1e-6  # Save Image floors
        assert (np.asarray(_output_images(comfy, history, "p")[0]) == colours).all()

    refused = comfy.run(_translate_prompt("street_drawing.png", model="label2city/latest_net_G.pth"))
    assert "translates label maps (pix2pixHD): use Pix2Pix Label Map" in _errors(refused)
    outside = comfy.run(graph("street_labelIds.png", "label ids", "../street_instanceIds.png", 0))
    assert outside["status"]["status_str"] == "error" and "instance_map" in _errors(outside)


def _train_labels_prompt(save_name: str, **changes) -> dict:
    widgets = {"folder": "streets", "label_nc": 34, "instance": True, "steps": 3, "minutes": 0.0,
               "generator": "global", "ngf": 8, "n_downsample_global": 2, "n_blocks": 1, "ndf": 4, "num_D": 2,
               "resize_or_crop": "scale_width", "load_size": 64, "crop_size": 512, "vgg_loss": "random",
               "global_from": "", "fix_global_steps": 0, "instance_features": False, "precision": "float32",
               "save_name": save_name, "seed": 0,
               "tensorboard": False, **changes}
    return {"tr": {"class_type": "Pix2PixTrainLabels", "inputs": widgets},
            "i": {"class_type": "LoadImage", "inputs": {"image": "streets_labelIds.png"}},
            "l": {"class_type": "Pix2PixLabelMap", "inputs": {"image": ["i", 0], "read_as": "label ids",
                                                              "palette": "cityscapes", "instance_map": ""}},
            "t": {"class_type": "Pix2PixTranslateLabels", "inputs": {"model": ["tr", 0], "labels": ["l", 0],
                                                                     "fit": "auto", "tile_size": 512, "label_nc": 0}},
            "s": {"class_type": "SaveImage", "inputs": {"images": ["t", 0], "filename_prefix": "trained_city"}}}


def test_pix2pixhd_trains_on_label_maps_and_its_translator_translates_them(comfy):
    """Pix2PixHD Train on a folder in NVIDIA's layout (input/streets) gives a translator that Translate Labels runs
    in the same graph, as the core runs the saved one; a local enhancer starts from it (global_from, inside
    models/pix2pix only) and trains its enhancer alone first; trained with instance features, the saved folder keeps
    the encoder and the clusters and Translate Labels draws the features from them."""
    from street_scenes import street_scene, write_street_dataset

    from pix2pix_core.inference.labels import draw_features, translate_labels
    from pix2pix_core.weights.feature_clusters import read_feature_clusters

    write_street_dataset(comfy.base / "input" / "streets", 3, 128, 64)
    labels, _ = street_scene(64, 32)
    Image.fromarray(labels[0, 0].numpy().astype(np.uint8)).save(comfy.base / "input" / "streets_labelIds.png")
    history = comfy.run(_train_labels_prompt("street-translator"))
    assert history["status"]["status_str"] == "success", _errors(history)
    saved = p2p.load_generator(comfy.base / "models" / "pix2pix" / "street-translator")
    assert (saved.io.label_nc, saved.training_facts["method"], saved.training_facts["steps"]) == (34, "pix2pixhd", 3)
    picture = np.asarray(_output_images(comfy, history, "s")[0], dtype=np.float32) / 255
    expected = translate_labels(saved, labels)[0].permute(1, 2, 0).numpy()
    assert np.abs(picture - expected).max() <= 1 / 255 + 1e-6  # Save Image floors to 8 bits

    local = comfy.run(_train_labels_prompt("street-translator-local", generator="local", ngf=4, load_size=64,
                                           global_from="street-translator", fix_global_steps=3))
    assert local["status"]["status_str"] == "success", _errors(local)
    enhanced = p2p.load_generator(comfy.base / "models" / "pix2pix" / "street-translator-local")
    assert all(torch.equal(value, saved.model.state_dict()[key])  # the global part: copied, and fixed all 3 steps
               for key, value in enhanced.model.state_dict().items())
    outside = comfy.run(_train_labels_prompt("street-escape", generator="local", ngf=4, load_size=64,
                                             global_from="../street-translator"))
    assert outside["status"]["status_str"] == "error" and "global_from" in _errors(outside)

    # with instance features: the saved folder keeps the encoder and the clusters, which Translate Labels draws from
    features = comfy.run(_train_labels_prompt("street-features", instance_features=True))
    assert features["status"]["status_str"] == "success", _errors(features)
    folder = comfy.base / "models" / "pix2pix" / "street-features"
    assert {"encoder.safetensors", "features_clustered_010.npy"} <= {p.name for p in folder.iterdir()}
    clusters = read_feature_clusters(folder / "features_clustered_010.npy")
    featured = p2p.load_generator(folder)
    picture = np.asarray(_output_images(comfy, features, "s")[0], dtype=np.float32) / 255
    expected = translate_labels(featured, labels, features=draw_features(clusters, labels, None))
    assert np.abs(picture - expected[0].permute(1, 2, 0).numpy()).max() <= 1 / 255 + 1e-6


def test_translate_labels_draws_instance_features_from_the_cluster_file_beside_the_model(comfy):
    """NVIDIA's --instance_feat layout in models/pix2pix (latest_net_G.pth taking 35 labels + boundaries + 3
    features, features_clustered_010.npy beside it): Translate Labels draws each instance's features as the core
    does for its feature_seed, and another seed draws another look."""
    from nvidia_pix2pixhd import GlobalGenerator, weights_init
    from street_scenes import street_scene

    from pix2pix_core.inference.labels import draw_features, translate_labels
    from pix2pix_core.weights.feature_clusters import read_feature_clusters

    folder = comfy.base / "models" / "pix2pix" / "label2city_feat"
    folder.mkdir()
    torch.manual_seed(0)
    torch.save(GlobalGenerator(39, 3, ngf=4, n_down=2, n_blocks=1).apply(weights_init).state_dict(),
               folder / "latest_net_G.pth")
    rng = np.random.default_rng(0)
    np.save(folder / "features_clustered_010.npy", {26: rng.normal(size=(10, 3)), 7: rng.normal(size=(4, 3))})
    labels, instances = street_scene(96, 64)
    Image.fromarray(labels[0, 0].numpy().astype(np.uint8)).save(comfy.base / "input" / "feat_labelIds.png")
    Image.fromarray(instances[0, 0].numpy().astype(np.uint16)).save(comfy.base / "input" / "feat_instanceIds.png")
    g = p2p.load_generator(folder / "latest_net_G.pth")
    clusters = read_feature_clusters(folder / "features_clustered_010.npy")
    pictures = []
    for seed in (0, 1):
        prompt = {"i": {"class_type": "LoadImage", "inputs": {"image": "feat_labelIds.png"}},
                  "m": {"class_type": "Pix2PixLoadModel", "inputs": {"model": "label2city_feat/latest_net_G.pth",
                                                                     "catalogue": "(none)", "repo_id": "",
                                                                     "revision": ""}},
                  "l": {"class_type": "Pix2PixLabelMap", "inputs": {"image": ["i", 0], "read_as": "label ids",
                                                                    "palette": "cityscapes",
                                                                    "instance_map": "feat_instanceIds.png"}},
                  "t": {"class_type": "Pix2PixTranslateLabels", "inputs": {
                      "model": ["m", 0], "labels": ["l", 0], "fit": "auto", "tile_size": 512, "label_nc": 0,
                      "feature_seed": seed}},
                  "s": {"class_type": "SaveImage", "inputs": {"images": ["t", 0], "filename_prefix": "feat"}}}
        history = comfy.run(prompt)
        assert history["status"]["status_str"] == "success", _errors(history)
        pictures.append(np.asarray(_output_images(comfy, history, "s")[0], dtype=np.float32) / 255)
        expected = translate_labels(g, labels, instances, features=draw_features(clusters, labels, instances, seed))
        assert np.abs(pictures[-1] - expected[0].permute(1, 2, 0).numpy()).max() <= 1 / 255 + 1e-6
    assert np.abs(pictures[0] - pictures[1]).max() > 0.05
