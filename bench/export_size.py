"""Take-home page: its size and build time for each shipped model (nothing is written).

    python -m bench.export_size [--model aae-mixture] [--rounds 3] [--watch-steps 300]

Records one Watch run of --watch-steps steps (timed: what `python -m aae_core export`
does first when given no recording), then builds each model's page --rounds times in
memory and prints, per model: the file's size in MB (the bound is aae_core.web.take_home's
MAX_PAGE_BYTES), the codes and replay frames it holds, the decoder's share of the bytes,
and the median build time.
"""

from __future__ import annotations

import json
import statistics
import time

from bench.args import CHECKPOINT, Whole, parser, run_script


def build_parser():
    p = parser("python -m bench.export_size", __doc__)
    p.add_argument("--model", type=CHECKPOINT, default=None,
                   help="one shipped or trained checkpoint (default: every shipped one)")
    p.add_argument("--rounds", type=Whole(1, 20), default=3)
    p.add_argument("--watch-steps", type=Whole(0, 5000), default=300,
                   help="steps of the recorded Watch run (0: no replay)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from aae_core.store import catalog
    from aae_core.store.checkpoints import load_checkpoint
    from aae_core.watch.recording import record_run
    from aae_core.web.take_home import MAX_PAGE_BYTES, build_take_home

    names = [args.model] if args.model else [
        e.name for e in catalog.entries() if e.source == "shipped" and e.config is not None]
    folders = {name: catalog.resolve(name) for name in names}  # a bad name: one line, exit 2
    recording, record_s = None, 0.0
    if args.watch_steps:
        start = time.perf_counter()
        recording = record_run(args.watch_steps, frames=min(40, args.watch_steps + 1))
        record_s = time.perf_counter() - start
    print(f"recorded Watch run: {args.watch_steps} steps in {record_s:.1f} s; page bound "
          f"{MAX_PAGE_BYTES / 1e6:.1f} MB")
    print(f"{'model':<24}{'MB':>7}{'codes':>7}{'frames':>8}{'decoder':>9}{'build s':>9}")
    for name, folder in folders.items():
        ckpt = load_checkpoint(folder)
        times = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            page = build_take_home(ckpt, title=name, recording=recording)
            times.append(time.perf_counter() - start)
        weights = sum(p.numel() for p in ckpt.model.decoder.parameters())
        share = len(json.dumps({"w": "x" * (weights * 4 * 4 // 3)})) / page.nbytes
        print(f"{name:<24}{page.nbytes / 1e6:>7.2f}{page.codes_shown:>7}"
              f"{page.replay_frames:>8}{share:>8.0%}{statistics.median(times):>9.2f}")
    return 0


if __name__ == "__main__":
    run_script(main)
