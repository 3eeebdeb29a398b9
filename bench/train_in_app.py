"""Training inside the app vs on the command line, and the app's responsiveness meanwhile.

1. Throughput (images/s) of one configuration trained three ways, in this process:
     cli      Trainer.run() in the main thread, torch's default threads (what
              `python -m aae_core train` does);
     cli-1t   the same with torch.set_num_threads(1);
     app      a ServerRun of the run service (the Train page's path): a background
              thread that sets torch to --app-threads threads (default 1, as the app).
   Each figure is the trainer's own images/s over the whole run (steps x batch / wall time,
   per-epoch checkpoints included), median of --repeats runs, interleaved.
   1b. Stop: seconds from TrainingRun.stop() until the run has saved where it got to and
   its thread has ended, while it trains and while it is paused (median of --repeats).
2. Explore page responsiveness, idle vs while a run trains (target: active <= 2x idle):
     in-process  a full AppTest rerun of pages/1_Explore.py (server-side script time only),
                 with a ServerRun training in the same process or not;
     browser     `streamlit run app.py` + headless chromium: the time from pressing R on the
                 Explore page until the browser hears the rerun has finished (script time +
                 websocket + the frontend applying the deltas; Plotly's own drawing after
                 that is not counted). "active" starts a run from the Train page in a second
                 tab of the same browser (its panel polls every second), then measures again
                 with that tab closed (the run goes on: runs belong to the server).
3. (2c) Training throughput inside the server with nothing else running: one run watched
   on the Train page (status every 1 s, charts every 5 s), one watched with the live
   charts switched off, one whose tab is closed right after Start (after a warm-up run;
   --repeats interleaved rounds).

    .venv/bin/python -m bench.train_in_app [--epochs 5] [--repeats 3] [--reruns 12]
                                           [--no-browser] [--no-throughput]
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import torch

from aae_core.config import APP_HIDDEN, ModelConfig, TrainConfig
from aae_core.data import load_dataset
from aae_core.training.train import RunState, make_trainer
from bench.args import MAX_THREADS, Whole, parser, run_script
from bench.browser import REPO_ROOT

BATCH = 100


def configs(epochs: int) -> tuple[ModelConfig, TrainConfig]:
    """The Train page's defaults: aae, gaussian 2-D prior, 256-256 networks, batch 100."""
    return (ModelConfig(hidden=APP_HIDDEN, disc_hidden=APP_HIDDEN),
            TrainConfig(dataset="synthetic-digits", epochs=epochs, batch_size=BATCH,
                        log_every=10, device="cpu"))


def run_cli(epochs: int, out: Path, threads: int | None) -> float:
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        model_cfg, train_cfg = configs(epochs)
        return make_trainer(model_cfg, train_cfg, out_dir=out).run().images_per_s
    finally:
        torch.set_num_threads(before)


def run_app(epochs: int, name: str) -> float:
    from aae_core.training.runs import RunService

    registry = RunService(max_runs=1)
    model_cfg, train_cfg = configs(epochs)
    run = registry.start("bench", model_cfg, train_cfg, name)
    run.thread.join()
    p = run.progress()
    assert p.state == RunState.FINISHED, p.message
    return p.images_per_s


def throughput(epochs: int, repeats: int) -> None:
    print(f"\n1. throughput: aae 2-D, hidden 256-256, batch {BATCH}, synthetic digits "
          f"(4000 images), {epochs} epochs; torch default threads {torch.get_num_threads()}")
    results: dict[str, list[float]] = {"cli": [], "cli-1t": [], "app": []}
    for r in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["AAE_RUNS_DIR"] = tmp
            results["cli"].append(run_cli(epochs, Path(tmp) / "cli", None))
            results["cli-1t"].append(run_cli(epochs, Path(tmp) / "cli1", 1))
            results["app"].append(run_app(epochs, f"app{r}"))
        print(f"   round {r + 1}: " + ", ".join(f"{k} {v[-1]:,.0f}" for k, v in results.items()))
    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"   {'path':<8} {'images/s (median)':>18} {'app / path':>11}")
    for k, v in med.items():
        print(f"   {k:<8} {v:>18,.0f} {med['app'] / v:>11.2f}")


def _stop_seconds(out: Path, pause_first: bool) -> float:
    """Seconds from TrainingRun.stop() until the worker has saved and ended."""
    from aae_core.training.train import TrainingRun

    model_cfg, train_cfg = configs(1000)
    run = TrainingRun(make_trainer(model_cfg, train_cfg, out_dir=out)).start()
    _wait(lambda: run.progress().step >= 3)
    if pause_first:
        run.pause()
        _wait(lambda: run.progress().state == RunState.PAUSED)
    t0 = time.perf_counter()
    p = run.stop(timeout=60)
    seconds = time.perf_counter() - t0
    assert p.state == RunState.STOPPED and not run.alive, p.message
    return seconds


def _wait(condition, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the run did not get there in time")
        time.sleep(0.01)


def stop_latency(repeats: int) -> None:
    """How long Stop takes (the tests check that it saves at once, without evaluating)."""
    print(f"\n1b. stop: seconds from Stop until the run has saved and ended (median of {repeats})")
    for paused in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            times = [_stop_seconds(Path(tmp) / f"r{r}", paused) for r in range(repeats)]
        print(f"   {'paused' if paused else 'training':<9} {statistics.median(times):.3f} s "
              f"(max {max(times):.3f} s)")


def _explore_apptest(reruns: int) -> list[float]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=120)
    at.switch_page("pages/1_Explore.py")
    at.run()
    assert not at.exception, at.exception
    times = []
    for _ in range(reruns):
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
    return times


def _summary(times: list[float]) -> str:
    q = statistics.quantiles(times, n=10) if len(times) >= 2 else times
    return f"median {statistics.median(times) * 1e3:6.0f} ms, p90 {q[-1] * 1e3:6.0f} ms"


def prepare_model(runs: Path) -> None:
    """A small checkpoint for the Explore page to open (1 epoch, the app's defaults)."""
    model_cfg, train_cfg = configs(1)
    make_trainer(model_cfg, train_cfg, out_dir=runs / "a-bench-model").run()


def in_process(reruns: int) -> None:
    from aae_core.training.runs import RunService

    print(f"\n2a. Explore page, in-process AppTest full rerun ({reruns} reruns each)")
    idle = _explore_apptest(reruns)
    registry = RunService(max_runs=1)
    model_cfg, train_cfg = configs(1000)
    run = registry.start("bench", model_cfg, train_cfg, "zz-active")
    try:
        time.sleep(2)
        active = _explore_apptest(reruns)
        speed = run.progress().images_per_s
    finally:
        registry.stop_all()
    print(f"   idle    {_summary(idle)}")
    print(f"   active  {_summary(active)}   (the run trained at {speed:,.0f} images/s meanwhile)")
    print(f"   active / idle (median): {statistics.median(active) / statistics.median(idle):.2f}")


def _browser_reruns(page, reruns: int) -> list[float]:
    from bench.browser import DONE_JS, ELAPSED_JS, RERUN_JS

    times = []
    for _ in range(reruns):
        page.mouse.click(5, 5)  # focus the app, not an input (R reruns)
        page.evaluate(RERUN_JS)
        page.keyboard.press("r")
        page.wait_for_function(DONE_JS, timeout=60_000)
        times.append(page.evaluate(ELAPSED_JS) / 1e3)
        page.wait_for_timeout(300)
    return times


def in_browser(reruns: int, runs: Path, epochs: int, rounds: int) -> None:
    from playwright.sync_api import sync_playwright

    from bench.browser import launch_chromium, streamlit_server, wait_for_app_run

    print(f"\n2b. Explore page in headless chromium: press R -> rerun finished "
          f"({reruns} reruns each)")
    env = {"AAE_RUNS_DIR": str(runs), "AAE_MAX_RUNS": "1"}
    with streamlit_server("app.py", env=env) as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        explore = context.new_page()
        explore.goto(f"{url}/Explore")
        wait_for_app_run(explore, timeout=120_000)
        _browser_reruns(explore, 2)  # warm-up
        idle = _browser_reruns(explore, reruns)

        explore.close()  # 2c: the training alone, watched or not
        _served_run(context, url, runs, "warm-up", 2, keep_open=False)  # first-run costs
        served: dict[str, list[float]] = {"open": [], "quiet": [], "closed": []}
        for r in range(rounds):  # interleaved: the machine's other load drifts
            served["closed"].append(_served_run(context, url, runs, f"closed{r}", epochs,
                                                keep_open=False))
            served["open"].append(_served_run(context, url, runs, f"open{r}", epochs,
                                              keep_open=True))
            served["quiet"].append(_served_run(context, url, runs, f"quiet{r}", epochs,
                                               keep_open=True, live=False))

        explore = context.new_page()
        explore.goto(f"{url}/Explore")
        wait_for_app_run(explore, timeout=120_000)
        train = _start_from_page(context, url, "active", 1000)
        bar = train.get_by_test_id("stProgress").first
        active_open = _browser_reruns(explore, reruns)
        speed_open = bar.inner_text()
        train.close()  # the run goes on without its tab
        active_closed = _browser_reruns(explore, reruns)
        browser.close()
    print(f"   idle                    {_summary(idle)}")
    print(f"   active, Train tab open  {_summary(active_open)}")
    print(f"   active, Train tab shut  {_summary(active_closed)}")
    base = statistics.median(idle)
    print(f"   active / idle (median): tab open {statistics.median(active_open) / base:.2f}, "
          f"tab shut {statistics.median(active_closed) / base:.2f}")
    print(f"   the Train page read, meanwhile: {speed_open}")
    print(f"\n2c. training inside the server, {epochs} epochs, nothing else running: "
          f"images/s from the saved card (steps x batch / wall time), median of {rounds}")
    for key, label in (("open", "Train tab open, live charts"),
                       ("quiet", "Train tab open, charts switched off"),
                       ("closed", "Train tab closed after Start")):
        runs_s = ", ".join(f"{v:,.0f}" for v in served[key])
        print(f"   {label:<36} {statistics.median(served[key]):>7,.0f}   ({runs_s})")


def _start_from_page(context, url: str, name: str, epochs: int):
    """Open the Train page, start the app's default model on synthetic digits."""
    from bench.browser import wait_for_app_run

    page = context.new_page()
    page.goto(f"{url}/Train")
    wait_for_app_run(page, timeout=120_000)
    side = page.get_by_test_id("stSidebar")
    side.get_by_test_id("stSelectbox").filter(has_text="Dataset").click()
    page.get_by_role("option", name="synthetic-digits", exact=True).click()
    side.get_by_label("Epochs", exact=True).fill(str(epochs))
    side.get_by_label("Run name", exact=True).fill(name)
    side.get_by_role("button", name="Start training").click()
    page.wait_for_function("() => document.body.innerText.includes('images/s')",
                           timeout=60_000)
    return page


def _served_run(context, url: str, runs: Path, name: str, epochs: int, *,
                keep_open: bool, live: bool = True) -> float:
    """Images/s of one run trained by the server, its tab kept open (with or without the
    live charts) or closed at once."""
    import json

    page = _start_from_page(context, url, name, epochs)
    if not live:
        page.get_by_text("Refresh the charts every").click()
    if not keep_open:
        page.close()
    card_path = runs / name / "card.json"
    deadline = time.monotonic() + 600
    while True:  # the final save carries the metrics
        try:
            card = json.loads(card_path.read_text())
            if card.get("epochs") == epochs and card.get("metrics"):
                break
        except (OSError, ValueError):
            pass
        assert time.monotonic() < deadline, f"{name} did not finish"
        time.sleep(0.5)
    if keep_open:
        page.close()
    time.sleep(1.0)  # let the worker thread exit: the server allows one run at a time
    return card["steps"] * BATCH / card["wall_time_s"]


def build_parser():
    p = parser("python -m bench.train_in_app", __doc__)
    p.add_argument("--epochs", type=Whole(1, 1000), default=5)
    p.add_argument("--repeats", type=Whole(1, 20), default=3)
    p.add_argument("--reruns", type=Whole(1, 500), default=12)
    p.add_argument("--served-epochs", type=Whole(1, 1000), default=10)
    p.add_argument("--no-browser", action="store_true")
    p.add_argument("--no-throughput", action="store_true")
    p.add_argument("--app-threads", type=Whole(1, MAX_THREADS), default=1,
                   help="torch threads of the app's training worker (AAE_TRAIN_THREADS)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ["AAE_TRAIN_THREADS"] = str(args.app_threads)  # read by RunService, here and
    print(f"app worker: {args.app_threads} torch thread(s)")  # in the server it starts
    print(f"torch {torch.__version__}, {os.cpu_count()} cores, load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    load_dataset("synthetic-digits")  # drawn once, outside every timing
    if not args.no_throughput:
        throughput(args.epochs, args.repeats)
        stop_latency(args.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp) / "runs"
        os.environ["AAE_RUNS_DIR"] = str(runs)
        prepare_model(runs)
        in_process(args.reruns)
        if not args.no_browser:
            in_browser(args.reruns, runs, args.served_epochs, args.repeats)
    print(f"\nload average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    run_script(main)
