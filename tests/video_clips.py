"""Real clips for the tests, made with PyAV from an embedded photo: pans and zooms, an audio track."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import torch
from PIL import Image

ASSETS = Path(__file__).resolve().parents[1] / "pix2pix_core" / "assets"


def pan_frames(frames: int, width: int, height: int, step: int = 3, zoom: float = 0.0,
               photo: str = "chelsea.jpg") -> list[np.ndarray]:
    """A window moving ``step`` pixels a frame across an embedded photo (and growing by ``zoom`` a frame), resized."""
    return list(panning(frames, width, height, step, zoom, photo))


def panning(frames: int, width: int, height: int, step: int = 3, zoom: float = 0.0,
            photo: str = "chelsea.jpg") -> Iterator[np.ndarray]:
    """:func:`pan_frames` one at a time (a long clip is never held whole)."""
    photo = Image.open(ASSETS / photo).convert("RGB")
    base_w, base_h = int(photo.width * 0.6), int(photo.height * 0.6)
    for i in range(frames):
        w, h = int(base_w * (1 + zoom * i)), int(base_h * (1 + zoom * i))
        x = min(step * i, photo.width - w)
        window = photo.crop((x, 0, x + w, min(h, photo.height)))
        yield np.array(window.resize((width, height), Image.BILINEAR))


def write_clip(path: Path, frames: Iterable[np.ndarray], rate: int = 25, audio: bool = True,
               codec: str = "libx264", pixel_format: str = "yuv420p") -> Path:
    """``frames`` (H x W x 3 uint8) at ``rate`` fps, with a 440 Hz tone as long as the clip when ``audio``."""
    frames = iter(frames)
    first = next(frames)
    frames = itertools.chain([first], frames)
    height, width = first.shape[:2]
    count = 0
    with av.open(str(path), "w") as container:
        video = container.add_stream(codec, rate=rate)
        video.width, video.height, video.pix_fmt = width, height, pixel_format
        sound = container.add_stream("aac", rate=48000) if audio else None
        if sound is not None:
            sound.layout = "mono"
        for i, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format=pixel_format)
            frame.pts = i
            frame.time_base = Fraction(1, rate)
            container.mux(video.encode(frame))
            count += 1
        container.mux(video.encode(None))
        if sound is not None:
            samples = int(48000 * count / rate)
            tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(samples) / 48000)).astype(np.float32)
            for start in range(0, samples, 1024):
                block = av.AudioFrame.from_ndarray(tone[None, start:start + 1024], format="flt", layout="mono")
                block.sample_rate, block.pts = 48000, start
                container.mux(sound.encode(block))
            container.mux(sound.encode(None))
    return path


def clip_facts(path: Path) -> dict:
    """Frame count, rate, size and audio duration of a clip, decoded."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video))
    with av.open(str(path)) as container:
        audio = container.streams.audio
        seconds = (sum(f.samples for f in container.decode(audio[0])) / audio[0].rate) if audio else None
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        return {"frames": frames, "rate": video.average_rate, "size": (video.width, video.height),
                "audio_seconds": seconds}


def as_tensor(frames: list[np.ndarray]) -> torch.Tensor:
    """H x W x 3 uint8 frames as one float ``[n, 3, H, W]`` batch in 0..1."""
    return torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).float() / 255
