"""Watch a model learn: live snapshots of a 2-D AAE (and a VAE) for the Watch page.

fields.py   D's map on a lattice, the prior's contours, the pushes on codes
painted.py  the prior a student paints
packet.py   compact, JSON-able snapshot encoding
session.py  WatchSession: the training thread, controls, phase stepper, packet ring
broadcast.py  a session shared read-only by a link: the registry of shared runs
"""

from aae_core.watch.painted import PaintedPrior, mask_from_b64
from aae_core.watch.session import DATASETS, PHASES, SPEEDS, WatchConfig, WatchSession

__all__ = ["DATASETS", "PHASES", "SPEEDS", "PaintedPrior", "WatchConfig", "WatchSession",
           "mask_from_b64"]
