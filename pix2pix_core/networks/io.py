"""The io contract a generator carries: colour spaces in and out, training size, direction.

Tensors entering and leaving a network are always scaled to [-1, 1]; the contract says what they mean.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError

# labels: one-hot label maps (and instance boundaries), pix2pixHD's input (see inference/labels.py)
INPUT_SPACES = {"rgb": (3,), "gray": (1,), "lab_l": (1,), "edges": (1, 3), "labels": None, "any": None}
LABEL_CHANNELS = 5  # a network taking this many input channels or more takes label maps: no image has as many
OUTPUT_SPACES = {"rgb": (3,), "gray": (1,), "lab_ab": (2,), "any": None}
DIRECTIONS = ("AtoB", "BtoA")


@dataclass(frozen=True)
class IOSpec:
    """How images map to a generator's input and back: colour spaces, training size, direction.

    Tensors entering and leaving the network are always scaled to [-1, 1].
    """

    input_space: str = "rgb"
    output_space: str = "rgb"
    train_size: int = 256
    direction: str = "AtoB"
    # the side whole training images were resized to before cropping (load_size): the scale of content the network
    # learned; None when not recorded (reference and community weights)
    train_scale: int | None = None
    # labels: the classes of the one-hot input, and whether an instance-boundary channel follows (None: not known)
    label_nc: int | None = None
    instance_boundaries: bool | None = None

    @classmethod
    def default_for(cls, in_channels: int, out_channels: int, train_size: int = 256) -> IOSpec:
        spaces_in = {1: "gray", 3: "rgb"}
        spaces_out = {1: "gray", 2: "lab_ab", 3: "rgb"}
        input_space = "lab_l" if (in_channels, out_channels) == (1, 2) else spaces_in.get(
            in_channels, "labels" if in_channels >= LABEL_CHANNELS else "any")
        return cls(input_space, spaces_out.get(out_channels, "any"), train_size)

    def check_channels(self, in_channels: int, out_channels: int) -> None:
        """Raise ConfigError when the colour spaces contradict the network's channel counts."""
        for label, space, spaces, channels in (
            ("input_space", self.input_space, INPUT_SPACES, in_channels),
            ("output_space", self.output_space, OUTPUT_SPACES, out_channels),
        ):
            if space not in spaces:
                raise ConfigError(f"io.{label} is {space!r}; expected one of {', '.join(spaces)}.")
            allowed = spaces[space]
            if allowed is not None and channels not in allowed:
                raise ConfigError(
                    f"io.{label} {space!r} needs {' or '.join(map(str, allowed))} channel(s) but the network has "
                    f"{channels}: fix io.{label} in config.json (or the channel count in 'arguments')."
                )
        if self.direction not in DIRECTIONS:
            raise ConfigError(f"io.direction is {self.direction!r}; expected 'AtoB' or 'BtoA'.")
        if not isinstance(self.train_size, int) or self.train_size < 1:
            raise ConfigError(f"io.train_size must be a positive integer, got {self.train_size!r}.")
