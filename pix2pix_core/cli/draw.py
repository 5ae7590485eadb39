"""``pix2pix draw``: the sketch pad on a page of its own, translating each stroke as it ends."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError
from ..imaging.palettes import PALETTES
from ..web.server import DrawServer, DrawTranslators
from ..weights.catalogue import DEMO_TRANSLATORS
from ..weights.demo_models import download_demo_translator

DEFAULT_PORT = 8190


def add_commands(sub, device, **_) -> None:
    draw = sub.add_parser("draw", parents=[device], help="draw in the browser and watch a translator follow the pen "
                          "(a page on 127.0.0.1, no ComfyUI)")
    draw.add_argument("--model", required=True, help="a translator file or folder, or a demo translator by name ("
                      f"{', '.join(entry.name for entry in DEMO_TRANSLATORS)}: downloaded into --models when "
                      "missing)")
    draw.add_argument("--models", type=Path, help="the folder whose translators the page offers, and where demo "
                      "translators are downloaded (default: the folder holding --model, or the current folder)")
    draw.add_argument("--palette", choices=list(PALETTES), help="the colours to draw with (default: facades for the "
                      "facades translator, edges otherwise)")
    draw.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"the port on 127.0.0.1 (default "
                      f"{DEFAULT_PORT}; 0: any free one)")
    draw.set_defaults(func=_draw)


def _first_translator(model: str, folder: Path | None) -> tuple[Path, Path]:
    """(the models folder, the translator's path in it): a demo name is found there, or downloaded."""
    demo = {entry.name: entry for entry in DEMO_TRANSLATORS} | {entry.file: entry for entry in DEMO_TRANSLATORS}
    if model in demo and not Path(model).exists():
        folder = folder or Path(".")
        path = folder / demo[model].file
        return folder, path if path.is_file() else download_demo_translator(demo[model].name, folder)
    path = Path(model).expanduser()
    if not path.exists():
        raise InputError(f"--model {model}: no such file or folder, and not a demo translator's name (one of "
                         f"{', '.join(entry.name for entry in DEMO_TRANSLATORS)}).")
    folder = folder or path.resolve().parent
    if path.resolve().parent != folder.resolve():
        raise InputError(f"--model {model} is not in --models {folder}: put it there, or leave --models out.")
    return folder, path


def _draw(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise InputError(f"--port {args.port}: give a port from 1 to 65535 (0: any free one).")
    folder, path = _first_translator(args.model, args.models)
    translators = DrawTranslators(folder, args.device)
    translators.opener(path.name)()  # a file that does not load is reported now, not on the page
    palette = args.palette or ("facades" if path.name.startswith("facades") else "edges")
    try:
        server = DrawServer(translators, path.name, palette, args.port)
    except OSError as exc:
        raise InputError(f"port {args.port} on 127.0.0.1 is taken ({exc.strerror}): give another with --port, "
                         "or --port 0 for any free one.") from exc
    print(f"pix2pix draw: {path.name} from {folder.resolve()}; open {server.url} (Ctrl+C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
    return 0
