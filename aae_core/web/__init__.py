"""The browser side, without streamlit: the JS and CSS that run in a page, and the compact
JSON the Python side sends them.

  bundle.py    one inline JS module per component: the shared files, then its own
  shared_js/   code both components load (the base64 decoder, the axis ticks)
  pad/         the latent pad: its JS/CSS (assets.py) and payloads (payload.py)
  watch/       Watch it learn's planes, diagram, digit strips and timeline (assets.py)
  take_home/   the self-contained HTML page of a model (`python -m aae_core export`)

ui/pad and ui/watch mount these as Streamlit components; take_home inlines them into a file.
"""
