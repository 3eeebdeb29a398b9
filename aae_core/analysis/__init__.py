"""Analysis: measuring trained models, never training them.

Metrics (pure functions), the one evaluation protocol, AAE vs VAE comparisons, classification
and clustering reports, style vs label, decoding helpers for the explorer, sample quality, and
what each labelled part of a model holds. Imports only the base rooms (config, priors, nets,
losses, models, data, inference, errors), never training/, store/ or the command line.
"""
