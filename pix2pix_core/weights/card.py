"""The README.md model card written next to the weights (Hub conventions: YAML front matter, then prose)."""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import ConfigError
from ..hub_client import REPO_ID
from ..networks.norm import NO_STATISTICS

CITATION = """@inproceedings{isola2017image,
  title     = {Image-to-Image Translation with Conditional Adversarial Networks},
  author    = {Isola, Phillip and Zhu, Jun-Yan and Zhou, Tinghui and Efros, Alexei A.},
  booktitle = {Computer Vision and Pattern Recognition (CVPR)},
  year      = {2017}
}"""
CITATION_HD = """@inproceedings{wang2018pix2pixHD,
  title     = {High-Resolution Image Synthesis and Semantic Manipulation with Conditional GANs},
  author    = {Wang, Ting-Chun and Liu, Ming-Yu and Zhu, Jun-Yan and Tao, Andrew and Kautz, Jan and Catanzaro, Bryan},
  booktitle = {Computer Vision and Pattern Recognition (CVPR)},
  year      = {2018}
}"""


UNKNOWN_LICENSE = "unknown"
LICENSE_ID = re.compile(r"^[a-z0-9][a-z0-9.+-]{0,63}$")  # Hub licence identifiers: mit, apache-2.0, cc-by-nc-4.0


def check_license(license: str) -> str:
    if not LICENSE_ID.match(license or ""):
        raise ConfigError(f"license {license!r} is not a licence identifier as the Hub writes them (lowercase, e.g. "
                          f"'mit', 'apache-2.0', 'cc-by-nc-4.0', 'other'); leave it out if it is not known.")
    return license


def _label_usage(where: str, model: str) -> list[str]:
    """How a label-map translator (pix2pixHD) is used: label ids and instance maps in, pictures out."""
    return [
        f"A label-map translator: label ids in (and instance maps), pictures out. In ComfyUI (the comfyui-pix2pix "
        f"node pack): **Pix2Pix Load Model** with {where}, and a drawing or a label-id image through **Pix2Pix Label "
        "Map** into **Pix2Pix Translate Labels** (the `labels_to_city` template).", "",
        "From the command line (`pip install pix2pix-nodes`, the comfyui-pix2pix core) or Python:", "",
        "```bash", f"pix2pix translate --model {model} labels/ --instance-map instances/ --out pictures/", "```", "",
        "```python", "import pix2pix_core as p2p", "from pix2pix_core.imaging.labels import read_label_ids", "",
        f'g = p2p.load_generator("{model}")',
        'y = p2p.translate_labels(g, read_label_ids("x_labelIds.png"), read_label_ids("x_instanceIds.png"))', "```",
        ""]


def render_model_card(config: dict[str, Any], n_params: int, name: str, license: str = UNKNOWN_LICENSE,
                      samples: list[str] | None = None, repo_id: str | None = None) -> str:
    """Render the card from the config.json dictionary; ``name`` titles it (the repo id or the folder's name);
    usage names ``repo_id`` when the card is for the Hub, else the folder."""
    io = config.get("io") or {}
    training = config.get("training") or {}
    source = config.get("source") or {}
    datasets = training.get("dataset")
    front = ["---", "library_name: comfyui-pix2pix", "pipeline_tag: image-to-image",
             "tags: [pix2pix, gan, comfyui]", f"license: {check_license(license)}"]
    if isinstance(datasets, str) and REPO_ID.match(datasets):  # the Hub links only its own dataset ids
        front.append(f"datasets: [{datasets}]")
    front.append("---")
    arguments = ", ".join(f"{k}={v}" for k, v in config["arguments"].items())
    where = f"`repo_id` = `{repo_id}`" if repo_id else f"this folder, placed as `ComfyUI/models/pix2pix/{name}/`"
    model = repo_id or f"path/to/{name}"
    lines = [
        *front, "", f"# {name}", "",
        f"A pix2pix image-to-image translator ({config['architecture']} generator, {n_params:,} parameters), "
        "packaged by comfyui-pix2pix.", "",
    ]
    if license == UNKNOWN_LICENSE:
        lines += ["**Licence: not stated.** Whoever saved these weights did not say under which terms they may be "
                  "used; the terms of their original authors apply. State it with `--license` (`pix2pix convert`, "
                  "`pix2pix push`) or `license=` (`save_pretrained`, `push_to_hub`).", ""]
    lines += ["## Use it", "", *(_label_usage(where, model) if io.get("input_space") == "labels" else [
        f"In ComfyUI (the comfyui-pix2pix node pack): **Pix2Pix Load Model** with {where}, wired into **Pix2Pix "
        "Translate**; the pack's example workflows show the full graphs.", "",
        "From the command line (`pip install pix2pix-nodes`, the comfyui-pix2pix core) or Python:", "",
        "```bash", f"pix2pix translate --model {model} photos/ --out translated/", "```", "",
        "```python", "import pix2pix_core as p2p", f'g = p2p.load_generator("{model}")',
        "y = p2p.translate(g, images)  # [B, C, H, W] floats in 0..1", "```", ""]),
        "## Architecture and input contract", "",
        "| field | value |", "| --- | --- |",
        f"| architecture | `{config['architecture']}` ({arguments}) |",
        f"| input space | {io.get('input_space', '?')} |",
        f"| output space | {io.get('output_space', '?')} |",
        f"| size multiple | {io.get('multiple', '?')} (other sizes are padded and cropped back) |",
        f"| training size | {io.get('train_size', '?')} px |",
        f"| direction | {io.get('direction', '?')} |",
    ]
    if "discriminator" in config:
        d = config["discriminator"]
        lines.append(f"| discriminator | `{d['architecture']}` in `{d['file']}` (for the realism critic) |")
    if samples:
        lines += ["", "## Samples", "", *[f"![sample]({path})" for path in samples]]
    if training:
        lines += ["", "## Training", ""]
        if training.get("dataset_revision"):
            lines += [f"Trained on the Hub dataset [{datasets}](https://huggingface.co/datasets/{datasets}), split "
                      f"`{training.get('dataset_split', 'train')}`, at commit `{training['dataset_revision']}`.", ""]
        lines += ["```json", json.dumps(training, indent=2), "```"]
    if source:
        lines += ["", "## Provenance", "", "```json", json.dumps(source, indent=2), "```"]
    lines += [
        "", "## Limitations", "",
        "A pix2pix translator only knows the kind of images it was trained on, prepared the way its training "
        "inputs were; other inputs give plausible-looking but unreliable results. Outputs are synthetic images.",
        "", "## Citation", "", "```bibtex", *([CITATION_HD] if io.get("input_space") == "labels" else []), CITATION,
        "```", "",
    ]
    return "\n".join(lines)


ONNX_HEADING = "## ONNX"


def describe_statistics(recorded: str) -> str:
    """An export's statistics mode in words ("none": a network without BatchNorm, which has no modes)."""
    if recorded == NO_STATISTICS:
        return "no BatchNorm (its normalisation, if any, is per image by nature: no statistics mode)"
    return f"{recorded} BatchNorm statistics"


def with_onnx_section(card: str, exports: list[tuple[str, str, int]]) -> str:
    """``card`` with its ONNX section listing ``exports`` (file name, statistics, bytes), before the limitations;
    an earlier ONNX section is replaced."""
    lines = card.split("\n")
    if ONNX_HEADING in lines:
        start = lines.index(ONNX_HEADING)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        del lines[start:end]  # the heading up to the blank line before the next one
    at = lines.index("## Limitations") - 1 if "## Limitations" in lines else len(lines)
    name = exports[0][0]
    section = ["", ONNX_HEADING, "",
               *[f"- `{file}`: {describe_statistics(statistics)}, {size / 2**20:.1f} MiB" for file, statistics, size
                 in exports], "",
               "Each file holds the whole translation: `images` `[B, C, H, W]` float32 in 0..1, any size and batch, "
               "to `translated` in 0..1 at the same size (padding, scaling and clamping inside); its contract is in "
               "the file's metadata (`pix2pix.config`). No PyTorch needed:", "",
               "```python", "import onnxruntime as ort", f'session = ort.InferenceSession("{name}")',
               'y = session.run(None, {"images": x})[0]  # x: float32 numpy [B, C, H, W] in 0..1', "```", "",
               "```bash", f"pix2pix translate --model {name} photos/ --out translated/", "```"]
    return "\n".join(lines[:at] + section + lines[at:])
