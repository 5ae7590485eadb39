"""Build the UI-format workflows users drag into ComfyUI from the API-format twins the tests run.

    python workflows/build_ui.py http://127.0.0.1:8188     # against a running ComfyUI with the pack loaded

The server runs only the API format; the UI format (nodes, links, widgets_values) is what the frontend loads.
``/object_info`` gives each node's input order, which inputs are widgets and which outputs exist, so both files
describe the same graph; the tests rebuild every UI workflow this way and compare it with the shipped one.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED_WIDGETS = {"seed"}  # INT widgets that ComfyUI follows with a "control after generate" value


def _input_specs(info: dict) -> list[tuple[str, list]]:
    specs = []
    for group in ("required", "optional"):
        for name, spec in info["input"].get(group, {}).items():
            specs.append((name, spec))
    order = info.get("input_order", {})
    ordered = order.get("required", []) + order.get("optional", [])
    return sorted(specs, key=lambda item: ordered.index(item[0]) if item[0] in ordered else len(ordered))


def _is_widget(spec: list) -> bool:
    kind = spec[0]
    return isinstance(kind, list) or kind in ("INT", "FLOAT", "STRING", "BOOLEAN", "COMBO")


def to_ui(api: dict, object_info: dict) -> dict:
    """The UI-format workflow for an API-format graph."""
    nodes, links = [], []
    link_id = 0
    outgoing: dict[tuple[str, int], list[int]] = {}
    incoming: dict[str, list[dict]] = {}
    for column, (node_id, node) in enumerate(sorted(api.items(), key=lambda item: int(item[0]))):
        info = object_info[node["class_type"]]
        inputs, widgets = [], []
        for name, spec in _input_specs(info):
            value = node["inputs"].get(name)
            if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
                link_id += 1
                source, slot = value
                links.append([link_id, int(source), slot, int(node_id), len(inputs),
                              object_info[api[source]["class_type"]]["output"][slot]])
                outgoing.setdefault((source, slot), []).append(link_id)
                inputs.append({"name": name, "type": spec[0] if isinstance(spec[0], str) else "COMBO",
                               "link": link_id})
            elif _is_widget(spec) and name in node["inputs"]:
                widgets.append(value)
                if name in SEED_WIDGETS:
                    widgets.append("fixed")
                if len(spec) > 1 and spec[1].get("image_upload"):
                    widgets.append("image")  # the upload button is a widget too
        incoming[node_id] = inputs
        position = [60 + 340 * column, 80 + 40 * (column % 2)]
        nodes.append({"id": int(node_id), "type": node["class_type"], "pos": position, "size": [300, 160],
                      "flags": {}, "order": column, "mode": 0, "inputs": inputs, "widgets_values": widgets})
    for node in nodes:
        info = object_info[node["type"]]
        node["outputs"] = [{"name": name, "type": kind, "links": outgoing.get((str(node["id"]), slot), [])}
                           for slot, (name, kind) in enumerate(zip(info["output_name"], info["output"]))]
        node["properties"] = {"Node name for S&R": node["type"]}
    return {"last_node_id": max(int(i) for i in api), "last_link_id": link_id, "nodes": nodes, "links": links,
            "groups": [], "config": {}, "extra": {}, "version": 0.4}


def build_all(object_info: dict) -> dict[str, dict]:
    return {path.stem: to_ui(json.loads(path.read_text()), object_info)
            for path in sorted((HERE / "api").glob("*.json"))}


def main() -> None:
    with urllib.request.urlopen(sys.argv[1].rstrip("/") + "/object_info", timeout=60) as response:
        object_info = json.loads(response.read())
    for name, workflow in build_all(object_info).items():
        (HERE / f"{name}.json").write_text(json.dumps(workflow, indent=2) + "\n")
        print(f"wrote workflows/{name}.json")


if __name__ == "__main__":
    main()
