"""Loading and saving translators: files and folders under ``models/pix2pix``, or a Hub repo id."""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from pathlib import Path

import folder_paths
from comfy_api.latest import io

from ..pix2pix_core import load_translator, save_pretrained
from ..pix2pix_core.errors import Pix2PixError
from ..pix2pix_core.hub_client import check_repo_id, check_revision
from ..pix2pix_core.networks.io import DIRECTIONS
from ..pix2pix_core.paths import contained_path
from ..pix2pix_core.weights.catalogue import CATALOGUE, DEMO_TRANSLATORS
from ..pix2pix_core.weights.demo_models import download_demo_translator
from ..pix2pix_core.weights.directory import CONFIG_FILE, DISCRIMINATOR_FILE
from ..pix2pix_core.weights.hub import push_to_hub as publish
from ..pix2pix_core.weights.loader import TRANSLATOR_SUFFIXES
from .common import CATEGORY, Pix2PixModel, Pix2PixModelIO, cancellable, schema

FOLDER = "pix2pix"
EXTENSIONS = set(TRANSLATOR_SUFFIXES)
NONE = "(none)"
DEMO_CHOICES = {f"demo: {entry.name}": entry for entry in DEMO_TRANSLATORS}  # the interactive demo's .pict files
CACHE_SIZE_VARIABLE = "PIX2PIX_LOADED_MODELS"  # translators kept loaded (default 4)


class LoadedTranslators:
    """The translators Load Model keeps, least recently used first; beyond the cap the oldest is dropped and
    ComfyUI's model management frees the memory it held (a changed file is a new key, so it reloads)."""

    def __init__(self) -> None:
        self._models: OrderedDict[tuple, Pix2PixModel] = OrderedDict()

    @staticmethod
    def capacity() -> int:
        text = os.environ.get(CACHE_SIZE_VARIABLE, "4")
        if not text.isdigit() or int(text) < 1:
            raise Pix2PixError(f"{CACHE_SIZE_VARIABLE} must be a whole number of at least 1, got {text!r}.")
        return int(text)

    def get(self, key: tuple, load) -> Pix2PixModel:
        if key in self._models:
            self._models.move_to_end(key)
            return self._models[key]
        model = load()
        self._models[key] = model
        capacity = self.capacity()
        while len(self._models) > capacity:
            _, dropped = self._models.popitem(last=False)
            logging.info(f"Pix2Pix Load Model: unloaded {dropped.name} (keeping the {capacity} most recently used; "
                         f"{CACHE_SIZE_VARIABLE} sets how many)")
            dropped.unload()
        return model


_LOADED = LoadedTranslators()


def register_model_folder() -> Path:
    """Add ``models/pix2pix`` to ComfyUI's model folders, keeping paths users added in extra_model_paths.yaml."""
    default = Path(folder_paths.models_dir) / FOLDER
    default.mkdir(parents=True, exist_ok=True)
    if FOLDER in folder_paths.folder_names_and_paths:
        paths, extensions = folder_paths.folder_names_and_paths[FOLDER]
        if str(default) not in paths:
            paths.append(str(default))
        folder_paths.folder_names_and_paths[FOLDER] = (paths, set(extensions) | EXTENSIONS)
    else:
        folder_paths.folder_names_and_paths[FOLDER] = ([str(default)], EXTENSIONS)
    return default


def model_dir() -> Path:
    return Path(folder_paths.get_folder_paths(FOLDER)[0])


def local_choices() -> list[str]:
    return [NONE, *sorted(folder_paths.get_filename_list(FOLDER))]


def _local_source(choice: str) -> tuple[Path, Path | None]:
    """The chosen file, and its folder when it is our format (config.json beside it)."""
    path = Path(folder_paths.get_full_path_or_raise(FOLDER, choice))
    folder = path.parent if (path.parent / CONFIG_FILE).is_file() and path.name != DISCRIMINATOR_FILE else None
    return path, folder


def local_fingerprint(choice: str) -> tuple:
    """What identifies the files behind a choice: each one's path, size and modification time."""
    path, folder = _local_source(choice)
    files = sorted(p for p in folder.iterdir() if p.is_file()) if folder else [path]
    return tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)


def local_weights(model: Pix2PixModel) -> Path | None:
    """The file under models/pix2pix a translator was loaded from, or the folder a training in the graph saved it
    in (None: from the Hub)."""
    path = folder_paths.get_full_path(FOLDER, model.name)
    if path:
        return Path(path)
    try:
        folder = contained_path(model_dir(), model.name, what="model")
    except Pix2PixError:
        return None
    return folder if (folder / CONFIG_FILE).is_file() else None


def load_local(choice: str) -> Pix2PixModel:
    path, folder = _local_source(choice)
    return _LOADED.get(("local", local_fingerprint(choice)),
                       lambda: Pix2PixModel(*load_translator(folder or path), choice))


def _load_hub(repo_id: str, revision: str, direction: str = "AtoB") -> Pix2PixModel:
    """A Hub translator by id only (never a server path), downloaded into models/pix2pix/<org>--<name>; Cancel
    ends the wait for a download at once. ``direction`` BtoA picks the B -> A side of a CycleGAN repo (AtoB: a
    pix2pix repo's translator, or a CycleGAN repo's A -> B side)."""
    check_repo_id(repo_id)
    check_revision(revision or None)
    def load() -> Pix2PixModel:
        local_dir = contained_path(model_dir(), repo_id.replace("/", "--"), what="repo_id")
        options = {"revision": revision or None, "local_dir": local_dir, "from_hub": True,
                   "direction": "BtoA" if direction == "BtoA" else None}
        name = repo_id if direction == "AtoB" else f"{repo_id} ({direction})"
        return Pix2PixModel(*cancellable(load_translator, repo_id, **options), name)

    return _LOADED.get(("hub", repo_id, revision, direction), load)


def _load_demo(choice: str) -> Pix2PixModel:
    """A demo translator from models/pix2pix/<file>.pict, downloaded there first when missing (pinned, checked)."""
    entry = DEMO_CHOICES[choice]
    if not (model_dir() / entry.file).is_file():
        cancellable(download_demo_translator, entry.name, model_dir())
    return load_local(entry.file)


class Pix2PixLoadModel(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="Pix2PixLoadModel",
            search_aliases=["pix2pix model", "load translator", "cyclegan model", "image to image model",
                            "hugging face pix2pix"],
            display_name="Pix2Pix Load Model",
            category=f"{CATEGORY}/loaders",
            description=(
                "Loads a pix2pix translator once and keeps it for every run: a file or folder under "
                "models/pix2pix (official latest_net_G.pth, Hub-community pytorch_model.bin, or our config.json + "
                "model.safetensors; the architecture is read from the weights), or a Hugging Face Hub repo. Hub "
                "files are downloaded into models/pix2pix/<org>--<name> and work offline afterwards."
            ),
            inputs=[
                io.Combo.Input("model", options=local_choices(), default=NONE,
                               tooltip="A translator under models/pix2pix. For a folder, pick its model.safetensors."),
                io.Combo.Input("catalogue", options=[NONE, *(e.repo_id for e in CATALOGUE), *DEMO_CHOICES],
                               default=NONE,
                               tooltip="A known pretrained translator: on the Hub, or one of the paper's "
                                       "interactive demo (demo: edges2cats, edges2shoes, edges2handbags, facades; "
                                       "downloaded once into models/pix2pix). See `pix2pix models` for what each "
                                       "expects as input. Used when 'model' is (none)."),
                io.String.Input("repo_id", default="", tooltip="Any Hub repo id (org/name); overrides the other two."),
                io.String.Input("revision", default="", tooltip="Hub branch, tag or commit to pin (default: main)."),
                io.Combo.Input("direction", options=list(DIRECTIONS), default="AtoB", optional=True,
                               tooltip="For a CycleGAN repo on the Hub (AtoB/ + BtoA/ folders, or the reference's "
                                       "latest_net_G_A/B.pth): which of its two translators. A pix2pix repo has "
                                       "one, AtoB. Local CycleGAN folders list both files under 'model'."),
            ],
            outputs=[Pix2PixModelIO.Output(display_name="model", tooltip="The translator, for Translate, "
                                                                            "Colorize, Critic and Save Model.")],
        )

    @classmethod
    def fingerprint_inputs(cls, model: str, catalogue: str, repo_id: str, revision: str,
                           direction: str = "AtoB") -> tuple:
        """A local file changed on disk makes the node run again (ComfyUI would reuse its cached output)."""
        if not repo_id.strip() and model == NONE and catalogue in DEMO_CHOICES:
            model = DEMO_CHOICES[catalogue].file  # once downloaded, a file under models/pix2pix like any other
        if repo_id.strip() or model == NONE:
            return (repo_id.strip(), catalogue, revision.strip(), direction)
        try:
            return (model, local_fingerprint(model))
        except (OSError, Pix2PixError):  # a missing file: execute says so
            return (model,)

    @classmethod
    def execute(cls, model: str, catalogue: str, repo_id: str, revision: str,
                direction: str = "AtoB") -> io.NodeOutput:
        if repo_id.strip():
            return io.NodeOutput(_load_hub(repo_id.strip(), revision.strip(), direction))
        if model != NONE:
            return io.NodeOutput(load_local(model))
        if catalogue in DEMO_CHOICES:
            return io.NodeOutput(_load_demo(catalogue))
        if catalogue != NONE:
            return io.NodeOutput(_load_hub(catalogue, revision.strip(), direction))
        raise Pix2PixError("Pix2Pix Load Model: choose a model under models/pix2pix, a catalogue entry or a repo_id.")


class Pix2PixSaveModel(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="Pix2PixSaveModel",
            search_aliases=["save pix2pix", "push to hub", "save translator"],
            display_name="Pix2Pix Save Model",
            category=f"{CATEGORY}/loaders",
            description=("Saves a translator into models/pix2pix/<name>/ (config.json + model.safetensors + "
                         "discriminator + model card), written atomically; optionally publishes it to the Hub."),
            is_output_node=True,
            inputs=[
                Pix2PixModelIO.Input("model", tooltip="The translator to save."),
                io.String.Input("name", default="my-translator", tooltip="Folder name under models/pix2pix."),
                io.Boolean.Input("push_to_hub", default=False, tooltip="Also upload it to the Hugging Face Hub."),
                io.String.Input("repo_id", default="", tooltip="Hub repo (org/name) when pushing."),
                io.String.Input("token", default="", tooltip="Hub token with write access. Leave empty to use HF_TOKEN "
                                                             "or the saved login: a token typed here is saved in "
                                                             "the workflow file."),
                io.Boolean.Input("private", default=True, tooltip="Create the Hub repo private."),
                io.Boolean.Input("overwrite", default=False,
                                 tooltip="Replace a translator already saved under this name (never other files)."),
            ],
            outputs=[io.String.Output(display_name="path", tooltip="Where the translator was saved.")],
        )

    @classmethod
    def execute(cls, model: Pix2PixModel, name: str, push_to_hub: bool, repo_id: str, token: str,
                private: bool, overwrite: bool = False) -> io.NodeOutput:
        folder = contained_path(model_dir(), name, what="name")
        target = save_pretrained(model.generator, folder, model.discriminator, overwrite=overwrite)
        if push_to_hub:
            if not repo_id.strip():
                raise Pix2PixError("Pix2Pix Save Model: push_to_hub needs a repo_id (org/name).")
            publish(model.generator, repo_id.strip(), discriminator=model.discriminator, private=private,
                            token=token.strip() or None)
        return io.NodeOutput(str(target))

