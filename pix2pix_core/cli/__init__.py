"""The ``pix2pix`` console script (also ``python -m pix2pix_core``): one module per family of commands, each adding
its commands to the parser (``add_commands``); :mod:`.app` builds the parser and runs a command."""

from .app import main

__all__ = ["main"]
