"""Build the UI-format workflows users drag into ComfyUI from the API-format twins the tests run, and the
subgraph blueprints (``subgraphs/*.json``, which ComfyUI offers in its node library) from their API-format specs.

    python workflows/build_ui.py http://127.0.0.1:8188     # against a running ComfyUI with the pack loaded

The server runs only the API format; the UI format (nodes, links, widgets_values) is what the frontend loads.
``/object_info`` gives each node's input order, which inputs are widgets and which outputs exist, so both files
describe the same graph; the tests rebuild every UI workflow and blueprint this way and compare them with the
shipped ones. A blueprint spec (``api/subgraphs/*.json``) is an API graph whose outside inputs come from node
"-10" (the subgraph's input node), with the outputs it exposes and the widgets it promotes to the subgraph node.
"""

from __future__ import annotations

import json
import sys
import urllib.request
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUBGRAPHS = HERE.parent / "subgraphs"  # where ComfyUI looks: <custom node>/subgraphs/*.json
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


COLUMN_WIDTH, ROW_GAP, LINE_HEIGHT, TITLE_HEIGHT = 360, 40, 24, 30  # about 24 px per slot or widget, as drawn
NODE_SIZE = [300, 160]  # the smallest a node is drawn (the frontend grows it to fit its widgets)
NODE_SIZES = {"Pix2PixSketch": [340, 560]}  # room for the drawing surface (a DOM widget the frontend cannot measure)


def _sources(node: dict, api: dict) -> list[str]:
    return [value[0] for value in node["inputs"].values()
            if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) and value[0] in api]


def _layout(api: dict, object_info: dict) -> dict[str, list[int]]:
    """Each node's position: one column right of the nodes that feed it (links run left to right), stacked in its
    column in id order, each below the one above by that one's drawn height."""
    columns: dict[str, int] = {}

    def column(node_id: str) -> int:
        if node_id not in columns:
            columns[node_id] = 1 + max((column(s) for s in _sources(api[node_id], api)), default=-1)
        return columns[node_id]

    tops: dict[int, int] = {}
    places = {}
    for node_id in sorted(api, key=int):
        x = column(node_id)
        places[node_id] = [60 + COLUMN_WIDTH * x, 80 + tops.get(x, 0)]
        info = object_info[api[node_id]["class_type"]]
        slots = max(len(_input_specs(info)), len(info["output"]))
        height = NODE_SIZES.get(api[node_id]["class_type"], NODE_SIZE)[1]
        tops[x] = tops.get(x, 0) + TITLE_HEIGHT + max(height, 40 + LINE_HEIGHT * slots) + ROW_GAP
    return places


def _ui_graph(api: dict, object_info: dict, outside: dict[str, list[str]] | None = None,
              outputs: list[tuple[str, int]] = ()) -> tuple[list[dict], list[tuple]]:
    """UI nodes and links ``(id, origin, origin_slot, target, target_slot, type)`` for an API-format graph.

    ``outside`` maps a pseudo node id (a subgraph's input node, "-10") to its slot types; ``outputs`` lists the
    (node, slot) pairs that feed a subgraph's output node ("-20"), in its slot order."""
    outside = outside or {}
    nodes, links = [], []
    outgoing: dict[tuple[str, int], list[int]] = {}

    def link(source: str, slot: int, target: str, target_slot: int, kind: str) -> int:
        links.append((len(links) + 1, int(source), slot, int(target), target_slot, kind))
        outgoing.setdefault((source, slot), []).append(len(links))
        return len(links)

    def output_type(source: str, slot: int) -> str:
        return outside[source][slot] if source in outside else object_info[api[source]["class_type"]]["output"][slot]

    places = _layout(api, object_info)
    for order, (node_id, node) in enumerate(sorted(api.items(), key=lambda item: int(item[0]))):
        info = object_info[node["class_type"]]
        inputs, widgets = [], []
        for name, spec in _input_specs(info):
            value = node["inputs"].get(name)
            if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
                kind = spec[0] if isinstance(spec[0], str) else "COMBO"
                inputs.append({"name": name, "type": kind,
                               "link": link(value[0], value[1], node_id, len(inputs), output_type(*value))})
            elif _is_widget(spec) and name in node["inputs"]:
                widgets.append(value)
                if name in SEED_WIDGETS:
                    widgets.append("fixed")
                if len(spec) > 1 and spec[1].get("image_upload"):
                    widgets.append("image")  # the upload button is a widget too
        size = NODE_SIZES.get(node["class_type"], NODE_SIZE)
        nodes.append({"id": int(node_id), "type": node["class_type"], "pos": places[node_id], "size": size,
                      "flags": {}, "order": order, "mode": 0, "inputs": inputs, "widgets_values": widgets})
    for slot, (source, source_slot) in enumerate(outputs):
        link(source, source_slot, "-20", slot, output_type(source, source_slot))
    for node in nodes:
        info = object_info[node["type"]]
        node["outputs"] = [{"name": name, "type": kind, "links": outgoing.get((str(node["id"]), slot), [])}
                           for slot, (name, kind) in enumerate(zip(info["output_name"], info["output"]))]
        node["properties"] = {"Node name for S&R": node["type"]}
    return nodes, links


def to_ui(api: dict, object_info: dict) -> dict:
    """The UI-format workflow for an API-format graph."""
    nodes, links = _ui_graph(api, object_info)
    return {"last_node_id": max(int(i) for i in api), "last_link_id": len(links), "nodes": nodes,
            "links": [list(item) for item in links], "groups": [], "config": {}, "extra": {}, "version": 0.4}


def to_subgraph(spec: dict, object_info: dict) -> dict:
    """A subgraph blueprint: one subgraph node (its promoted widgets shown on it) and the subgraph's definition."""
    graph_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"comfyui-pix2pix/subgraphs/{spec['name']}"))
    nodes, links = _ui_graph(spec["graph"], object_info, {"-10": [slot["type"] for slot in spec["inputs"]]},
                             [tuple(slot["from"]) for slot in spec["outputs"]])
    link_objects = [{"id": i, "origin_id": origin, "origin_slot": origin_slot, "target_id": target,
                     "target_slot": target_slot, "type": kind} for i, origin, origin_slot, target, target_slot, kind
                    in links]

    def slots(side: str, end: str, node: int) -> list[dict]:
        return [{"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{graph_id}/{side}/{slot['name']}")), "name": slot["name"],
                 "type": slot["type"], "label": slot["name"], "localized_name": slot["name"],
                 "linkIds": [link["id"] for link in link_objects if link[f"{end}_id"] == node
                             and link[f"{end}_slot"] == index]}
                for index, slot in enumerate(spec[side])]

    right = 60 + 340 * len(nodes)
    definition = {
        "id": graph_id, "version": 1, "revision": 0, "config": {}, "name": spec["name"],
        "state": {"lastGroupId": 0, "lastNodeId": max(node["id"] for node in nodes), "lastLinkId": len(links),
                  "lastRerouteId": 0},
        "inputNode": {"id": -10, "bounding": [-180, 80, 120, 40 + 20 * len(spec["inputs"])]},
        "outputNode": {"id": -20, "bounding": [right, 80, 120, 40 + 20 * len(spec["outputs"])]},
        "inputs": slots("inputs", "origin", -10), "outputs": slots("outputs", "target", -20), "widgets": [],
        "nodes": nodes, "groups": [], "links": link_objects, "extra": {}, "category": spec["category"],
        "description": spec["description"],
    }
    wrapper = {"id": 1, "type": graph_id, "pos": [100, 100], "size": [320, 200], "flags": {}, "order": 0, "mode": 0,
               "inputs": [{"name": slot["name"], "label": slot["name"], "type": slot["type"], "link": None}
                          for slot in spec["inputs"]],
               "outputs": [{"name": slot["name"], "label": slot["name"], "type": slot["type"], "links": []}
                           for slot in spec["outputs"]],
               "properties": {"proxyWidgets": spec["widgets"]}, "widgets_values": [], "title": spec["name"]}
    return {"revision": 0, "last_node_id": 1, "last_link_id": 0, "nodes": [wrapper], "links": [], "version": 0.4,
            "definitions": {"subgraphs": [definition]}, "extra": {}}


def build_all(object_info: dict) -> dict[str, dict]:
    return {path.stem: to_ui(json.loads(path.read_text()), object_info)
            for path in sorted((HERE / "api").glob("*.json"))}


def build_subgraphs(object_info: dict) -> dict[str, dict]:
    """Blueprint name (its file name under subgraphs/, which ComfyUI shows) -> blueprint."""
    specs = [json.loads(path.read_text()) for path in sorted((HERE / "api" / "subgraphs").glob("*.json"))]
    return {spec["name"]: to_subgraph(spec, object_info) for spec in specs}


def main() -> None:
    with urllib.request.urlopen(sys.argv[1].rstrip("/") + "/object_info", timeout=60) as response:
        object_info = json.loads(response.read())
    for name, workflow in build_all(object_info).items():
        (HERE / f"{name}.json").write_text(json.dumps(workflow, indent=2) + "\n")
        print(f"wrote workflows/{name}.json")
    SUBGRAPHS.mkdir(exist_ok=True)
    for name, blueprint in build_subgraphs(object_info).items():
        (SUBGRAPHS / f"{name}.json").write_text(json.dumps(blueprint, indent=2) + "\n")
        print(f"wrote subgraphs/{name}.json")


if __name__ == "__main__":
    main()
