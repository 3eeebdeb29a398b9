"""A recorded Watch it learn run: the session's own packets, kept in a JSON file.

A recording is what the Watch page's timeline replays, written down:
  {"format": "aae-watch-recording", "version": 1, "dataset", "steps",
   "meta": WatchSession.meta(), "packets": [packet, ...]}      (packets: packet.py's format)
`record_run` trains a fresh 2-D AAE headless (WatchSession, in the caller's thread) and
keeps a packet every steps/frames steps, each with its digit images and D's map; the
take-home page (ui/take_home) replays it with a timeline. `check_recording` is the one
gate for a recording read from a file: every field the browser decodes is checked for
type and length, so a hostile or truncated file gets one line, never a broken page.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
from pathlib import Path

from aae_core.errors import ConfigError

FORMAT, VERSION = "aae-watch-recording", 1
MAX_FRAMES = 60  # packets kept in a recording (the timeline's stops)
MAX_STEPS = 5000  # training steps a recording may span (seconds a 100 steps on a CPU)
MAX_FILE_BYTES = 8 * 1024 * 1024  # a recording file read back (60 packets are ~1.3 MB)
MAX_CODES, MAX_FIXED, PIXELS = 2000, 10, 784


def record_run(steps: int, frames: int = 40, *, dataset: str = "synthetic-digits",
               seed: int = 0, device: str = "cpu") -> dict:
    """Train a fresh Watch session's 2-D AAE for `steps` steps on `dataset`; a packet at
    step 0 and then every steps/(frames-1) steps (`frames` in all, at most MAX_FRAMES)."""
    from aae_core.watch.session import DATASETS, WatchConfig, WatchSession

    _check_whole("steps", steps, 1, MAX_STEPS)
    _check_whole("frames", frames, 2, MAX_FRAMES)
    if dataset not in DATASETS:
        raise ConfigError(f"dataset must be one of {', '.join(DATASETS)}, got {dataset!r}")
    frames = min(frames, steps + 1)
    session = WatchSession(WatchConfig(dataset=dataset, packets_per_s=0, device=device,
                                       seed=seed))
    try:
        packets = [session.snapshot_now("record")]
        done = 0
        for k in range(1, frames):
            target = round(k * steps / (frames - 1))
            session.run_for(target - done)
            done = target
            packets.append(session.snapshot_now("record"))
        return {"format": FORMAT, "version": VERSION, "dataset": dataset, "steps": steps,
                "meta": session.meta(), "packets": packets}
    finally:
        session.close()


def recording_bytes(recording: dict) -> bytes:
    return json.dumps(recording, separators=(",", ":")).encode("utf-8")


def read_recording(path) -> dict:
    """A recording file, checked (check_recording); one ConfigError line if it is not one."""
    path = Path(path)
    try:
        if not path.is_file():
            raise ConfigError(f"{path} is not a file (give a recording written by "
                              f"`python -m aae_core record-watch`)")
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise ConfigError(f"{path} has {size:,} bytes; a recording has at most "
                              f"{MAX_FILE_BYTES:,}")
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ConfigError(f"{path} is not a Watch recording (not JSON)") from None
    try:
        return check_recording(obj)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def check_recording(obj) -> dict:
    """`obj` if it is a recording whose every decoded field has its type and length."""
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise ConfigError("not a Watch recording (its format is not aae-watch-recording)")
    if obj.get("version") != VERSION:
        raise ConfigError(f"a Watch recording of version {obj.get('version')!r}; this "
                          f"program reads version {VERSION}")
    dataset = obj.get("dataset", "")
    if not isinstance(dataset, str) or len(dataset) > 80:
        raise ConfigError("the recording's dataset must be a name of at most 80 characters")
    _check_whole("steps", obj.get("steps", 0), 0, 10**9)
    meta, packets = obj.get("meta"), obj.get("packets")
    if not isinstance(meta, dict):
        raise ConfigError("the recording has no meta")
    n_codes, n_fixed = _check_meta(meta)
    if not isinstance(packets, list) or not 1 <= len(packets) <= MAX_FRAMES:
        raise ConfigError(f"a recording holds 1 to {MAX_FRAMES} packets")
    for i, packet in enumerate(packets):
        try:
            _check_packet(packet, meta, n_codes, n_fixed)
        except ConfigError as exc:
            raise ConfigError(f"packet {i}: {exc}") from None
    return obj


def _check_whole(name: str, value, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}")


def _b64_bytes(text, what: str, expected: int | None = None) -> int:
    """Length in bytes of the base64 `text`, which must be `expected` when given."""
    if not isinstance(text, str) or len(text) > 4 * MAX_FILE_BYTES // 3 + 4:
        raise ConfigError(f"{what} is not base64 text")
    try:
        n = len(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        raise ConfigError(f"{what} is not valid base64") from None
    if expected is not None and n != expected:
        raise ConfigError(f"{what} has {n} bytes, expected {expected}")
    return n


def _check_meta(meta: dict) -> tuple[int, int]:
    """(held-out codes, fixed digits) of a checked meta."""
    _check_whole("meta.grid", meta.get("grid"), 8, 96)
    _check_whole("meta.density_grid", meta.get("density_grid"), 8, 128)
    _check_whole("meta.pos_scale", meta.get("pos_scale"), 1, 32767)
    if meta.get("side") != 28:
        raise ConfigError("meta.side must be 28")
    n_codes = _b64_bytes(meta.get("labels"), "meta.labels")
    if not 1 <= n_codes <= MAX_CODES:
        raise ConfigError(f"meta.labels holds 1 to {MAX_CODES} labels")
    fixed = meta.get("fixed_labels")
    if not isinstance(fixed, list) or not 1 <= len(fixed) <= MAX_FIXED or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 256 for v in fixed):
        raise ConfigError(f"meta.fixed_labels must be 1 to {MAX_FIXED} labels")
    _b64_bytes(meta.get("originals"), "meta.originals", _image_bytes(len(fixed)))
    arrows = meta.get("arrow_idx")
    if not isinstance(arrows, list) or len(arrows) > n_codes or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v < n_codes for v in arrows):
        raise ConfigError("meta.arrow_idx must list held-out code indices")
    return n_codes, len(fixed)


def _image_bytes(n: int) -> int:
    return (n * PIXELS + 1) // 2  # two 4-bit pixels a byte


def _check_packet(packet, meta: dict, n_codes: int, n_fixed: int) -> None:
    if not isinstance(packet, dict):
        raise ConfigError("not an object")
    _check_whole("step", packet.get("step"), 0, 10**9)
    losses = packet.get("losses", {})
    if not isinstance(losses, dict) or len(losses) > 32 or not all(
            isinstance(k, str) and len(k) <= 40 and isinstance(v, (int, float))
            and not isinstance(v, bool) for k, v in losses.items()):
        raise ConfigError("losses must map names to numbers")
    view = packet.get("aae")
    if not isinstance(view, dict):
        raise ConfigError("no aae view")
    window = view.get("window")
    if not isinstance(window, list) or len(window) != 4 or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in window) or not (window[0] < window[1] and window[2] < window[3]):
        raise ConfigError("window must be [xmin, xmax, ymin, ymax] with min < max")
    _b64_bytes(view.get("codes"), "codes", 4 * n_codes)  # int16 x, y a code
    _b64_bytes(view.get("fixed_codes"), "fixed_codes", 4 * n_fixed)
    if _b64_bytes(view.get("prior"), "prior") % 4:
        raise ConfigError("prior must hold int16 (x, y) pairs")
    _b64_bytes(view.get("density"), "density", meta["density_grid"] ** 2)
    optional = {"heat": meta["grid"] ** 2, "recon": _image_bytes(n_fixed),
                "samples": _image_bytes(n_fixed), "arrows": 8 * len(meta["arrow_idx"])}
    for key, expected in optional.items():
        if view.get(key) is not None:
            _b64_bytes(view[key], key, expected)
