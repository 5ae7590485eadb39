"""The README.md model card written next to the weights (Hub conventions: YAML front matter, then prose)."""

from __future__ import annotations

import json
from typing import Any

CITATION = """@inproceedings{isola2017image,
  title     = {Image-to-Image Translation with Conditional Adversarial Networks},
  author    = {Isola, Phillip and Zhu, Jun-Yan and Zhou, Tinghui and Efros, Alexei A.},
  booktitle = {Computer Vision and Pattern Recognition (CVPR)},
  year      = {2017}
}"""


def render_model_card(config: dict[str, Any], n_params: int, name: str, license: str = "mit",
                      samples: list[str] | None = None) -> str:
    """Render the card from the config.json dictionary; ``name`` is the repo id (or folder name)."""
    io = config.get("io") or {}
    training = config.get("training") or {}
    source = config.get("source") or {}
    datasets = training.get("dataset")
    front = ["---", "library_name: comfyui-pix2pix", "pipeline_tag: image-to-image",
             "tags: [pix2pix, gan, comfyui]", f"license: {license}"]
    if datasets:
        front.append(f"datasets: [{datasets}]")
    front.append("---")
    arguments = ", ".join(f"{k}={v}" for k, v in config["arguments"].items())
    lines = [
        *front, "", f"# {name}", "",
        f"A pix2pix image-to-image translator ({config['architecture']} generator, {n_params:,} parameters), "
        "packaged by comfyui-pix2pix.", "",
        "## Use it", "",
        f"In ComfyUI (the comfyui-pix2pix node pack): **Pix2Pix Load Model** with `repo_id` = `{name}` (or this "
        "folder under `ComfyUI/models/pix2pix/`), wired into **Pix2Pix Translate**; the pack's example workflows "
        "show the full graphs.", "",
        "From the command line (`pip install pix2pix-nodes`, the comfyui-pix2pix core) or Python:", "",
        "```bash", f"pix2pix translate --model {name} photos/ --out translated/", "```", "",
        "```python", "import pix2pix_core as p2p", f'g = p2p.load_generator("{name}")',
        "y = p2p.translate(g, images)  # [B, C, H, W] floats in 0..1", "```", "",
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
        lines += ["", "## Training", "", "```json", json.dumps(training, indent=2), "```"]
    if source:
        lines += ["", "## Provenance", "", "```json", json.dumps(source, indent=2), "```"]
    lines += [
        "", "## Limitations", "",
        "A pix2pix translator only knows the kind of images it was trained on, prepared the way its training "
        "inputs were; other inputs give plausible-looking but unreliable results. Outputs are synthetic images.",
        "", "## Citation", "", "```bibtex", CITATION, "```", "",
    ]
    return "\n".join(lines)
