"""The Watch page's component: the latent planes, diagram, digits and timeline (CCv2)."""
