"""Screenshots of the lecture's pages at a laptop, a projector and a phone size -> docs/.

    .venv/bin/python -m bench.screenshots [--pages home,style,...] [--widths 1920,1366,390]

One Streamlit server, one Chromium; each page is opened fresh at each size and captured
as the viewer sees it (the viewport, not the whole scroll height). A page with a focus
(FOCUS) whose focus lies below the window is captured a second time scrolled to it
(<page>-<width>-<name>.png). Prints the seconds each page took to be ready.
"""

from __future__ import annotations

import os
import time

from aae_core.paths import DEFAULT_MODEL
from bench.args import Names, parser, run_script
from bench.browser import (
    REPO_ROOT,
    launch_chromium,
    require_browser,
    streamlit_server,
    wait_for_app_run,
)

PAGES = {"home": "", "explore": f"Explore?model={DEFAULT_MODEL}",
         "style": "Style_vs_Label?model=aae-supervised",
         "aae-vs-vae": "AAE_vs_VAE?prior=mixture", "classify": "Classify_and_Cluster",
         "train": "Train"}
SIZES = ((1440, 900), (1280, 720), (390, 844))  # the default widths' viewports
VIEWPORTS = {1920: 1080, 1440: 900, 1366: 768, 1280: 720, 390: 844}  # width -> height
FOCUS = {"aae-vs-vae": ("panels", ".aae-packing-root")}  # page -> (name, what to scroll to)
PRESENTING = (1280, 720)  # the projector: pages that have a presentation mode open in it


def build_parser():
    p = parser("python -m bench.screenshots", __doc__, raw=True)
    p.add_argument("--pages", type=Names(tuple(PAGES)), default=tuple(PAGES))
    p.add_argument("--widths", type=Names(tuple(str(w) for w in VIEWPORTS)),
                   default=tuple(str(w) for w, _ in SIZES),
                   help="window widths (each with its height: 1920x1080, 1440x900, 1366x768, "
                        "1280x720, 390x844)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    require_browser()
    from playwright.sync_api import sync_playwright

    out = REPO_ROOT / "docs"
    out.mkdir(exist_ok=True)
    env = {}
    for shared in ("mnist-full", "mnist"):  # as tests/conftest.py
        folder = REPO_ROOT.parent / "shared" / "data" / shared
        if "AAE_DATA_DIR" not in os.environ and "AAE_DATA_DIR" not in env and folder.is_dir():
            env["AAE_DATA_DIR"] = str(folder)
    with streamlit_server("app.py", env=env) as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            for key in args.pages:
                for width, height in ((int(w), VIEWPORTS[int(w)]) for w in args.widths):
                    page = browser.new_page(viewport={"width": width, "height": height})
                    t0 = time.perf_counter()
                    present = "&present=1" if (width, height) == PRESENTING and \
                        key == "explore" else ""
                    page.goto(f"{url}/{PAGES[key]}{present}")
                    wait_for_app_run(page, timeout=180_000)
                    page.wait_for_timeout(1500)  # charts and images finish drawing
                    path = out / f"{key}-{width}.png"
                    page.screenshot(path=str(path))
                    print(f"{key:>10} {width}x{height}: ready in {time.perf_counter() - t0:.1f} s"
                          f" -> {path.relative_to(REPO_ROOT)}")
                    if key in FOCUS:
                        name, selector = FOCUS[key]
                        focus = page.locator(selector).first
                        box = focus.bounding_box()
                        if box is not None and box["y"] + box["height"] > height:
                            focus.scroll_into_view_if_needed()
                            page.wait_for_timeout(300)
                            extra = out / f"{key}-{width}-{name}.png"
                            page.screenshot(path=str(extra))
                            print(f"{'':>10} scrolled to the {name} -> "
                                  f"{extra.relative_to(REPO_ROOT)}")
                    page.close()
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    run_script(main)
