"""A run over image files: inputs (files and folders) -> one output file each under an output folder.

Everything that can be checked is checked by :func:`plan_files` before any work (the output folder is not an input
folder and overwrites no input, no file this project did not write is replaced unasked, every named input exists),
so a command can plan first and load its model after. :func:`run_files` then writes each output atomically and
records it in the folder's :class:`OutputManifest`: an interrupted run leaves whole files only, and a rerun with
``skip_existing`` resumes where it stopped.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .errors import InputError
from .imaging.files import ImageFile, find_images, read_image, save_image
from .output_manifest import OutputManifest

# --format choices: (Pillow format, suffix); "same" keeps each input's own format and bit depth
OUTPUT_FORMATS = {"same": (None, None), "png": ("PNG", ".png"), "jpeg": ("JPEG", ".jpg"), "webp": ("WEBP", ".webp"),
                  "tiff": ("TIFF", ".tif")}


@dataclass
class FilePlan:
    """Which input goes to which output, decided and checked before any work."""

    out: Path
    inputs: list[Path]
    targets: list[Path]
    image_format: str | None
    manifest: OutputManifest
    done: set[Path] = field(default_factory=set)  # targets an earlier run of the command finished (skip_existing)

    @property
    def todo(self) -> list[tuple[Path, Path]]:
        return [(source, target) for source, target in zip(self.inputs, self.targets) if target not in self.done]


@dataclass
class FileRun:
    written: int = 0
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (input, why) for inputs that could not be read
    interrupted: bool = False


def plan_files(inputs: list[str | os.PathLike], out: str | os.PathLike, output_format: str = "same", *,
               overwrite: bool = False, skip_existing: bool = False) -> FilePlan:
    """The outputs for ``inputs`` under ``out`` (same names; an input folder's tree mirrored), or an InputError
    naming what is wrong and what to do."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file: give a folder (it is created if missing).")
    missing = [str(item) for item in inputs if not Path(item).exists()]
    if missing:
        raise InputError(f"no such file or folder: {', '.join(missing[:3])}. Check the input path(s).")
    same = next((item for item in map(Path, inputs) if item.is_dir() and item.resolve() == out.resolve()), None)
    if same is not None:
        raise InputError(f"--out {out} is the input folder {same}: the outputs would overwrite the inputs. "
                         "Choose another output folder (a subfolder is fine).")
    manifest = OutputManifest(out)
    files = find_images(inputs, exclude=manifest.ours())
    if not files:
        raise InputError(f"no images found in {' '.join(map(str, inputs))}.")
    image_format, suffix = OUTPUT_FORMATS[output_format]
    targets = output_paths(files, out, suffix)
    sources = {path.resolve() for path, _ in files}
    clash = next((path for path in targets if path.resolve() in sources), None)
    if clash is not None:
        raise InputError(f"--out {out} would overwrite the input {clash}: choose an output folder that is not an "
                         "input folder.")
    theirs = [path for path in targets if path.exists() and not manifest.is_ours(path)]
    if theirs and not overwrite:
        raise InputError(f"--out {out} already holds {len(theirs)} file(s) that this command would overwrite and "
                         f"did not write (e.g. {theirs[0]}). Choose a new or empty output folder, or pass "
                         "--overwrite to replace them.")
    done = {path for path in targets if manifest.is_ours(path)} if skip_existing else set()
    return FilePlan(out, [path for path, _ in files], targets, image_format, manifest, done)


def run_files(plan: FilePlan, run: Callable[[torch.Tensor], torch.Tensor], *, keep_alpha: bool = True,
              keep_depth: bool = True, progress: Callable[[tuple[Path, str] | None], None] = lambda _: None,
              read: Callable[[Path], ImageFile] = read_image) -> FileRun:
    """Apply ``run`` ([C, H, W] in 0..1 -> [C', H, W]) to each input still to do, as ``read`` gives it (an image
    file's pixels; a label map's network input). An input that cannot be read (InputError) is skipped and
    reported; Ctrl-C stops between files. ``progress`` is called after each input: with ``(input, why)`` when it
    was skipped, else with None."""
    result = FileRun()
    try:
        for source_path, target in plan.todo:
            try:
                source = read(source_path)
                image = source.pixels if keep_alpha or source.pixels.shape[0] != 4 else source.pixels[:3]
                save_image(run(image), target, plan.image_format or source.format, source.bits if keep_depth else 8)
                plan.manifest.record(target)
                result.written += 1
                progress(None)
            except InputError as exc:
                result.skipped.append((source_path, str(exc)))
                progress(result.skipped[-1])
    except KeyboardInterrupt:  # every file is written atomically: the finished ones are whole, none is partial
        result.interrupted = True
    return result


def output_paths(files: list[tuple[Path, Path]], out: Path, suffix: str | None) -> list[Path]:
    """One distinct output path per input: its name (or its path in an input folder) under ``out``; when two
    would collide, the input tree is mirrored from the inputs' common folder, and a changed suffix keeps the old
    one in the name (``a.jpg.png`` beside ``a.png``)."""
    def with_suffix(relative: Path) -> Path:
        return relative.with_suffix(suffix) if suffix and relative.suffix.lower() != suffix else relative

    targets = [out / with_suffix(relative) for _, relative in files]
    if len(set(targets)) < len(targets):
        common = Path(os.path.commonpath([path.resolve().parent for path, _ in files]))
        targets = [out / with_suffix(path.resolve().relative_to(common)) for path, _ in files]
    if len(set(targets)) < len(targets) and suffix:
        targets = [target if target.suffix == path.suffix else target.with_name(path.name + suffix)
                   for (path, _), target in zip(files, targets)]
    return targets
