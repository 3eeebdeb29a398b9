"""The latent pad's browser code (assets.py) and what Python sends it (payload.py)."""
