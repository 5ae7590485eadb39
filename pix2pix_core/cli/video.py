"""Clips on the command line: ``pix2pix translate|edges|colorize CLIP --out OUT``, where a clip is a video file or
an image-sequence folder and OUT a video file or a folder of frames; streamed in chunks, without flicker."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from ..errors import InputError
from ..imaging.files import IMAGE_SUFFIXES
from ..inference.clip import CLIP_SAMPLE, clip_statistics, regrouped, translate_clip
from ..inference.temporal import TEMPORAL, check_temporal
from ..video.files import (
    DEFAULT_CRF,
    VIDEO_SUFFIXES,
    ClipInfo,
    ClipWriter,
    check_codec,
    check_output,
    is_video,
    probe,
    read_chunks,
    sample_frames,
)
from ..video.flow import cv2
from ..video.sequence import (
    DEFAULT_RATE,
    SequenceWriter,
    is_sequence,
    probe_sequence,
    read_sequence,
    sample_sequence,
    sequence_rate,
)
from ..video.stabilize import MAX_STRENGTH, check_strength, stabilized

DEFAULT_CHUNK = 16  # frames decoded, translated and encoded at a time: memory is flat in the clip's length
GROUP = 8  # frames per batch, counted from the clip's start (see inference/clip.py)

Frames = Iterable[torch.Tensor]


def add_video_options(parser: argparse.ArgumentParser, temporal: bool = False) -> None:
    video = parser.add_argument_group("clips (a video file .mp4 .mov .mkv .webm .avi, or a folder of frames given "
                                      "--temporal or --stabilize or a video --out; --out a video file or a folder)")
    if temporal:
        video.add_argument("--temporal", choices=TEMPORAL,
                           help="clip (the default for a clip): one dropout mask for every frame, no flicker from "
                           "noise; frame: the reference's test.py, fresh dropout per frame. A folder given it is "
                           "one clip, its frames in order")
    video.add_argument("--stabilize", type=float, default=0.0, metavar="S",
                       help="flow-guided smoothing: blend each frame with the previous one warped along the input's "
                       f"optical flow, occlusions left alone (0 off, the default; up to {MAX_STRENGTH}; e.g. 0.5)")
    video.add_argument("--codec", help="encoder (default libx264; libvpx-vp9 for .webm)")
    video.add_argument("--crf", type=int, default=DEFAULT_CRF, help=f"quality for libx264 / libvpx-vp9 (lower is "
                       f"better; default {DEFAULT_CRF})")
    video.add_argument("--chunk", type=int, default=DEFAULT_CHUNK, help=f"frames per chunk (default "
                       f"{DEFAULT_CHUNK}); the output does not depend on it")
    video.add_argument("--rate", type=float, default=DEFAULT_RATE, help=f"frames per second of a folder of frames "
                       f"encoded as a video (default {DEFAULT_RATE})")


def is_clip_run(args: argparse.Namespace) -> bool:
    """A video in or out, or frames asked to be treated as a clip."""
    return (any(is_video(item) for item in args.inputs) or is_video(args.out)
            or getattr(args, "temporal", None) is not None or bool(args.stabilize))


@dataclass
class ClipJob:
    info: ClipInfo
    writer: ClipWriter | SequenceWriter

    def chunks(self, size: int) -> Frames:
        return read_sequence(self.info, size) if self.info.files else read_chunks(self.info.path, size)

    def sample(self, count: int) -> torch.Tensor:
        return sample_sequence(self.info, count) if self.info.files else sample_frames(self.info, count)


def check_clip_args(args: argparse.Namespace) -> ClipJob:
    """The clip's facts and its output, checked before any model loads."""
    if len(args.inputs) != 1:
        raise InputError("a clip is processed alone: give a single video file or folder of frames.")
    if args.chunk < 1:
        raise InputError(f"--chunk {args.chunk}: give at least 1 frame.")
    check_strength(args.stabilize)
    if args.stabilize:
        cv2()  # the video extra's OpenCV, asked for before any work
    source, target = Path(args.inputs[0]), Path(args.out)
    if is_sequence(source):
        info = probe_sequence(source, sequence_rate(args.rate))
    elif is_video(source):
        info = probe(source)
    else:
        raise InputError(f"{source} is neither a video file nor a folder of frames: a clip is one of those.")
    if target.suffix.lower() in IMAGE_SUFFIXES:
        raise InputError(f"--out {target}: a clip is written as a video file ({', '.join(VIDEO_SUFFIXES)}) or as a "
                         "folder of frames; give one of those.")
    if not is_video(target):
        return ClipJob(info, SequenceWriter(info, target, args.overwrite))
    check_output(source, target, args.overwrite)
    writer = ClipWriter(info, target, args.codec, args.crf)
    check_codec(writer.codec)
    return ClipJob(info, writer)


def clip_semantics(args: argparse.Namespace) -> tuple[str, str]:
    """(temporal, statistics) of a clip's translation, checked before any model loads."""
    temporal, statistics = args.temporal or "clip", args.statistics or "per_image"
    check_temporal(temporal, statistics, args.fit)
    return temporal, statistics


def translate_video(args: argparse.Namespace, generator, options: dict, job: ClipJob,
                    semantics: tuple[str, str]) -> int:
    temporal, statistics = semantics
    seed = 0 if args.dropout_seed is None else args.dropout_seed
    fixed = (clip_statistics(generator, job.sample(CLIP_SAMPLE), dropout_seed=seed, **options)
             if statistics == "clip" else None)

    def translated(frames: Frames) -> Frames:
        return translate_clip(generator, frames, temporal=temporal, statistics=statistics, dropout_seed=seed,
                              fixed=fixed, **options)

    return run_clip(args, job, translated, "translating", f"temporal {temporal}, statistics {statistics}")


def per_frame(process: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[Frames], Frames]:
    """A clip through a function of each frame alone (edges, colorize), in fixed groups of frames from the clip's
    start, so the chunking never changes what a batch computes."""
    return lambda frames: (process(group) for group in regrouped(frames, GROUP))


def run_clip(args: argparse.Namespace, job: ClipJob, process: Callable[[Frames], Frames], label: str,
             summary: str = "") -> int:
    """``process`` over the clip's chunks (smoothed with --stabilize), written as they come, with a progress bar."""
    info, writer = job.info, job.writer
    frames = stabilized(job.chunks(args.chunk), process, args.stabilize)
    started = time.perf_counter()
    with tqdm(total=info.frames, desc=label, unit="frame", file=sys.stderr) as bar:  # closed before any message
        try:
            with writer.open():
                for chunk in frames:
                    writer.write(chunk.expand(-1, 3, -1, -1) if chunk.shape[1] == 1 else chunk)
                    bar.update(len(chunk))
        except KeyboardInterrupt:
            stopped = True
        else:
            stopped = False
    if stopped:
        print(f"interrupted: {writer.stopped_note()}", file=sys.stderr)
        return 130
    rate = writer.written / max(time.perf_counter() - started, 1e-9)
    notes = [note for note in (summary, f"stabilize {args.stabilize:g}" if args.stabilize else "") if note]
    audio = " with its audio" if info.has_audio else ""
    print(f"wrote {writer.target}: {writer.written} frames, {info.width}x{info.height} at {float(info.rate):g} fps"
          f"{audio} ({rate:.1f} frames/s{''.join('; ' + note for note in notes)})")
    return 0
