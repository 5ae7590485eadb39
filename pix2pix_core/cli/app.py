"""The parser every command hangs on, the options they share, and how a failure reaches the user."""

from __future__ import annotations

import argparse
import difflib
import logging
import sys
import warnings
from pathlib import Path

import torch
from tqdm import tqdm

from .. import __version__
from ..devices import check_device
from ..errors import InputError, Pix2PixError
from ..file_batch import OUTPUT_FORMATS
from . import demo, draw, evaluate, export, images, models, train

COMMAND_FAMILIES = (demo, images, draw, train, evaluate, models, export)  # the order of `pix2pix --help`


def main(argv: list[str] | None = None) -> int:
    warnings.formatwarning = _one_line_warning
    _show_library_messages()
    args = _parse(_parser(), argv)
    try:
        return args.func(args)
    except Pix2PixError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # before any file was written (the file loops and training stop on their own)
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a folder that cannot be written, a full disk, ...: the path and the reason
        where = f": {exc.filename}" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}. Check the path, its permissions and the free space.",
              file=sys.stderr)
        return 2


class _TerminalHandler(logging.Handler):
    """The library's log lines on stderr, written above any progress bar (tqdm.write), warnings marked as such."""

    def emit(self, record: logging.LogRecord) -> None:
        prefix = "warning: " if record.levelno >= logging.WARNING else ""
        tqdm.write(prefix + record.getMessage(), file=sys.stderr)


def _show_library_messages() -> None:
    """Route the core's loggers (``pix2pix_core.*``, INFO and up) to the terminal, once per process."""
    core = logging.getLogger("pix2pix_core")
    if not any(isinstance(handler, _TerminalHandler) for handler in core.handlers):
        core.addHandler(_TerminalHandler())
        core.setLevel(logging.INFO)
        core.propagate = False


def _device(text: str) -> str:
    """argparse type for --device: refused at once, as a usage error, when this machine has no such device."""
    try:
        check_device(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    return f"warning: {message}\n"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pix2pix", description="pix2pix image-to-image translation.")
    parser.add_argument("--version", action="version",
                        version=f"pix2pix {__version__} (comfyui-pix2pix core; torch {torch.__version__})")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    device = _device_options()
    for family in COMMAND_FAMILIES:
        family.add_commands(sub, device=device, files=file_options)
    for command in sub.choices.values():  # a mistyped option is reported with the usage of its own command
        command.set_defaults(command_parser=command)
    return parser


def _parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """The arguments, or exit 2 with the command's own usage and the closest option for a mistyped one."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        command = args.command_parser
        known = [option for action in command._actions for option in action.option_strings]
        first = next((item for item in unknown if item.startswith("-")), unknown[0])
        close = difflib.get_close_matches(first.split("=")[0], known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else f"; see `pix2pix {command.prog.split()[-1]} --help`"
        command.error(f"unrecognized argument(s): {' '.join(unknown)}{hint}")
    return args


def _device_options() -> argparse.ArgumentParser:
    """--device, shared by every command that computes (checked at once: a typo or a missing GPU is a usage error)."""
    options = argparse.ArgumentParser(add_help=False)
    default = "cuda" if torch.cuda.is_available() else "cpu"
    options.add_argument("--device", default=default, type=_device,
                         help=f"cpu, cuda, cuda:1, mps (default {default}; torchrun: one per process)")
    return options


def file_options(default_format: str = "same") -> argparse.ArgumentParser:
    """Inputs, --out and --format of the commands that turn image files into image files."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("inputs", nargs="+", help="image files and folders (folders are searched recursively)")
    options.add_argument("--out", type=Path, required=True, help="output folder (same names and sizes; an input "
                         "folder's tree is mirrored)")
    default = "same: each input's own" if default_format == "same" else default_format
    options.add_argument("--format", choices=sorted(OUTPUT_FORMATS),
                         help=f"output file format (default {default}); 16-bit inputs stay 16-bit in png and tiff")
    options.add_argument("--overwrite", action="store_true", help="replace files in --out that this command did not "
                         "write (by default only its own earlier outputs are replaced, and any other file is refused)")
    options.add_argument("--skip-existing", action="store_true", help="leave the outputs an earlier run of this "
                         "command finished in --out as they are, and do only the rest (to resume an interrupted run)")
    return options
