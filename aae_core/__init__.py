"""aae_core: adversarial autoencoders and their comparisons (VAE, WAE), without any UI."""

__version__ = "0.1.0"
