"""The browser harness shared by the browser tests and the benchmarks: a headless
Streamlit server, Debian's chromium through Playwright, and JavaScript probes that time a
script rerun in the page.

    from bench.browser import streamlit_server, launch_chromium, wait_for_app_run

Plain playwright.sync_api (not the pytest-playwright fixtures), so tests, benchmarks and
ad-hoc scripts drive the browser the same way. Tests call `require_browser()` first: it
skips with a clear reason when chromium or playwright is missing; benchmarks print
`browser_skip_reason()` instead. Server logs and screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS_DIR = REPO_ROOT / "tests" / "artifacts"
CHROMIUM_PATH = os.environ.get("AAE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests run as root
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def browser_skip_reason() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if not (Path(CHROMIUM_PATH).exists() or shutil.which(CHROMIUM_PATH)):
        return (
            f"chromium not found at {CHROMIUM_PATH} (apt-get install chromium, or set AAE_CHROMIUM)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    return None


def require_browser() -> None:
    """pytest.skip with the reason when no browser can be driven."""
    import pytest

    reason = browser_skip_reason()
    if reason:
        pytest.skip(reason)


def launch_chromium(playwright: Any, **kwargs: Any) -> Any:
    """A headless Debian chromium Browser from a sync_playwright() instance."""
    args = [*CHROMIUM_ARGS, *kwargs.pop("args", [])]
    return playwright.chromium.launch(
        executable_path=CHROMIUM_PATH, headless=True, args=args, **kwargs
    )


def enable_pad_stats(page: Any) -> Any:
    """Turn on the latent pad's test instrumentation (window.__aaePad[key]) for every page
    this Playwright page loads from now on; the pad does no bookkeeping without it."""
    page.add_init_script("globalThis.__aaePadStats = true;")
    return page


def enable_watch_stats(page: Any) -> Any:
    """Turn on Watch it learn's test instrumentation (globalThis.__aaeWatch) for every page
    this Playwright page loads from now on; the Watch does no bookkeeping without it."""
    page.add_init_script("globalThis.__aaeWatchStats = true;")
    return page


def free_port() -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str, timeout: float = 2) -> bool:
    """True when the Streamlit server at url answers its health check with "ok"."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except OSError:
        return False


@contextlib.contextmanager
def streamlit_server(
    script: str | Path,
    *,
    port: int | None = None,
    timeout: float = 90.0,
    extra_args: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """Run `streamlit run script` headless; yield its base URL; stop it afterwards.

    The repository root is the working directory and is put on PYTHONPATH, so apps can
    `import ui` / `import aae_core`. Server output goes to tests/artifacts/<script>.log.
    """
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    script = Path(script)
    if not script.is_absolute():
        script = REPO_ROOT / script
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        *(extra_args or []),
    ]
    run_env = {**os.environ, **(env or {})}
    run_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), run_env.get("PYTHONPATH", "")) if p
    )
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS_DIR / ".gitignore").write_text("*\n")
    log_path = ARTIFACTS_DIR / f"{script.stem}.server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=run_env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + timeout
            while not healthy(url):
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited with {proc.returncode}; see {log_path}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"streamlit not healthy in {timeout:.0f}s; see {log_path}")
                time.sleep(0.25)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def wait_for_app_run(page: Any, timeout: float = 30_000) -> None:
    """Wait until the app is connected, its script has finished and nothing is loading.

    Streamlit's own e2e recipe (e2e_playwright/conftest.py: wait_for_app_run).
    """
    page.wait_for_selector("[data-testid='stAppViewContainer']", timeout=timeout)
    page.wait_for_timeout(210)
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=timeout
    )
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout
    )
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout)
    page.wait_for_timeout(100)


def wait_until(fn: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll fn() until it returns something truthy; return it (TimeoutError otherwise)."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s (last value {value!r})")
        time.sleep(interval)


def artifact_path(name: str) -> Path:
    """tests/artifacts/<name> (the folder is created, and ignored by git)."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS_DIR / ".gitignore").write_text("*\n")
    return ARTIFACTS_DIR / name


# Timing one script rerun in the page: evaluate RERUN_JS, trigger the rerun, wait for
# DONE_JS, then ELAPSED_JS gives the milliseconds until the script state went back to idle.
RERUN_JS = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  window.__states = [];
  if (!window.__observer) {
    window.__observer = new MutationObserver(() => window.__states.push(
        [performance.now(), app.getAttribute('data-test-script-state')]));
    window.__observer.observe(app, {attributes: true,
                                    attributeFilter: ['data-test-script-state']});
  }
  window.__t0 = performance.now();
}"""
# a fast rerun can go rerunRequested -> notRunning without 'running' ever being rendered
DONE_JS = """() => window.__states.some(s => s[1] !== 'notRunning') &&
    window.__states[window.__states.length - 1][1] === 'notRunning'"""
ELAPSED_JS = """() => window.__states[window.__states.length - 1][0] - window.__t0"""
