"""What every node shares: IMAGE <-> core tensors, the PIX2PIX_MODEL type, devices, progress and interrupts."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from pathlib import Path

import comfy.model_management as mm
import comfy.model_patcher
import comfy.utils
import folder_paths
import torch
from comfy_api.latest import io
from torch import nn

from ..pix2pix_core.errors import Pix2PixError
from ..pix2pix_core.imaging.files import to_pil
from ..pix2pix_core.networks import Discriminator, Generator
from ..pix2pix_core.paths import contained_path

MODEL_TYPE = "PIX2PIX_MODEL"
Pix2PixModelIO = io.Custom(MODEL_TYPE)
CATEGORY = "pix2pix"


@dataclass
class Pix2PixModel:
    """A translator as it travels between nodes: the generator, its discriminator when known, and a ModelPatcher
    that lets ComfyUI's model management move both between the compute and the offload device."""

    generator: Generator
    discriminator: Discriminator | None
    name: str
    patcher: comfy.model_patcher.ModelPatcher | None = None

    def __post_init__(self) -> None:
        if self.patcher is None:
            nets = nn.ModuleDict({"generator": self.generator})
            if self.discriminator is not None:
                nets["discriminator"] = self.discriminator
            self.patcher = comfy.model_patcher.ModelPatcher(nets, load_device=mm.get_torch_device(),
                                                            offload_device=mm.unet_offload_device())

    def load(self) -> torch.device:
        """Ask ComfyUI to put the networks on its compute device (freeing memory as it does for its own models)."""
        mm.load_models_gpu([self.patcher])
        return next(self.generator.parameters()).device

    def unload(self) -> None:
        """Off ComfyUI's compute device and out of its loaded models, as ComfyUI unloads its own."""
        for loaded in [m for m in mm.current_loaded_models if m.model is self.patcher]:
            loaded.model_unload()
            mm.current_loaded_models.remove(loaded)
        mm.soft_empty_cache()


def input_path(name: str, what: str, kind: str = "folder") -> Path:
    """A folder (or ``kind="file"``) a node reads: a path inside ComfyUI's input folder, never elsewhere on the
    server (through contained_path)."""
    root = Path(folder_paths.get_input_directory())
    path = contained_path(root, name.strip(), what=what, nested=True)
    if not (path.is_dir() if kind == "folder" else path.is_file()):
        put = "the images in" if kind == "folder" else "the file at"
        raise Pix2PixError(f"{what} {name.strip()!r} is not a {kind} inside ComfyUI's input folder ({root}): put "
                           f"{put} {root / name.strip()} and give '{name.strip()}'.")
    return path


NEWER_SCHEMA_FIELDS = {"search_aliases"}  # ComfyUI 0.3.75 refuses a Schema field it does not know


def schema(**fields) -> io.Schema:
    """``io.Schema`` with the newer fields only where the running ComfyUI has them (any other unknown field still
    fails, as a typo should)."""
    known = {f.name for f in dataclasses.fields(io.Schema)}
    return io.Schema(**{k: v for k, v in fields.items() if k in known or k not in NEWER_SCHEMA_FIELDS})


def to_core(image: torch.Tensor) -> torch.Tensor:
    """ComfyUI IMAGE ``[B, H, W, C]`` (any float dtype) -> ``[B, C, H, W]`` float32."""
    return image.movedim(-1, 1).float()


def to_comfy(images: torch.Tensor) -> torch.Tensor:
    """``[B, C, H, W]`` -> IMAGE ``[B, H, W, C]`` float32 on ComfyUI's intermediate device."""
    return images.movedim(1, -1).contiguous().to(mm.intermediate_device(), torch.float32)


class Progress:
    """A ComfyUI progress bar. ComfyUI's progress hook raises on Cancel, which is what stops translation loops.

    With ``check_interrupt`` off (training), Cancel never raises from here: it is recorded in ``cancelled`` and
    the trainer stops through its should_stop, after saving a checkpoint.
    """

    def __init__(self, total: int = 1, check_interrupt: bool = True) -> None:
        self.bar = comfy.utils.ProgressBar(total)
        self.check_interrupt = check_interrupt
        self.cancelled = False

    def __call__(self, done: int, total: int, preview: torch.Tensor | None = None) -> None:
        image = ("JPEG", to_pil(preview), 512) if preview is not None else None
        if self.check_interrupt:
            mm.throw_exception_if_processing_interrupted()
            self.bar.update_absolute(done, total, image)
            return
        if self.cancelled or interrupted():
            self.cancelled = True
            return
        try:
            self.bar.update_absolute(done, total, image)
        except mm.InterruptProcessingException:  # the hook consumed the Cancel: remember it
            self.cancelled = True

    def should_stop(self) -> bool:
        self.cancelled = self.cancelled or interrupted()
        return self.cancelled


def interrupted() -> bool:
    return mm.processing_interrupted()


def cancellable(function, *args, **kwargs):
    """Run ``function`` (a Hub download) in a worker thread while watching ComfyUI's Cancel, which ends the wait at
    once; an abandoned download stops at its own timeout, keeping nothing partial."""
    outcome: dict = {}
    done = threading.Event()

    def work() -> None:
        try:
            outcome["value"] = function(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the node's thread
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="pix2pix-download", daemon=True).start()
    while not done.wait(0.1):
        mm.throw_exception_if_processing_interrupted()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
