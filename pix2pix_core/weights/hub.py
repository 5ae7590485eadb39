"""Hugging Face Hub: resolve a repo id to local weight files (any pix2pix layout), and publish a translator.

Downloads go through ``huggingface_hub.hf_hub_download`` pinned to the commit the repo's listing resolved, into
the Hub cache or a given folder; files already there are reused. The client rules (checks, offline mode, timeouts,
error wording) are :mod:`pix2pix_core.hub_client`'s.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import HfApi

from ..atomic import atomic_write_text
from ..errors import HubError, NoDiscriminator
from ..hub_client import (
    by_hand,
    check_repo_id,
    check_revision,
    endpoint,
    explain_upload,
    fetch,
    list_repo,
    local_file,
    offline,
    remember_ref,
    run_bounded,
)
from ..networks import Discriminator, Generator
from .card import UNKNOWN_LICENSE
from .directory import CONFIG_FILE, DISCRIMINATOR_FILE, GENERATOR_FILE, save_pretrained
from .reference import reference_file

SOURCE_FILE = "hub_source.json"  # written next to files downloaded into a local folder: repo, revision, commit

WEIGHTS_FILE = {"generator": GENERATOR_FILE, "discriminator": DISCRIMINATOR_FILE}


def cyclegan_layouts(role: str, direction: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """One side of a CycleGAN repo: our checkpoint's ``AtoB/`` or ``BtoA/``, or the reference's files."""
    return (("comfyui-pix2pix", (f"{direction}/{CONFIG_FILE}", f"{direction}/{WEIGHTS_FILE[role]}")),
            ("reference", (reference_file(role, direction),)))


# Layouts a pix2pix repo may use, in order of preference: (name, files to fetch); a CycleGAN gives its AtoB side
LAYOUTS = {
    "generator": (("comfyui-pix2pix", (CONFIG_FILE, GENERATOR_FILE)), ("hub-community", ("pytorch_model.bin",)),
                  ("reference", (reference_file("generator"),)), *cyclegan_layouts("generator", "AtoB")),
    "discriminator": (("comfyui-pix2pix", (CONFIG_FILE, DISCRIMINATOR_FILE)),
                      ("reference", (reference_file("discriminator"),)), *cyclegan_layouts("discriminator", "AtoB")),
}


def layouts(role: str, direction: str | None = None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return LAYOUTS[role] if direction is None else cyclegan_layouts(role, direction)


@dataclass
class HubFiles:
    """Local copies of one repo's weights for a role."""

    repo_id: str
    commit: str | None
    layout: str
    paths: list[Path]

    @property
    def source(self) -> Path:
        """What the loader reads: the folder for our layout, else the single weights file."""
        return self.paths[0].parent if self.layout == "comfyui-pix2pix" else self.paths[0]


def download(repo_id: str, role: str = "generator", *, revision: str | None = None,
             cache_dir: str | os.PathLike | None = None, local_dir: str | os.PathLike | None = None,
             local_files_only: bool | None = None, token: str | bool | None = None,
             direction: str | None = None) -> HubFiles:
    """Fetch the files ``role`` needs from ``repo_id`` (or find them locally when offline); ``direction`` picks
    one side of a CycleGAN repo."""
    wanted_layouts = layouts(role, direction)
    check_repo_id(repo_id)
    check_revision(revision)
    if local_files_only is None:
        local_files_only = offline()
    if local_files_only:
        return _find_local(repo_id, role, wanted_layouts, revision, cache_dir, local_dir)
    instead = by_hand(repo_id, revision, None, local_dir, wanted_layouts)
    commit, files = list_repo(repo_id, revision, token, local_dir=local_dir, instead=instead)
    name, wanted = _pick_layout(repo_id, role, wanted_layouts, files, revision)
    paths = [fetch(repo_id, filename, commit, cache_dir, local_dir, token, revision) for filename in wanted]
    if local_dir is None:
        remember_ref(repo_id, revision or "main", commit, cache_dir)
    else:
        record = {"repo_id": repo_id, "revision": revision or "main", "commit": commit, "files": list(wanted)}
        atomic_write_text(Path(local_dir) / SOURCE_FILE, json.dumps(record, indent=2) + "\n")
    return HubFiles(repo_id, commit, name, paths)


def _pick_layout(repo_id: str, role: str, candidates, files: list[str], revision: str | None) -> tuple[str, tuple]:
    found = _first_layout(files, candidates)
    if found is not None:
        return found
    expected = "; ".join(" + ".join(wanted) for _, wanted in candidates)
    if role == "discriminator" and _first_layout(files, LAYOUTS["generator"]):
        raise NoDiscriminator(f"{repo_id}@{revision or 'main'} holds a generator without a discriminator.")
    raise HubError(
        f"{repo_id}@{revision or 'main'} has no pix2pix {role} weights. Expected one of: {expected}. "
        f"Files in the repo: {', '.join(sorted(files)[:20]) or 'none'}."
    )


def _first_layout(files: list[str], candidates) -> tuple[str, tuple[str, ...]] | None:
    return next(((name, wanted) for name, wanted in candidates if set(wanted) <= set(files)), None)


def _find_local(repo_id: str, role: str, candidates, revision: str | None, cache_dir, local_dir) -> HubFiles:
    """Offline: the first layout whose files are all in ``local_dir`` or the cache."""
    for name, wanted in candidates:
        paths = [local_file(repo_id, filename, revision, cache_dir, local_dir) for filename in wanted]
        if all(paths):
            commit = _recorded_commit(local_dir)
            return HubFiles(repo_id, commit, name, paths)
    raise HubError(f"offline (HF_HUB_OFFLINE or local_files_only) and {repo_id}@{revision or 'main'} has no {role} "
                   f"weights in the local files. {by_hand(repo_id, revision, None, local_dir, candidates)}")


def _recorded_commit(local_dir) -> str | None:
    record = Path(local_dir) / SOURCE_FILE if local_dir is not None else None
    if record is not None and record.is_file():
        return json.loads(record.read_text()).get("commit")
    return None


def push_to_hub(generator: Generator, repo_id: str, *, discriminator: Discriminator | None = None,
                private: bool = False, token: str | None = None, samples: list[Path] | None = None,
                license: str = UNKNOWN_LICENSE, commit_message: str = "Upload pix2pix translator",
                extra_files: list[Path] = (), prepare: Callable[[Path], None] | None = None) -> str:
    """Create (or reuse) ``repo_id`` and upload the translator as config.json + model.safetensors + card.

    Returns the commit id. Sample images, when given, go under ``samples/`` and are shown in the card;
    ``extra_files`` (e.g. ONNX exports) go next to the weights, and ``prepare`` may then edit the folder (the card)
    before the one commit is made.
    """
    check_repo_id(repo_id)
    if offline():
        raise HubError(f"HF_HUB_OFFLINE is set, and pushing to {repo_id} needs the network: unset it (or set "
                       "HF_HUB_OFFLINE=0) for the push. Nothing was uploaded.")
    api = HfApi(endpoint=endpoint(), token=token)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / repo_id.split("/")[1]
        save_pretrained(generator, folder, discriminator, license=license, repo_id=repo_id, samples=samples)
        for extra in extra_files:
            shutil.copy2(extra, folder / Path(extra).name)
        if prepare is not None:
            prepare(folder)
        def upload():
            api.create_repo(repo_id, private=private, exist_ok=True)
            return api.upload_folder(repo_id=repo_id, folder_path=folder, commit_message=commit_message)

        try:
            info = run_bounded(repo_id, upload)
        except Exception as exc:  # noqa: BLE001 - translated into one clear message
            raise explain_upload(exc, repo_id) from exc
    return info.oid
