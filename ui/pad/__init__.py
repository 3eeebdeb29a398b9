"""The latent pad: drag z through a 2-D latent plane, decoded live in the browser.

The Streamlit side is here; the browser side has no streamlit and lives in aae_core/web/pad
(the take-home page inlines the same code):
  component.py                     mount, read the user's release  -> latent_pad, pad_ends
  aae_core/web/pad/payload.py      decoder weights, codes and densities as compact JSON
                                   -> *_payload
  aae_core/web/pad/assets.py       the browser side's files (js/*.js, pad.css), joined once
  aae_core/web/pad/js/             one job a file: decoder, cache, geometry, background,
                                   marker, input, legend, stats (opt-in test instrumentation),
                                   pad, motion, main (CCv2)
"""

from aae_core.web.pad.payload import (
    decoder_payload,
    density_payload,
    payload_nbytes,
    points_payload,
)

__all__ = ["decoder_payload", "density_payload", "latent_pad", "pad_ends", "payload_nbytes",
           "points_payload"]


def __getattr__(name: str):
    """latent_pad / pad_ends on first use, so payload users never import streamlit."""
    if name in ("latent_pad", "pad_ends"):
        from ui.pad import component

        return getattr(component, name)
    raise AttributeError(f"module 'ui.pad' has no attribute {name!r}")
