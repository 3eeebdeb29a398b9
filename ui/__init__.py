"""Streamlit-side helpers: cached loaders, the latent pad component, figure builders."""
