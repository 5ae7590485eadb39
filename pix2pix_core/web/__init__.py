"""The sketch pad's browser files (sketch_pad.js, the draw page) and the stdlib server of ``pix2pix draw``.

ComfyUI serves these files at ``/pix2pix/web/`` (nodes/live.py), ``pix2pix draw`` at the same path: one source.
"""

from pathlib import Path

PAD_FILES = Path(__file__).parent
