"""The model registry: one dict from the command-line name to the class.

Adding a model: write its class (one file here, its capabilities as class attributes of
LatentModel) and add its line to MODELS. ModelConfig learns the names and each model's
checks from `register_models` below, so aae_core.config never imports this package.
"""

from aae_core.config import register_models
from aae_core.models.aae import AAE, LabelRegularizedAAE, SupervisedAAE
from aae_core.models.base import LABEL_CLASS, LABEL_CLUSTER, LABEL_HEAD, Batch, LatentModel
from aae_core.models.semisup import ClusteringAAE, DimReductionAAE, SemiSupervisedAAE
from aae_core.models.vae import VAE
from aae_core.models.wae import WAEGAN, WAEMMD

MODELS: dict[str, type[LatentModel]] = {
    "aae": AAE,
    "aae-supervised": SupervisedAAE,
    "aae-label-regularized": LabelRegularizedAAE,
    "aae-semi-supervised": SemiSupervisedAAE,
    "aae-clustering": ClusteringAAE,
    "aae-dim-reduction": DimReductionAAE,
    "vae": VAE,
    "wae-mmd": WAEMMD,
    "wae-gan": WAEGAN,
}
register_models(MODELS)


def build_model(config) -> LatentModel:
    """ModelConfig -> a fresh model (config already validated on construction)."""
    return MODELS[config.model](config)


__all__ = ["LABEL_CLASS", "LABEL_CLUSTER", "LABEL_HEAD", "MODELS", "Batch", "LatentModel",
           "build_model"]
