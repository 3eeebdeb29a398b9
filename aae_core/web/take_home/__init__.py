"""The take-home page: one self-contained HTML file of a model (build.py), no streamlit.

build.py   the builder: the pad's and the Watch component's browser code inlined, the
           model's payloads and a recorded Watch run as JSON, bounded in size
page.html  the page's skeleton; page.css its look
page.js    the pad, the label and the prior sampler (appended to the pad's module)
replay.js  the recorded run's timeline (appended to the Watch component's module)
"""

from aae_core.web.take_home.build import MAX_PAGE_BYTES, TakeHomePage, build_take_home

__all__ = ["MAX_PAGE_BYTES", "TakeHomePage", "build_take_home"]
