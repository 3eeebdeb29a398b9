"""Watch it learn's browser code (assets.py)."""
