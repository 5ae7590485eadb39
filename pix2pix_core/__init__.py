"""pix2pix_core: pix2pix (Isola et al., CVPR 2017) networks, checkpoints and translation in plain PyTorch.

    import pix2pix_core as p2p
    g = p2p.load_generator("latest_net_G.pth")     # architecture inferred from the weights
    y = p2p.translate(g, images)                    # [B, C, H, W] in 0..1, any size
    p2p.save_pretrained(g, "my-translator/")        # config.json + model.safetensors + README.md
    p2p.export_onnx(g, "translator.onnx")           # the whole translation, any size, for ONNX Runtime

Edges and colour are top-level names too (``p2p.canny``, ``p2p.hed``, ``p2p.rgb_to_lab``, ``p2p.colorize``, ...):
these names are the stable surface; the modules they live in may move.
"""

from .errors import (
    ArchitectureError,
    CheckpointError,
    ConfigError,
    ExportError,
    HubError,
    InputError,
    NoDiscriminator,
    Pix2PixError,
    ResourceError,
    WrongRole,
)
from .export.onnx_file import export_onnx
from .imaging.edges import canny, hed, xdog
from .imaging.lab import lab_to_rgb, rgb_to_lab
from .inference.colorize import colorize
from .inference.labels import translate_labels
from .inference.modes import inference_statistics
from .inference.translate import translate
from .weights.directory import save_pretrained
from .weights.hed import load_hed
from .weights.hub import push_to_hub
from .weights.loader import load_discriminator, load_encoder, load_generator, load_translator

__version__ = "0.1.0"

__all__ = [
    "ArchitectureError", "CheckpointError", "ConfigError", "ExportError", "HubError", "InputError", "NoDiscriminator",
    "Pix2PixError", "ResourceError", "WrongRole", "__version__",
    "canny", "colorize", "export_onnx", "hed", "inference_statistics", "lab_to_rgb", "load_discriminator",
    "load_encoder", "load_generator", "load_hed", "load_translator", "push_to_hub", "rgb_to_lab", "save_pretrained",
    "translate", "translate_labels", "xdog",
]
