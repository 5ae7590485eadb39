"""Video files in and out with PyAV (the FFmpeg binding ComfyUI uses), frames streamed in chunks.

A clip is checked before any frame is decoded (:func:`probe` demuxes its packets, which decodes nothing): a file
that is not video, one with no video stream, a 0-frame clip and a variable frame rate are refused by name. Frames
come out as float ``[n, 3, H, W]`` chunks in 0..1 (:func:`read_chunks`); :class:`ClipWriter` encodes them at the
input's frame rate, size and pixel aspect, and copies its audio stream packet for packet, interleaved as the
video advances. The output is written under a temporary name and renamed when complete; Ctrl-C closes it as a
playable ``NAME.partial.EXT`` (said so), and any other failure removes it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

from ..atomic import atomic_path, free_space, is_disk_full, mib
from ..errors import InputError
from ..extras import require

VIDEO_SUFFIXES = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm", ".avi": "avi"}
DEFAULT_CODECS = {".webm": "libvpx-vp9"}  # every other container: H.264
DEFAULT_CODEC = "libx264"
DEFAULT_CRF = 18  # visually lossless for H.264; the translation, not the encoder, should be what one sees
RATE_TOLERANCE = 0.02  # frame intervals differing by more than this fraction make a clip variable-rate


class VideoError(InputError):
    """A clip that cannot be read or written as asked."""


def is_video(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def _av():
    return require("av", "video", VideoError)


@dataclass(frozen=True)
class ClipInfo:
    path: Path
    frames: int
    rate: Fraction  # frames per second
    width: int
    height: int
    pixel_aspect: Fraction | None
    has_audio: bool
    files: tuple[Path, ...] = ()  # an image sequence's frames, in order (video/sequence.py); none for a video file

    @property
    def seconds(self) -> float:
        return float(self.frames / self.rate)


def probe(path: str | os.PathLike) -> ClipInfo:
    """What the clip holds, from its packets alone; refuses what cannot be translated as a clip."""
    av = _av()
    path = Path(path)
    if not path.is_file():
        raise VideoError(f"{path}: no such file.")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoError(f"{path} has no video stream (audio only?): give a clip with pictures.")
            stream = container.streams.video[0]
            stamps = sorted(packet.pts for packet in container.demux(stream) if packet.pts is not None)
            info = ClipInfo(path, len(stamps), stream.average_rate or stream.guessed_rate or Fraction(0),
                            stream.codec_context.width, stream.codec_context.height,
                            stream.sample_aspect_ratio or None, bool(container.streams.audio))
    except av.error.FFmpegError as exc:
        raise VideoError(f"{path} is not a readable video ({exc.strerror or type(exc).__name__}): give an mp4, "
                         "mov, mkv, webm or avi clip, or re-encode it with ffmpeg.") from exc
    if info.frames == 0 or not info.rate:
        raise VideoError(f"{path} holds no video frames: nothing to translate.")
    steps = np.diff(stamps)
    if len(steps) and (steps.max() - steps.min()) > RATE_TOLERANCE * np.median(steps):
        raise VideoError(f"{path} has a variable frame rate (frame intervals from {steps.min()} to {steps.max()} "
                         "time units): re-encode it at a constant rate first, e.g. ffmpeg -i IN -fps_mode cfr "
                         "-r 25 OUT.mp4.")
    return info


def read_chunks(path: str | os.PathLike, chunk: int) -> Iterator[torch.Tensor]:
    """The clip's frames in order, ``chunk`` at a time, as float ``[n, 3, H, W]`` in 0..1."""
    av = _av()
    frames = []
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                frames.append(torch.from_numpy(frame.to_ndarray(format="rgb24")))
                if len(frames) == chunk:
                    yield _as_float(frames)
                    frames = []
    except av.error.FFmpegError as exc:
        raise VideoError(f"{path} is damaged after {len(frames)} more frame(s) ({exc.strerror or exc}): the "
                         "output is not kept. Repair or re-encode the clip.") from exc
    if frames:
        yield _as_float(frames)


def sample_frames(info: ClipInfo, count: int) -> torch.Tensor:
    """About ``count`` frames spread evenly across the clip (by seeking), as float ``[n, 3, H, W]``."""
    av = _av()
    frames = []
    with av.open(str(info.path)) as container:
        stream = container.streams.video[0]
        start = stream.start_time or 0
        span = stream.duration or int(info.seconds / stream.time_base)
        for k in range(min(count, info.frames)):
            target = start + span * k // min(count, info.frames)
            container.seek(target, stream=stream, backward=True)
            frame = next((f for f in container.decode(stream) if f.pts is None or f.pts >= target), None)
            if frame is not None:
                frames.append(torch.from_numpy(frame.to_ndarray(format="rgb24")))
    return _as_float(frames)


def _as_float(frames: list[torch.Tensor]) -> torch.Tensor:
    return torch.stack(frames).permute(0, 3, 1, 2).float() / 255


def check_output(source: Path, target: Path, overwrite: bool) -> None:
    """Refused before any work: the input itself, a format we cannot write, a file there unless ``overwrite``."""
    if target.suffix.lower() not in VIDEO_SUFFIXES:
        raise VideoError(f"--out {target}: a clip is written as {', '.join(VIDEO_SUFFIXES)}; give one of those.")
    if target.resolve() == source.resolve():
        raise VideoError(f"--out {target} is the input clip itself: write the translation to another file.")
    if target.exists() and not overwrite:
        raise VideoError(f"{target} exists: give another --out, or --overwrite to replace it.")
    if target.parent.exists() and not os.access(target.parent, os.W_OK):
        raise VideoError(f"cannot write into {target.parent}: choose a folder you can write to.")


def check_codec(codec: str) -> None:
    av = _av()
    try:
        av.codec.Codec(codec, "w")
    except (av.codec.codec.UnknownCodecError, ValueError) as exc:
        raise VideoError(f"--codec {codec}: this FFmpeg has no such encoder; try libx264 (mp4, mov, mkv), "
                         "libvpx-vp9 (webm), mpeg4 or ffv1 (lossless, mkv).") from exc


def disk_full_error(target: Path, written: int, frames: int, written_bytes: int, kept: str) -> VideoError:
    """The clip's writer ran out of space: how far it got, about what the whole clip needs, what is free."""
    needed = written_bytes * frames // max(written, 1)  # frames still in the writer's buffers: a lower bound
    return VideoError(f"could not write {target}: the disk is full after {written} of {frames} frames: the clip "
                      f"needs at least {mib(needed)} there and {mib(free_space(target))} are free; {kept}. Free "
                      "space on that disk (or give an --out on another one) and run the same command again.")


def partial_path(target: Path) -> Path:
    return target.with_name(f"{target.stem}.partial{target.suffix}")


class ClipWriter:
    """Encodes frames to ``target`` at ``info``'s rate, size and pixel aspect, with its audio copied."""

    def __init__(self, info: ClipInfo, target: Path, codec: str | None = None, crf: int = DEFAULT_CRF) -> None:
        self.info, self.target = info, target
        self.codec = codec or DEFAULT_CODECS.get(target.suffix.lower(), DEFAULT_CODEC)
        self.crf = crf
        self.written = 0

    @contextlib.contextmanager
    def open(self) -> Iterator[ClipWriter]:
        av = _av()
        with atomic_path(self.target) as tmp:
            self._output = av.open(str(tmp), "w", format=VIDEO_SUFFIXES[self.target.suffix.lower()])
            self._input = av.open(str(self.info.path)) if self.info.has_audio else None
            try:
                self._add_streams()
                yield self
                self._flush()
                self._close()
            except KeyboardInterrupt:
                self._close()
                os.replace(tmp, partial_path(self.target))  # playable: the encoder and container were closed
                raise
            except BaseException as exc:
                with contextlib.suppress(Exception):  # a full disk fails the close too
                    self._close()
                if is_disk_full(exc):
                    written_bytes = tmp.stat().st_size
                    tmp.unlink()
                    raise disk_full_error(self.target, self.written, self.info.frames, written_bytes,
                                          "the partial file was removed, nothing was kept") from exc
                raise

    def stopped_note(self) -> str:
        return (f"{self.written} of {self.info.frames} frames are in {partial_path(self.target)} (playable); nothing "
                "at --out")

    def _add_streams(self) -> None:
        info = self.info
        stream = self._output.add_stream(self.codec, rate=info.rate)
        stream.width, stream.height = info.width, info.height
        odd = info.width % 2 or info.height % 2  # 4:2:0 chroma needs even sides; 4:4:4 takes any
        stream.pix_fmt = "yuv444p" if odd and self.codec == "libx264" else _pixel_format(stream)
        if self.codec in ("libx264", "libvpx-vp9"):
            stream.options = {"crf": str(self.crf)} | ({"b": "0"} if self.codec == "libvpx-vp9" else {})
        if info.pixel_aspect:
            stream.codec_context.sample_aspect_ratio = info.pixel_aspect
        self._video = stream
        self._audio_out = self._audio_packets = None
        if self._input is not None:
            audio = self._input.streams.audio[0]
            self._audio_out = self._output.add_stream_from_template(audio)
            self._audio_packets = self._input.demux(audio)
            self._audio_in = audio

    def write(self, frames: torch.Tensor) -> None:
        """``frames`` ``[n, 3, H, W]`` in 0..1, in clip order."""
        av = _av()
        pixels = (frames.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
        for image in pixels:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame = frame.reformat(format=self._video.pix_fmt)
            frame.pts = self.written
            frame.time_base = Fraction(1) / self.info.rate
            self._output.mux(self._video.encode(frame))
            self.written += 1
        self._copy_audio(until=self.written / self.info.rate)

    def _copy_audio(self, until: Fraction | None) -> None:
        """Audio packets up to ``until`` seconds (None: all the rest), muxed beside the video written so far."""
        if self._audio_packets is None:
            return
        for packet in self._audio_packets:
            if packet.dts is None:
                continue
            packet.stream = self._audio_out
            self._output.mux(packet)
            if until is not None and packet.pts is not None and packet.pts * self._audio_in.time_base >= until:
                return
        self._audio_packets = None

    def _flush(self) -> None:
        self._output.mux(self._video.encode(None))
        self._copy_audio(until=None)

    def _close(self) -> None:
        with contextlib.suppress(Exception):
            self._output.mux(self._video.encode(None))
        self._output.close()
        if self._input is not None:
            self._input.close()


def _pixel_format(stream) -> str:
    formats = [f.name for f in (stream.codec_context.codec.video_formats or ())]
    return "yuv420p" if not formats or "yuv420p" in formats else formats[0]
