"""ComfyUI entry point of comfyui-pix2pix: ``comfy_entrypoint()`` returns the extension listing the nodes.

Outside ComfyUI (tests, tools, `pip install`), importing this file defines nothing and raises nothing.
"""

import sys

WEB_DIRECTORY = "./web"  # the Sketch node's canvas (web/sketch.js; the pad itself is pix2pix_core/web)

try:
    from comfy_api.latest import ComfyExtension
except ImportError:  # not running inside ComfyUI
    ComfyExtension = None

if ComfyExtension is not None:
    # The nodes import the core relatively (this pack's own copy, ComfyUI-Manager does not pip-install it): nothing
    # is added to sys.path, so the pack's folders never shadow another pack's or ComfyUI's modules (`nodes`).
    from .nodes import NODES, register_live_routes, register_model_folder

    class Pix2PixExtension(ComfyExtension):
        async def get_node_list(self):
            return list(NODES)

    async def comfy_entrypoint() -> ComfyExtension:
        register_model_folder()
        # ComfyUI's running server (its main module imported `server` before loading the packs); a tool that loads
        # the pack without one gets no route, and the import of server.py is never triggered from here
        server = getattr(getattr(sys.modules.get("server"), "PromptServer", None), "instance", None)
        if server is not None:
            register_live_routes(server.routes)  # /pix2pix/live, palettes, models, web: see nodes/live.py
        return Pix2PixExtension()
