"""Our directory format: ``config.json`` + ``model.safetensors`` (+ ``discriminator.safetensors``) + ``README.md``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path

import torch
from safetensors.torch import save_file

from ..atomic import atomic_path, atomic_write_text, readable_folder, write_folder
from ..errors import CheckpointError, ConfigError, NoDiscriminator, WrongRole
from ..networks import Discriminator, Generator, Pix2PixNetwork, config_from_arguments
from .architecture import build_and_load
from .card import UNKNOWN_LICENSE, check_license, render_model_card
from .config import DISCRIMINATOR_FILE, DiscriminatorEntry, ModelConfig
from .files import CONFIG_METADATA_KEY, read_weights

CONFIG_FILE = "config.json"
GENERATOR_FILE = "model.safetensors"
ENCODER_FILE = "encoder.safetensors"  # pix2pixHD's feature encoder, beside a translator trained with features
CARD_FILE = "README.md"
SAMPLES_DIR = "samples"
CHECKPOINT_DIR = "checkpoint"  # a training run folder keeps its latest translator here


def model_config_of(net: Pix2PixNetwork) -> ModelConfig:
    """The config.json content describing ``net`` (architecture, io contract, training facts, provenance)."""
    return ModelConfig(net.role, net.config.architecture, net.config.arguments(), net.io,
                       dict(net.training_facts), dict(net.source), net.multiple if net.role == "generator" else None)


def network_from_config(config: ModelConfig, state_dict: dict[str, torch.Tensor], origin: str) -> Pix2PixNetwork:
    """Build the network ``config`` describes, check its fields agree, and load ``state_dict`` into it: the one
    place a network is built from weights (stated or inferred configs alike)."""
    arch = config_from_arguments(config.role, config.architecture, config.arguments)
    if config.io is not None:
        config.io.check_channels(arch.in_channels, arch.out_channels)
    if config.multiple is not None and config.multiple != arch.multiple:
        raise ConfigError(
            f"{origin}: io.multiple says {config.multiple} but a {config.architecture} with these arguments needs "
            f"multiples of {arch.multiple}. Fix or remove io.multiple."
        )
    net = build_and_load(arch, state_dict, origin)
    if config.io is not None:
        net.io = config.io
    net.training_facts = dict(config.training)
    net.source = dict(config.source)
    return net


OWN_ENTRIES = {CONFIG_FILE, GENERATOR_FILE, DISCRIMINATOR_FILE, CARD_FILE, SAMPLES_DIR}


def save_pretrained(generator: Generator, directory: str | Path, discriminator: Discriminator | None = None,
                    license: str = UNKNOWN_LICENSE, repo_id: str | None = None,
                    samples: list[Path] | None = None, overwrite: bool = False,
                    extra_files: Iterable[Path] = ()) -> Path:
    """Write ``generator`` (and optionally its discriminator) as a loadable directory, all or nothing, with
    ``extra_files`` copied in beside the weights (a pix2pixHD translator's encoder and feature clusters).

    The folder is written fresh beside ``directory`` and swapped in, so a failure or a kill at any point leaves
    the previous content loadable. An existing translator there is replaced only with ``overwrite=True``; a
    folder holding anything else is never replaced.
    """
    if not isinstance(generator, Generator):
        raise TypeError(f"save_pretrained needs a pix2pix Generator, got {type(generator).__name__}.")
    directory = Path(directory)
    check_license(license)
    _check_replaceable(directory, overwrite)
    missing = [str(s) for s in samples or [] if not Path(s).is_file()]
    if missing:
        raise CheckpointError(f"sample image(s) not found: {', '.join(missing)}; nothing was written.")
    def build(folder: Path) -> None:
        write_pretrained(generator, folder, discriminator, license, repo_id, samples, directory.name)
        for extra in extra_files:
            shutil.copyfile(extra, folder / Path(extra).name)

    return write_folder(directory, build)


def _check_replaceable(directory: Path, overwrite: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise CheckpointError(f"{directory} is a file, not a folder: choose a folder to save the translator in.")
    current = readable_folder(directory)  # a save a kill interrupted still counts as the folder's content
    entries = sorted(p.name for p in current.iterdir()) if current.is_dir() else []
    if not entries:
        return
    foreign = [name for name in entries if name not in OWN_ENTRIES]
    if foreign:
        raise CheckpointError(f"{directory} already holds other files ({', '.join(foreign[:5])}"
                              f"{', ...' if len(foreign) > 5 else ''}): save the translator into a new folder.")
    if not overwrite:
        raise CheckpointError(f"{directory} already holds a translator: pass overwrite=True (--overwrite) to replace "
                              "it, or choose another folder.")


def write_pretrained(generator: Generator, folder: Path, discriminator: Discriminator | None = None,
                     license: str = UNKNOWN_LICENSE, repo_id: str | None = None, samples: list[Path] | None = None,
                     name: str | None = None, encoder: Pix2PixNetwork | None = None) -> None:
    """Write the files of our format into ``folder`` (a fresh folder: see :func:`save_pretrained`); a pix2pixHD
    translator trained with instance features also keeps its feature ``encoder``."""
    config = model_config_of(generator)
    _write_weights(generator, folder / GENERATOR_FILE, config.to_json())
    if encoder is not None:
        _write_weights(encoder, folder / ENCODER_FILE, model_config_of(encoder).to_json())
    if discriminator is not None:
        d_config = model_config_of(discriminator)
        _write_weights(discriminator, folder / DISCRIMINATOR_FILE, d_config.to_json())
        config.discriminator = DiscriminatorEntry(d_config.architecture, d_config.arguments)
    data = config.to_dict()
    sample_names = []
    for sample in samples or []:
        sample_names.append(f"{SAMPLES_DIR}/{Path(sample).name}")
        with atomic_path(folder / sample_names[-1]) as tmp:
            shutil.copyfile(sample, tmp)
    n_params = sum(p.numel() for p in generator.parameters())
    card = render_model_card(data, n_params, repo_id or name or folder.name, license, sample_names, repo_id)
    atomic_write_text(folder / CARD_FILE, card)
    atomic_write_text(folder / CONFIG_FILE, json.dumps(data, indent=2) + "\n")


def _write_weights(net: Pix2PixNetwork, path: Path, config_json: str) -> None:
    tensors = {k: v.detach().to("cpu", copy=True).contiguous() for k, v in net.state_dict().items()}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={"format": "pt", CONFIG_METADATA_KEY: config_json})


def load_directory(directory: Path, role: str) -> Pix2PixNetwork:
    """Load the generator or discriminator of a directory written by :func:`save_pretrained`."""
    config_path = directory / CONFIG_FILE
    try:
        text = config_path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as exc:
        raise ConfigError(f"{config_path} cannot be read as UTF-8 text ({type(exc).__name__}): fix or delete it to "
                          "infer the architecture from the weights.") from exc
    config = ModelConfig.from_json(text, str(config_path))
    if config.role != role and not (role == "discriminator" and config.role == "generator"):
        raise WrongRole(str(config_path), config.role, role)
    if role == "discriminator" and config.role == "generator":
        try:
            config = config.discriminator_config()
        except NoDiscriminator as exc:
            raise NoDiscriminator(f"{directory} has no discriminator (config.json has no 'discriminator' "
                                  "entry).") from exc
    weights_path = directory / (DISCRIMINATOR_FILE if role == "discriminator" else GENERATOR_FILE)
    if not weights_path.is_file():
        raise CheckpointError(
            f"{directory} has config.json but no {weights_path.name}. Copy the weights next to config.json."
        )
    weights = read_weights(weights_path)
    return network_from_config(config, weights.state_dict, str(weights_path))
