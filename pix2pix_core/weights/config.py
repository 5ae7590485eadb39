"""The configuration that travels with the weights: config.json (format_version 1).

```json
{"format_version": 1, "role": "generator", "architecture": "unet",
 "arguments": {"in_channels": 3, "out_channels": 3, "num_downs": 8, "ngf": 64, "norm": "batch", "dropout": true},
 "io": {"input_space": "rgb", "output_space": "rgb", "multiple": 256, "train_size": 256, "direction": "AtoB"},
 "training": {...}, "source": {...}}
```
``arguments`` fully determine the module tree; ``io`` is the contract between a user's image and the network;
``training`` holds facts about how it was trained (dataset, lambda_l1, gan_mode, steps, metrics);
``source`` says where the weights came from (original file, how the architecture was found).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError, NoDiscriminator
from ..networks.io import IOSpec

FORMAT_VERSION = 1
DISCRIMINATOR_FILE = "discriminator.safetensors"  # where a discriminator saved with its generator lives
ROLES = ("generator", "discriminator", "encoder")  # encoder: pix2pixHD's feature encoder


@dataclass(frozen=True)
class DiscriminatorEntry:
    """config.json's ``discriminator``: the discriminator saved beside the generator, in DISCRIMINATOR_FILE."""

    architecture: str
    arguments: dict[str, Any]


@dataclass
class ModelConfig:
    """Everything config.json holds about one network (and, for a generator, the discriminator saved with it)."""

    role: str
    architecture: str
    arguments: dict[str, Any]
    io: IOSpec | None = None
    training: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)
    multiple: int | None = None  # io.multiple as stated; checked against the architecture when building
    discriminator: DiscriminatorEntry | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"format_version": FORMAT_VERSION, "role": self.role,
                                "architecture": self.architecture, "arguments": self.arguments}
        if self.io is not None:
            data["io"] = {**dataclasses.asdict(self.io), "multiple": self.multiple}
        data["training"] = self.training
        data["source"] = self.source
        if self.discriminator is not None:
            data["discriminator"] = {"file": DISCRIMINATOR_FILE, "architecture": self.discriminator.architecture,
                                     "arguments": self.discriminator.arguments}
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def discriminator_config(self) -> ModelConfig:
        """The config of the discriminator saved with this generator."""
        if self.discriminator is None:
            raise NoDiscriminator("config.json has no 'discriminator' entry: no discriminator was saved here.")
        return ModelConfig("discriminator", self.discriminator.architecture, self.discriminator.arguments)

    @classmethod
    def from_json(cls, text: str, origin: str = "config.json") -> ModelConfig:
        """Parse config.json text (see :meth:`from_dict`)."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise ConfigError(
                f"{origin} is not valid JSON ({detail}). Fix it, or delete it to infer the architecture from the "
                "weights."
            ) from exc
        return cls.from_dict(data, origin)

    @classmethod
    def from_dict(cls, data: Any, origin: str = "config.json") -> ModelConfig:
        """Validate every field of a config.json object; ConfigError names the field and what it must be."""
        if not isinstance(data, dict):
            raise ConfigError(f"{origin} must hold a JSON object, found {type(data).__name__}.")
        version = data.get("format_version")
        if type(version) is not int:
            raise ConfigError(f"{origin}: format_version must be the number {FORMAT_VERSION}, found "
                              f"{_kind(version)}. Fix it, or re-save the model with `pix2pix convert`.")
        if version != FORMAT_VERSION:
            raise ConfigError(
                f"{origin} has format_version {version}; this comfyui-pix2pix reads version {FORMAT_VERSION}. "
                "Upgrade comfyui-pix2pix if the file is newer, or re-save the model with `pix2pix convert`."
            )
        missing = [k for k in ("role", "architecture", "arguments") if k not in data]
        if missing:
            raise ConfigError(f"{origin} lacks the field(s) {', '.join(missing)}.")
        if data["role"] not in ROLES:
            raise ConfigError(f"{origin}: role is {_kind(data['role'])}; expected one of {', '.join(ROLES)}.")
        for name, kinds in (("architecture", (str,)), ("arguments", (dict,)), ("io", (dict, type(None))),
                            ("training", (dict, type(None))), ("source", (dict, type(None)))):
            if not isinstance(data.get(name), kinds):
                wanted = "a string" if kinds == (str,) else "an object"
                raise ConfigError(f"{origin}: '{name}' must be {wanted}, found {_kind(data.get(name))}.")
        io, multiple = _parse_io(data.get("io"), origin)
        return cls(data["role"], data["architecture"], data["arguments"], io, dict(data.get("training") or {}),
                   dict(data.get("source") or {}), multiple, _parse_discriminator(data.get("discriminator"), origin))


MAX_TRAIN_SCALE = 16384  # fit="auto" resizes inputs to this scale: a larger recorded value is a broken file
MAX_LABELS = 4096  # a one-hot input of more classes than this is a broken file
IO_TYPES = {"train_size": int, "train_scale": int, "label_nc": int, "instance_boundaries": bool}
OPTIONAL_IO = ("train_scale", "label_nc", "instance_boundaries")
TYPE_NAMES = {int: "an integer", bool: "true or false", str: "a string"}


def _parse_io(io_data: dict | None, origin: str) -> tuple[IOSpec | None, int | None]:
    if io_data is None:
        return None, None
    io_data = dict(io_data)
    multiple = io_data.pop("multiple", None)
    allowed = {f.name for f in dataclasses.fields(IOSpec)}
    unknown = sorted(set(io_data) - allowed)
    if unknown:
        raise ConfigError(f"{origin}: unknown io field(s) {unknown}; known: {sorted(allowed | {'multiple'})}.")
    for name, value in io_data.items():
        wanted = IO_TYPES.get(name, str)
        if type(value) is not wanted and not (name in OPTIONAL_IO and value is None):
            raise ConfigError(f"{origin}: io.{name} must be {TYPE_NAMES[wanted]}, found {_kind(value)}.")
    label_nc = io_data.get("label_nc")
    if label_nc is not None and not 1 <= label_nc <= MAX_LABELS:
        raise ConfigError(f"{origin}: io.label_nc (the classes of a label map) must lie between 1 and {MAX_LABELS}, "
                          f"found {label_nc}.")
    scale = io_data.get("train_scale")
    if scale is not None and not 1 <= scale <= MAX_TRAIN_SCALE:
        raise ConfigError(f"{origin}: io.train_scale (the side training images were resized to) must lie between 1 "
                          f"and {MAX_TRAIN_SCALE}, found {scale}: fix it in config.json, or remove it.")
    if multiple is not None and type(multiple) is not int:
        raise ConfigError(f"{origin}: io.multiple must be an integer, found {_kind(multiple)}.")
    return IOSpec(**io_data), multiple


def _parse_discriminator(entry: Any, origin: str) -> DiscriminatorEntry | None:
    if entry is None:
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("architecture"), str) or \
            not isinstance(entry.get("arguments"), dict) or entry.get("file", DISCRIMINATOR_FILE) != DISCRIMINATOR_FILE:
        raise ConfigError(f"{origin}: 'discriminator' must be an object with 'architecture' (a string), "
                          f"'arguments' (an object) and 'file' {DISCRIMINATOR_FILE!r}.")
    return DiscriminatorEntry(entry["architecture"], entry["arguments"])


def _kind(value: Any) -> str:
    """A value described for a message without echoing much of it."""
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return f"{type(value).__name__} {str(value)[:40]}" if isinstance(value, (int, float, bool)) else \
        type(value).__name__
