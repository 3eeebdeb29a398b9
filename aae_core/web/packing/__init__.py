"""The packing panels: the compared models' held-out codes over the prior (AAE vs VAE)."""
