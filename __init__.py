"""ComfyUI entry point of comfyui-pix2pix: ``comfy_entrypoint()`` returns the extension listing the nodes.

Outside ComfyUI (tests, tools, `pip install`), importing this file defines nothing and raises nothing.
"""

import os
import sys

try:
    from comfy_api.latest import ComfyExtension
except ImportError:  # not running inside ComfyUI
    ComfyExtension = None

if ComfyExtension is not None:
    _PACK_DIR = os.path.dirname(os.path.abspath(__file__))
    if _PACK_DIR not in sys.path:  # pix2pix_core lives beside this file; ComfyUI-Manager does not pip-install it
        sys.path.insert(0, _PACK_DIR)

    from .nodes import NODES, register_model_folder

    class Pix2PixExtension(ComfyExtension):
        async def get_node_list(self):
            return list(NODES)

    async def comfy_entrypoint() -> ComfyExtension:
        register_model_folder()
        return Pix2PixExtension()
