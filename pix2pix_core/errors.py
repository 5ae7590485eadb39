"""Errors raised by pix2pix_core. Every message says what was expected, what was found, and what to do."""


class Pix2PixError(Exception):
    """Base class of every error this package raises on purpose."""


class CheckpointError(Pix2PixError, ValueError):
    """A weights file or directory cannot be read, or holds something that is not a pix2pix network."""


class NoDiscriminator(CheckpointError):
    """A source holds a generator without its discriminator: expected for most published translators."""


class WrongRole(CheckpointError):
    """A file holds a generator where a discriminator was asked for, or the reverse; ``found`` says which."""

    def __init__(self, where: str, found: str, wanted: str) -> None:
        option = {"generator": "the CLI's --model, ", "discriminator": "the CLI's --discriminator, "}.get(found, "")
        super().__init__(f"{where} holds {_a(found)}, not {_a(wanted)}: pass it where {_a(found)} is asked for "
                         f"({option}load_{found}() in Python).")
        self.found = found


class ArchitectureError(Pix2PixError, ValueError):
    """A state dict matches no known architecture, or does not match the architecture it claims."""


class ConfigError(Pix2PixError, ValueError):
    """config.json is malformed, from an unknown format version, or contradicts itself."""


class InputError(Pix2PixError, ValueError):
    """A tensor handed to a network has the wrong shape or channel count."""


class ResourceError(Pix2PixError, MemoryError):
    """A translation would not fit (or did not fit) in the memory available to it."""


class HubError(Pix2PixError, OSError):
    """A Hub repo id is malformed, missing, private, not a pix2pix model, or could not be downloaded."""


class ExportError(Pix2PixError, ValueError):
    """A network that cannot be exported, an export file that cannot be written or run, or a missing extra."""


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"
