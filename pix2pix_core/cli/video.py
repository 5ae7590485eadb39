"""``pix2pix translate CLIP.mp4 --out OUT.mp4``: a clip translated frame by frame, streamed, without flicker."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tqdm import tqdm

from ..errors import InputError
from ..inference.clip import translate_clip
from ..inference.temporal import CLIP_STATISTICS, TEMPORAL
from ..video.files import (
    DEFAULT_CRF,
    ClipWriter,
    check_codec,
    check_output,
    is_video,
    partial_path,
    probe,
    read_chunks,
    sample_frames,
)
from ..video.flow import cv2
from ..video.stabilize import MAX_STRENGTH, check_strength, stabilized

DEFAULT_CHUNK = 16  # frames decoded, translated and encoded at a time: memory is flat in the clip's length
STATISTICS_SAMPLE = 16  # frames drawn across the clip for --statistics clip


def add_video_options(parser: argparse.ArgumentParser) -> None:
    video = parser.add_argument_group("video (an input clip: .mp4, .mov, .mkv, .webm, .avi; --out a clip too)")
    video.add_argument("--temporal", choices=TEMPORAL, default="clip",
                       help="clip (default): one dropout mask for every frame, no flicker from noise; frame: the "
                       "reference's test.py, fresh dropout per frame")
    video.add_argument("--stabilize", type=float, default=0.0, metavar="S",
                       help="flow-guided smoothing: blend each frame with the previous one warped along the input's "
                       f"optical flow, occlusions left alone (0 off, the default; up to {MAX_STRENGTH}; e.g. 0.5)")
    video.add_argument("--codec", help="encoder (default libx264; libvpx-vp9 for .webm)")
    video.add_argument("--crf", type=int, default=DEFAULT_CRF, help=f"quality for libx264 / libvpx-vp9 (lower is "
                       f"better; default {DEFAULT_CRF})")
    video.add_argument("--chunk", type=int, default=DEFAULT_CHUNK, help=f"frames per chunk (default "
                       f"{DEFAULT_CHUNK}); the output does not depend on it")


def is_video_run(args: argparse.Namespace) -> bool:
    return any(is_video(item) for item in args.inputs)


def check_video_args(args: argparse.Namespace) -> tuple:
    """The clip's facts and the output, checked before the model loads."""
    if len(args.inputs) != 1:
        raise InputError("translate one clip at a time: give a single video file (and --out a video file).")
    statistics = args.statistics or "per_image"
    if statistics not in CLIP_STATISTICS:
        raise InputError(f"--statistics {statistics}: a clip takes {', '.join(CLIP_STATISTICS)}.")
    if statistics == "clip" and args.temporal != "clip":
        raise InputError("--statistics clip (fixed over the clip) goes with --temporal clip.")
    if args.chunk < 1:
        raise InputError(f"--chunk {args.chunk}: give at least 1 frame.")
    if args.fit == "tiled" and statistics == "clip":
        raise InputError("--statistics clip and --fit tiled both set how tiles are normalised: choose one.")
    check_strength(args.stabilize)
    if args.stabilize:
        cv2()  # the video extra's OpenCV, asked for before any work
    source, target = Path(args.inputs[0]), Path(args.out)
    info = probe(source)
    check_output(source, target, args.overwrite)
    writer = ClipWriter(info, target, args.codec, args.crf)
    check_codec(writer.codec)
    return info, writer, statistics


def translate_video(args: argparse.Namespace, generator, options: dict, checked: tuple) -> int:
    info, writer, statistics = checked
    sample = sample_frames(info, STATISTICS_SAMPLE) if statistics == "clip" else None
    seed = 0 if args.dropout_seed is None else args.dropout_seed
    chunks = read_chunks(info.path, args.chunk)
    frames = stabilized(chunks, lambda frames: translate_clip(generator, frames, temporal=args.temporal,
                                                              statistics=statistics, dropout_seed=seed,
                                                              sample=sample, **options), args.stabilize)
    started = time.perf_counter()
    bar = tqdm(total=info.frames, desc="translating", unit="frame", file=sys.stderr)
    try:
        with writer.open():
            for chunk in frames:
                writer.write(chunk)
                bar.update(len(chunk))
    except KeyboardInterrupt:
        bar.close()
        print(f"interrupted: {writer.written} of {info.frames} frames are in {partial_path(writer.target)} "
              "(playable); nothing at --out", file=sys.stderr)
        return 130
    bar.close()
    rate = writer.written / max(time.perf_counter() - started, 1e-9)
    smoothing = f", stabilize {args.stabilize:g}" if args.stabilize else ""
    audio = " with its audio" if info.has_audio else ""
    print(f"wrote {writer.target}: {writer.written} frames, {info.width}x{info.height} at {float(info.rate):g} fps"
          f"{audio} ({rate:.1f} frames/s; temporal {args.temporal}, statistics {statistics}{smoothing})")
    return 0
