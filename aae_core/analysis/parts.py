"""What each labelled part of a model mostly holds, measured on held-out digits.

"Component 3" of a mixture prior or "cluster 3" of the clustering AAE is a number the
model chose: nothing makes component 3 draw 3s. This module says which digit each part
mostly holds: every held-out digit is assigned to a part (the mixture component its code
sits in, the nearest cluster head, or the encoder's cluster), and each part is named by
the commonest true label among its digits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from aae_core.models import LABEL_CLUSTER, LABEL_HEAD, LatentModel


@dataclass(frozen=True)
class PartDigit:
    digit: int  # the commonest true label among the part's held-out digits; -1: none
    share: float  # its share of the part's digits (0 when empty)
    count: int  # held-out digits in the part


def majority_digits(parts: np.ndarray, labels: np.ndarray, n_parts: int) -> list[PartDigit]:
    """parts (N,) part index of each held-out digit, labels (N,) its true label."""
    parts, labels = np.asarray(parts, np.int64), np.asarray(labels, np.int64)
    out = []
    for k in range(n_parts):
        mine = labels[parts == k]
        if not len(mine):
            out.append(PartDigit(-1, 0.0, 0))
            continue
        counts = np.bincount(mine)
        out.append(PartDigit(int(counts.argmax()), float(counts.max() / len(mine)), len(mine)))
    return out


def part_of_held_out(model: LatentModel, codes: np.ndarray | None,
                     images: torch.Tensor | None = None) -> np.ndarray | None:
    """The part (N,) each held-out digit belongs to, or None when it cannot be told:
    cluster heads -> nearest head to the code; clusters -> the encoder's argmax over the
    images (needs them); a mixture / swiss-roll prior -> the component the code sits in."""
    from aae_core.analysis.style import component_of

    if model.label_meaning == LABEL_CLUSTER:
        if images is None:
            return None
        with torch.no_grad():
            return model.classify(images.to(model.device)).argmax(1).cpu().numpy()
    if codes is None:
        return None
    if model.label_meaning == LABEL_HEAD:
        heads = model.heads.detach().cpu().numpy().T  # (K, d)
        return ((codes[:, None, :] - heads[None]) ** 2).sum(-1).argmin(1)
    if model.prior.n_components:
        return component_of(codes, model.prior)
    return None


def part_names(word: str, digits: list[PartDigit], class_names) -> list[str]:
    """'component 3: mostly 9s (87 %)' for each part."""
    out = []
    for k, d in enumerate(digits):
        if d.digit < 0:
            out.append(f"{word} {k}: no held-out digit")
        else:
            out.append(f"{word} {k}: mostly {class_names[d.digit]}s ({d.share:.0%})")
    return out


def card_class_names(card: dict, n_classes: int, labels=None) -> list[str]:
    """The dataset's class names (the card's), else "0".."K-1" for K covering both the
    model's classes and every stored label (a clustering model may have fewer clusters
    than the data has classes: its codes are still coloured by their true class).
    labels: the stored held-out labels (N,) or None."""
    names = card.get("class_names")
    if names:
        return list(names)
    n = n_classes
    if labels is not None and len(labels):
        n = max(n, int(labels.max()) + 1)
    return [str(k) for k in range(n)]
