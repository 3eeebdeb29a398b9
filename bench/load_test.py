"""Load test on loopback: N concurrent browser sessions on the Explore page while the
server trains a model, each with its own z in the URL.

    .venv/bin/python -m bench.load_test [--sessions 20] [--model aae-gaussian] [--epochs 500]
                                        [--no-training] [--budget 170]
    .venv/bin/python -m bench.load_test --mode classroom [--sessions 20] [--probes 6]
                                        [--think 5] [--settle 30] [--budget 600]

--mode classroom: one user loads Explore --probes times in a fresh tab (real chromium), first
alone, then while --sessions other sessions sit on Explore and rerun it every --think
seconds; prints p50/p95 of each and the ratio. The crowd is lightweight by default
(--crowd ws: each student a websocket client speaking Streamlit's own protocol, so the
server does all of a session's work and the 2 cores are not spent on 20 page renders);
--crowd browser makes them chromium contexts instead.
The default mode (burst) is the following:

1. `streamlit run app.py` on 127.0.0.1 (bench.browser.streamlit_server), with a
   temporary AAE_RUNS_DIR.
2. One browser tab opens the Train page and starts a run on synthetic digits (the app's
   default model, --epochs epochs); the tab is then closed: the run belongs to the
   server and keeps one core busy for the whole test.
3. --sessions browser contexts (separate cookies, so separate Streamlit sessions) in one
   headless chromium open /Explore?model=<model>&z=<i*0.1-1>,0.5 all at once. For each:
   load = goto -> its own "z = (...)" text shown and the script idle; rerun = press R ->
   the browser hears the rerun has finished (all sessions press at the same time).
4. Isolation: every page shows exactly one z text, its own, after load and after the
   rerun. Health: /_stcore/health answers "ok" at the end.

Everything is bounded by --budget seconds (each wait has a deadline).

--mode broadcast: the lecturer's broadcast (aae_core/broadcast.py). A lecturer in
chromium opens Watch it learn, presses Play and shares the run; then, for each count in
--viewers (20,50,100 by default), that many websocket viewers open the shared link and
poll it as a browser's fragment timer does (at the interval the server asks for). Printed
for each count: the lecturer's updates a second (packets reaching its browser) against
alone, measured just before the viewers come (goal >= 0.8x), each viewer's lag behind the
run (receipt time - the newest packet's build time: p50, p95, max; goal: none over 2 s)
and the seconds between two answers of one viewer (its screen is about both behind),
the server's CPU seconds a second (its training thread's, and the rest's: so the rest's
a viewer), the load average and the server's health.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

from bench.args import (
    CHECKPOINT,
    MAX_EPOCHS,
    MAX_SECONDS,
    Number,
    Whole,
    Wholes,
    parser,
    run_script,
)
from bench.browser import (
    DONE_JS,
    ELAPSED_JS,
    RERUN_JS,
    healthy,
    launch_chromium,
    streamlit_server,
)

Z_TEXT = re.compile(r"z = \(([-0-9., ]+)\)")
IDLE_JS = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  return app && app.getAttribute('data-test-connection-state') === 'CONNECTED' &&
         app.getAttribute('data-test-script-state') === 'notRunning';
}"""
SHOWN_JS = """(want) => document.body.innerText.includes(want)"""


def z_of(i: int) -> tuple[float, float]:
    return round(i * 0.1 - 1, 1), 0.5


def z_text(z: tuple[float, float]) -> str:
    return f"z = ({z[0]:.3f}, {z[1]:.3f})"


def pct(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def start_training(context, url: str, epochs: int, deadline: float) -> str:
    """The Train page's Start button, default model, synthetic digits; returns the name."""
    page = await context.new_page()
    ms = lambda: max(1_000, (deadline - time.monotonic()) * 1e3)  # noqa: E731
    await page.goto(f"{url}/Train", timeout=ms())
    side = page.get_by_test_id("stSidebar")
    # the page is idle before its first run too: wait for the form, then for the run's end
    await side.get_by_role("button", name="Start training").wait_for(timeout=ms())
    await page.wait_for_function(IDLE_JS, timeout=ms())
    await side.get_by_test_id("stSelectbox").filter(has_text="Dataset").click()
    await page.keyboard.type("synthetic")  # the list is virtualised: filter it, then pick
    await page.get_by_role("option", name="synthetic-digits", exact=True).click()
    await side.get_by_label("Epochs", exact=True).fill(str(epochs))
    await side.get_by_label("Run name", exact=True).fill("load-bg")
    await side.get_by_role("button", name="Start training").click()
    await page.wait_for_function("() => document.body.innerText.includes('images/s')",
                                 timeout=ms())
    await page.close()  # the run goes on in the server
    return "load-bg"


async def session(browser, url: str, model: str, i: int, deadline: float,
                  go: asyncio.Event) -> dict:
    z = z_of(i)
    want = z_text(z)
    ms = lambda: max(1_000, (deadline - time.monotonic()) * 1e3)  # noqa: E731
    result: dict = {"i": i, "want": want, "error": None}
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await context.new_page()
    try:
        await go.wait()
        t0 = time.perf_counter()
        await page.goto(f"{url}/Explore?model={model}&z={z[0]},{z[1]}", timeout=ms())
        await page.wait_for_function(SHOWN_JS, arg=want, timeout=ms())
        await page.wait_for_function(IDLE_JS, timeout=ms())
        result["load_s"] = time.perf_counter() - t0
        result["seen_load"] = Z_TEXT.findall(await page.inner_text("body"))
        result["page"] = page
    except Exception as exc:  # one failed session is reported, not fatal
        result["error"] = f"load: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    return result


async def rerun(result: dict, deadline: float, go: asyncio.Event) -> None:
    page = result.get("page")
    if page is None:
        return
    ms = lambda: max(1_000, (deadline - time.monotonic()) * 1e3)  # noqa: E731
    try:
        await page.mouse.click(5, 5)  # focus the app, not an input (R reruns)
        await go.wait()
        await page.evaluate(RERUN_JS)
        await page.keyboard.press("r")
        await page.wait_for_function(DONE_JS, timeout=ms())
        result["rerun_s"] = await page.evaluate(ELAPSED_JS) / 1e3
        await page.wait_for_function(SHOWN_JS, arg=result["want"], timeout=ms())
        result["seen_rerun"] = Z_TEXT.findall(await page.inner_text("body"))
    except Exception as exc:
        result["error"] = f"rerun: {type(exc).__name__}: {str(exc).splitlines()[0]}"


async def main_async(args) -> int:
    from playwright.async_api import async_playwright

    t_start = time.monotonic()
    deadline = t_start + args.budget
    with tempfile.TemporaryDirectory() as runs:
        env = {"AAE_RUNS_DIR": runs, "AAE_MAX_RUNS": "1"}
        with streamlit_server("app.py", env=env, timeout=60) as url:
            print(f"server {url} up in {time.monotonic() - t_start:.1f}s")
            async with async_playwright() as pw:
                browser = await launch_chromium(pw)
                training = None
                if not args.no_training:
                    ctx = await browser.new_context()
                    try:
                        training = await start_training(ctx, url, args.epochs,
                                                        time.monotonic() + 60)
                        print(f"training run '{training}' started from the Train page "
                              f"({args.epochs} epochs, synthetic digits)")
                    except Exception as exc:
                        print(f"could not start training from the Train page: {exc}")
                go = asyncio.Event()
                tasks = [asyncio.create_task(session(browser, url, args.model, i, deadline, go))
                         for i in range(args.sessions)]
                await asyncio.sleep(0.5)  # contexts created; now open every page at once
                go.set()
                results = await asyncio.gather(*tasks)
                go2 = asyncio.Event()
                rtasks = [asyncio.create_task(rerun(r, deadline, go2)) for r in results]
                await asyncio.sleep(0.2)
                go2.set()
                await asyncio.gather(*rtasks)
                ok_health = healthy(url, timeout=5)
                card = Path(runs) / "load-bg" / "card.json"
                trained = None
                if card.exists():
                    import json
                    trained = json.loads(card.read_text()).get("epochs")
                await browser.close()

    loads = [r["load_s"] for r in results if "load_s" in r]
    reruns = [r["rerun_s"] for r in results if "rerun_s" in r]
    leaks, errors = [], [f"#{r['i']} {r['error']}" for r in results if r["error"]]
    for r in results:
        want = r["want"][5:-1]
        for key in ("seen_load", "seen_rerun"):
            if key in r and r[key] != [want]:
                leaks.append(f"#{r['i']} {key}: want [{want}], saw {r[key]}")
    n = args.sessions
    print(f"\nsessions: {n}, model {args.model}, "
          f"background training: {'yes' if training else 'no'}"
          + (f" ({trained} epochs saved by the end)" if training else ""))
    if loads:
        print(f"load  (goto -> own z shown, idle): n={len(loads)}  p50 {pct(loads, 50):.2f}s  "
              f"p95 {pct(loads, 95):.2f}s  max {max(loads):.2f}s")
    if reruns:
        print(f"rerun (R -> script finished):       n={len(reruns)}  p50 {pct(reruns, 50):.2f}s"
              f"  p95 {pct(reruns, 95):.2f}s  max {max(reruns):.2f}s")
    checked = sum(1 for r in results if "seen_rerun" in r)
    print(f"isolation: {'OK' if not leaks else 'LEAK'} ({checked}/{n} sessions checked "
          f"after load and rerun; each shows only its own z)")
    for line in leaks + errors:
        print("  ", line)
    print(f"health at the end: {'ok' if ok_health else 'NOT OK'}")
    print(f"total wall time: {time.monotonic() - t_start:.1f}s")
    return 0 if ok_health and not leaks and not errors else 1



# --- classroom: one user's Explore load, alone and beside active sessions ----------------

LOADED_JS = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  return app && app.getAttribute('data-test-connection-state') === 'CONNECTED' &&
         app.getAttribute('data-test-script-state') === 'notRunning' &&
         document.body.innerText.includes('decoder over');
}"""


async def probe_loads(browser, url: str, model: str, n: int, deadline: float) -> list[float]:
    """`n` Explore loads in a row by one user (a fresh tab each: a new session), seconds
    from goto until the lattice is shown and the script is idle."""
    times = []
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    for _ in range(n):
        if time.monotonic() > deadline:
            break
        page = await context.new_page()
        t0 = time.perf_counter()
        try:
            await page.goto(f"{url}/Explore?model={model}", timeout=_ms(deadline))
            await page.wait_for_function(LOADED_JS, timeout=_ms(deadline))
            times.append(time.perf_counter() - t0)
        except Exception as exc:  # reported, not fatal: the figures say how many loads
            print(f"  probe load failed: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        await page.close()
    await context.close()
    return times


def _ms(deadline: float) -> float:
    return max(1_000, (deadline - time.monotonic()) * 1e3)


async def keep_rerunning(rerun, i: int, think_s: float, stop: asyncio.Event,
                         counts: list[int], deadline: float) -> None:
    """Session `i`, loaded: await rerun() every `think_s` seconds until stopped, counting
    the reruns; the sessions' first reruns are spread over one think time."""
    await asyncio.sleep(think_s * (i % 7) / 7)
    while not stop.is_set() and time.monotonic() < deadline:
        await rerun()
        counts[i] += 1
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), think_s)


async def active_session(browser, url: str, model: str, i: int, think_s: float,
                         stop: asyncio.Event, counts: list[int], deadline: float,
                         stagger_s: float = 1.5) -> None:
    """A student on Explore: loads it, then reruns it (R) every `think_s` seconds."""
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await context.new_page()
    z = z_of(i)
    try:
        await asyncio.sleep(i * stagger_s)  # students arrive one after another
        await page.goto(f"{url}/Explore?model={model}&z={z[0]},{z[1]}", timeout=_ms(deadline))
        await page.wait_for_function(LOADED_JS, timeout=_ms(deadline))
        await page.mouse.click(5, 5)  # focus the app, not an input (R reruns)

        async def rerun() -> None:
            await page.keyboard.press("r")
            await page.wait_for_function(LOADED_JS, timeout=_ms(deadline))

        await keep_rerunning(rerun, i, think_s, stop, counts, deadline)
    except Exception as exc:
        if not stop.is_set():
            print(f"  session #{i}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    finally:
        await context.close()


async def ws_session(url: str, model: str, i: int, think_s: float, stop: asyncio.Event,
                     counts: list[int], rerun_s: list[float], deadline: float,
                     stagger_s: float = 0.5) -> None:
    """A student on Explore at the protocol level: a websocket session that runs the page
    with its own z, then reruns it every `think_s` seconds, reading every message the
    server sends (as a browser would) until the script has finished."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    z = z_of(i)
    msg = BackMsg()
    msg.rerun_script.query_string = f"model={model}&z={z[0]},{z[1]}"
    msg.rerun_script.page_name = "Explore"
    request = msg.SerializeToString()

    async def run_once(ws) -> None:
        t0 = time.perf_counter()
        await ws.send(request)
        while True:
            raw = await asyncio.wait_for(ws.recv(), max(1.0, deadline - time.monotonic()))
            reply = ForwardMsg()
            reply.ParseFromString(raw)
            if reply.WhichOneof("type") == "script_finished":
                break
        rerun_s.append(time.perf_counter() - t0)

    try:
        await asyncio.sleep(i * stagger_s)  # students arrive one after another
        async with websockets.connect(url.replace("http", "ws", 1) + "/_stcore/stream",
                                      subprotocols=["streamlit"], max_size=None) as ws:
            await run_once(ws)  # the first load
            await keep_rerunning(lambda: run_once(ws), i, think_s, stop, counts, deadline)
    except Exception as exc:
        if not stop.is_set():
            print(f"  session #{i}: {type(exc).__name__}: {str(exc).splitlines()[0]}")


async def classroom(args) -> int:
    """Explore load p50/p95 for one user alone, then with --sessions active sessions."""
    from playwright.async_api import async_playwright

    t_start = time.monotonic()
    deadline = t_start + args.budget
    with tempfile.TemporaryDirectory() as runs, \
            streamlit_server("app.py", env={"AAE_RUNS_DIR": runs}, timeout=120) as url:
        print(f"server {url} up in {time.monotonic() - t_start:.1f}s")
        async with async_playwright() as pw:
            browser = await launch_chromium(pw)
            await probe_loads(browser, url, args.model, 1, deadline)  # warm caches
            alone = await probe_loads(browser, url, args.model, args.probes, deadline)
            stop, counts, rerun_s = asyncio.Event(), [0] * args.sessions, []
            if args.crowd == "ws":
                crowd = [asyncio.create_task(ws_session(
                    url, args.model, i, args.think, stop, counts, rerun_s, deadline))
                    for i in range(args.sessions)]
            else:
                crowd = [asyncio.create_task(active_session(
                    browser, url, args.model, i, args.think, stop, counts, deadline))
                    for i in range(args.sessions)]
            await asyncio.sleep(args.settle)  # the sessions loaded and rerunning
            print(f"  {sum(c > 0 for c in counts)}/{args.sessions} sessions have rerun at "
                  f"least once when the loaded probes start")
            t_busy = time.monotonic()
            loaded = await probe_loads(browser, url, args.model, args.probes, deadline)
            busy_s = time.monotonic() - t_busy
            reruns_before = sum(counts)
            stop.set()
            await asyncio.gather(*crowd)
            ok = healthy(url, timeout=10)
            await browser.close()
    print(f"\nExplore load ({args.model}), one user; {args.probes} loads each, fresh tab:")
    for label, values in (("alone", alone), (f"{args.sessions} sessions active", loaded)):
        if values:
            print(f"  {label:<22} n={len(values)}  p50 {pct(values, 50):.2f}s  "
                  f"p95 {pct(values, 95):.2f}s  max {max(values):.2f}s")
    if alone and loaded:
        print(f"  loaded / alone: p50 x{pct(loaded, 50) / pct(alone, 50):.2f}, "
              f"p95 x{pct(loaded, 95) / pct(alone, 95):.2f}  (goal: at most 2x)")
    print(f"  the {args.sessions} sessions reran {reruns_before} times in total while loading "
          f"({reruns_before / max(busy_s, 1e-9):.2f} reruns/s; each every {args.think:g}s "
          f"at most)")
    if rerun_s:
        print(f"  a crowd session's page run (request -> script finished, server side): "
              f"p50 {pct(rerun_s, 50):.2f}s, p95 {pct(rerun_s, 95):.2f}s over {len(rerun_s)}")
    print(f"health at the end: {'ok' if ok else 'NOT OK'}; "
          f"total wall time {time.monotonic() - t_start:.1f}s")
    return 0 if ok and alone and loaded else 1


# a packet's build time in the data (the packets travel as a JSON text: quotes escaped)
T_FIELD = re.compile(rb'\\?"t\\?": ?([0-9]{9,11}\.[0-9]+)')
T_KEYS = (b'\\"t\\":', b'"t":')


def newest_build_time(raw: bytes) -> float | None:
    """The build time of the last packet in a message (the newest: packets go in order),
    found from the end: the client must not spend the machine's CPU reading every byte."""
    at = max(raw.rfind(key) for key in T_KEYS)
    match = T_FIELD.match(raw, at) if at >= 0 else None
    return float(match.group(1)) if match else None


async def ws_viewer(url: str, token: str, stop: asyncio.Event, lags: list[float],
                    gaps: list[float], counts: list[int], i: int, deadline: float) -> None:
    """A student's tab on the shared link at the protocol level: it runs the page, then
    reruns its fragment every interval the server asks for (auto_rerun), as the browser's
    timer does, and notes how far behind the run each answer is (`lags`) and the seconds
    between two of its answers (`gaps`: its screen shows the run about a gap plus a lag
    behind)."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    def request(fragment: str | None = None) -> bytes:
        msg = BackMsg()
        msg.rerun_script.query_string = f"watch={token}"
        msg.rerun_script.page_name = "Watch_it_learn"
        if fragment:
            msg.rerun_script.fragment_id = fragment
            msg.rerun_script.is_auto_rerun = True
        return msg.SerializeToString()

    fragment, interval, answered = None, 1.0, None
    try:
        async with websockets.connect(url.replace("http", "ws", 1) + "/_stcore/stream",
                                      subprotocols=["streamlit"], max_size=None) as ws:
            await ws.send(request())
            next_poll = None
            while not stop.is_set() and time.monotonic() < deadline:
                timeout = 0.2 if next_poll is None else max(0.01, next_poll - time.monotonic())
                try:
                    raw = await asyncio.wait_for(ws.recv(), timeout)
                except asyncio.TimeoutError:
                    raw = None
                if raw is not None:
                    if len(raw) < 2000:  # the fragment's timer (again when it changes)
                        reply = ForwardMsg()
                        reply.ParseFromString(raw)
                        if reply.WhichOneof("type") == "auto_rerun":
                            fragment = reply.auto_rerun.fragment_id
                            interval = reply.auto_rerun.interval or 1.0
                            next_poll = time.monotonic() + interval
                    built = newest_build_time(raw)
                    if built is not None:
                        lags.append(time.time() - built)
                        counts[i] += 1
                        if answered is not None:
                            gaps.append(time.monotonic() - answered)
                        answered = time.monotonic()
                if next_poll is not None and time.monotonic() >= next_poll:
                    await ws.send(request(fragment))
                    next_poll += interval
    except Exception as exc:
        if not stop.is_set():
            print(f"  viewer #{i}: {type(exc).__name__}: {str(exc).splitlines()[0]}")


WATCH_RECEIVED_JS = "() => globalThis.__aaeWatch ? globalThis.__aaeWatch.received : 0"


async def lecturer_rate(page, seconds: float) -> float:
    """Packets reaching the lecturer's browser a second, over `seconds`."""
    before = await page.evaluate(WATCH_RECEIVED_JS)
    await asyncio.sleep(seconds)
    return (await page.evaluate(WATCH_RECEIVED_JS) - before) / seconds


def server_pid(url: str) -> int | None:
    """The process id of the Streamlit server listening at `url` (found by its --server.port
    in /proc), or None where /proc cannot tell."""
    port = url.rsplit(":", 1)[1]
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            args = cmdline.read_bytes().split(b"\0")
            if b"streamlit" in b" ".join(args) and b"--server.port" in args and \
                    args[args.index(b"--server.port") + 1] == port.encode():
                return int(cmdline.parent.name)
    return None


def _ticks(stat: Path) -> float:
    """User + system CPU seconds in a /proc .../stat file."""
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int | None) -> tuple[float, dict[str, float]]:
    """CPU seconds the process has used so far (all its threads, those ended included),
    and each of its live threads' by thread id; (0, {}) if unknown."""
    if pid is None:
        return 0.0, {}
    threads = {}
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            threads[stat.parent.name] = _ticks(stat)
    with contextlib.suppress(OSError, IndexError, ValueError):
        return _ticks(Path(f"/proc/{pid}/stat")), threads
    return 0.0, {}


async def measured(page, pid: int | None, seconds: float) -> dict:
    """Over `seconds`: the lecturer's updates a second; the server's CPU seconds a second,
    all of it and its busiest thread's (the lecturer's training thread: the viewers' script
    runs each have a short-lived thread of their own); this process's (the websocket
    viewers', on the same cores as the server); the load average."""
    (cpu0, threads0), t0, mine0 = cpu_seconds(pid), time.monotonic(), time.process_time()
    rate = await lecturer_rate(page, seconds)
    cpu1, threads1 = cpu_seconds(pid)
    wall = time.monotonic() - t0
    clients = (time.process_time() - mine0) / wall  # this process: the websocket viewers
    busiest = max((threads1[t] - threads0[t] for t in threads1.keys() & threads0.keys()),
                  default=0.0)
    return {"rate": rate, "cpu": (cpu1 - cpu0) / wall, "trainer_cpu": busiest / wall,
            "clients_cpu": clients,
            "load": os.getloadavg()[0]}  # the machine is shared: say how busy it was


async def broadcast(args) -> int:
    """The lecturer's updates a second beside each count of viewers, each against its rate
    alone measured just before (the machine is shared: its load drifts)."""
    from playwright.async_api import async_playwright

    t_start = time.monotonic()
    deadline = t_start + args.budget
    ms = lambda: max(1_000, (deadline - time.monotonic()) * 1e3)  # noqa: E731
    rows, ok = [], True
    with streamlit_server("app.py", timeout=120) as url:
        pid = server_pid(url)
        async with async_playwright() as pw:
            browser = await launch_chromium(pw)
            page = await browser.new_page(viewport={"width": 1600, "height": 1000})
            await page.add_init_script("globalThis.__aaeWatchStats = true;")
            await page.goto(f"{url}/Watch_it_learn", timeout=ms())
            await page.wait_for_function(IDLE_JS, timeout=ms())
            await page.get_by_role("button", name="Play").click()
            await page.get_by_role("button", name="Share with the class").click()
            await page.get_by_text("Share this run, read-only").click()
            code = page.get_by_test_id("stCode").filter(has_text="watch=")
            await code.wait_for(timeout=ms())
            token = (await code.inner_text()).strip().split("watch=")[1]
            await page.keyboard.press("Escape")  # close the popover
            await asyncio.sleep(args.settle)
            for n in args.viewers:
                alone = await measured(page, pid, args.window)
                print(f"lecturer alone: {alone['rate']:.1f} updates/s, server {alone['cpu']:.2f}"
                      f" CPU s/s (its training thread {alone['trainer_cpu']:.2f}), load "
                      f"average {alone['load']:.1f}")
                stop, lags, gaps, counts = asyncio.Event(), [], [], [0] * n
                viewers = [asyncio.create_task(ws_viewer(url, token, stop, lags, gaps, counts, i,
                                                         deadline)) for i in range(n)]
                await asyncio.sleep(args.settle)
                lags.clear()
                gaps.clear()
                beside = await measured(page, pid, args.window)
                healthy_now = healthy(url, timeout=10)
                window_lags, window_gaps = list(lags), list(gaps)
                stop.set()
                await asyncio.gather(*viewers)
                served = sum(c > 0 for c in counts)
                rows.append((n, alone, beside, window_lags, window_gaps, served, healthy_now))
                ok = ok and healthy_now
                print(f"{n:>4} viewers ({served} answered): "
                      f"{row_text(alone, beside, window_lags, window_gaps, n)}; health "
                      f"{'ok' if healthy_now else 'NOT OK'}")
            await browser.close()
    print("\nLecturer's broadcast, Watch it learn (synthetic digits, 2x256, 'fast'); goals: "
          ">= 0.8x alone, no viewer over 2 s behind")
    for n, alone, beside, lags, gaps, served, healthy_now in rows:
        print(f"  {n:>4} viewers: {row_text(alone, beside, lags, gaps, n)}, {served}/{n} served, "
              f"health {'ok' if healthy_now else 'NOT OK'}")
    print(f"total wall time {time.monotonic() - t_start:.1f}s")
    return 0 if ok else 1


def row_text(alone: dict, beside: dict, lags: list[float], gaps: list[float], n: int) -> str:
    """One count's figures: the lecturer's rate against alone, the viewers' lag at receipt
    and the gaps between a viewer's answers, the server's CPU (the training thread's, the
    rest's, so the rest's a viewer), the load averages."""
    lag = (f"lag p50 {pct(lags, 50):.2f}s, p95 {pct(lags, 95):.2f}s, max {max(lags):.2f}s"
           if lags else "no answers")
    if gaps:
        lag += (f"; answered every p50 {pct(gaps, 50):.2f}s, p95 {pct(gaps, 95):.2f}s, max "
                f"{max(gaps):.2f}s")
    rest = beside["cpu"] - beside["trainer_cpu"], alone["cpu"] - alone["trainer_cpu"]
    return (f"lecturer {beside['rate']:.1f} vs {alone['rate']:.1f} updates/s alone "
            f"({beside['rate'] / max(alone['rate'], 1e-9):.2f}x); {lag}; server CPU s/s: "
            f"training thread {beside['trainer_cpu']:.2f} vs {alone['trainer_cpu']:.2f}, the "
            f"rest {rest[0]:.2f} vs {rest[1]:.2f} ({1e3 * (rest[0] - rest[1]) / n:.1f} ms a "
            f"viewer-second); the viewers' clients {beside['clients_cpu']:.2f}; load average "
            f"{beside['load']:.1f} (alone {alone['load']:.1f})")


def build_parser():
    p = parser("python -m bench.load_test", __doc__)
    p.add_argument("--sessions", type=Whole(1, 40), default=20,
                   help="sessions at once (each a browser page with --crowd browser)")
    p.add_argument("--model", type=CHECKPOINT, default="aae-gaussian")
    p.add_argument("--epochs", type=Whole(1, MAX_EPOCHS), default=500)
    p.add_argument("--no-training", action="store_true")
    p.add_argument("--budget", type=Number(1, MAX_SECONDS), default=170.0,
                   help="seconds for the whole test (every wait has this deadline)")
    p.add_argument("--mode", choices=("burst", "classroom", "broadcast"), default="burst",
                   help="burst: every session at once, beside a training run; "
                        "classroom: one user's loads alone vs beside active sessions; "
                        "broadcast: the lecturer's shared Watch run and its viewers")
    p.add_argument("--viewers", type=Wholes(1, 150, 6), default=(20, 50, 100),
                   help="broadcast: the counts of viewers, one after another")
    p.add_argument("--window", type=Number(1, 600), default=15.0,
                   help="broadcast: seconds each rate is measured over")
    p.add_argument("--crowd", choices=("ws", "browser"), default="ws",
                   help="classroom: the other sessions as websocket clients or browsers")
    p.add_argument("--probes", type=Whole(1, 100), default=6, help="classroom: loads measured")
    p.add_argument("--think", type=Number(0, 600), default=5.0,
                   help="classroom: seconds between one session's reruns")
    p.add_argument("--settle", type=Number(0, 600), default=30.0,
                   help="classroom: seconds for the sessions to load before measuring")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    modes = {"classroom": classroom, "broadcast": broadcast, "burst": main_async}
    return asyncio.run(modes[args.mode](args))


if __name__ == "__main__":
    run_script(main)
