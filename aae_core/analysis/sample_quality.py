"""Sample quality without an Inception network: a small MNIST-style classifier as the judge.

FID (Heusel et al. 2017) compares the Gaussian statistics of two image sets in the feature
space of Inception-v3. There is no Inception for 28 x 28 digits on an offline CPU, so this
module trains its own judge: an MLP classifier on the dataset's *training* split, whose last
hidden layer gives the features. Its numbers are comparable between models judged by the
same classifier (same data, same seed), never with published FIDs.

- `frechet_distance(a, b)`: ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^1/2) of two
  feature sets (N, F).
- `train_judge(x, y)`: the classifier, seeded and deterministic on a CPU.
- `judge_samples(judge, samples, reference)`: {"fd": FD to the reference images,
  "confidence": mean top-class probability of the samples (blurry, in-between digits score
  low), "class_spread": total variation distance of the predicted classes from uniform}.
"""

from __future__ import annotations

import os

import torch
import torch.nn.functional as F
from torch import nn

from aae_core.errors import ConfigError

JUDGE_HIDDEN = 256


class Judge(nn.Module):
    """(B, 784) -> logits (B, K); `features` gives the (B, JUDGE_HIDDEN) last hidden layer."""

    def __init__(self, image_dim: int, n_classes: int, hidden: int = JUDGE_HIDDEN):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(image_dim, hidden), nn.ReLU(),
                                  nn.Linear(hidden, hidden), nn.ReLU())
        self.head = nn.Linear(hidden, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def train_judge(x: torch.Tensor, y: torch.Tensor, *, epochs: int = 8, seed: int = 0,
                batch_size: int = 100) -> Judge:
    """An MLP classifier on (N, D) images in [0, 1] and (N,) labels; eval mode on return.

    Light input noise (std 0.1) keeps it from keying on pixel-exact training digits.
    """
    if x.ndim != 2 or len(x) != len(y) or len(x) < batch_size:
        raise ConfigError(f"the judge needs (N, D) images and N >= {batch_size} labels, "
                          f"got {tuple(x.shape)} and {tuple(y.shape)}")
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):  # seeded weights, the caller's RNG untouched
        torch.manual_seed(seed)
        judge = Judge(x.shape[1], int(y.max()) + 1).to(x.device)
    opt = torch.optim.Adam(judge.parameters(), lr=1e-3)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen).to(x.device)
        for start in range(0, len(x) - batch_size + 1, batch_size):
            idx = order[start:start + batch_size]
            noisy = x[idx] + 0.1 * torch.randn(x[idx].shape, generator=gen).to(x.device)
            loss = F.cross_entropy(judge(noisy), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return judge.eval()


def _sqrt_psd(m: torch.Tensor) -> torch.Tensor:
    vals, vecs = torch.linalg.eigh(m)
    return (vecs * vals.clamp_min(0).sqrt()) @ vecs.T


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to feature sets a (N, F) and b (M, F).

    Tr((S_a S_b)^1/2) is computed as Tr((S_a^1/2 S_b S_a^1/2)^1/2), which is symmetric and
    positive semi-definite, so an eigendecomposition suffices (float64 throughout).
    """
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or min(len(a), len(b)) < 2:
        raise ConfigError(f"feature sets must be (N, F) with N >= 2 and the same F, got "
                          f"{tuple(a.shape)} and {tuple(b.shape)}")
    a, b = a.double(), b.double()
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    root_a = _sqrt_psd(cov_a)
    cross = _sqrt_psd(root_a @ cov_b @ root_a)
    value = (mu_a - mu_b).pow(2).sum() + cov_a.trace() + cov_b.trace() - 2 * cross.trace()
    return float(value.clamp_min(0))


@torch.no_grad()
def judge_samples(judge: Judge, samples: torch.Tensor, reference: torch.Tensor) -> dict:
    """Sample quality of (N, D) samples against (M, D) real held-out images."""
    probs = F.softmax(judge(samples), dim=1)
    share = torch.bincount(probs.argmax(1), minlength=probs.shape[1]).double() / len(samples)
    return {"fd": frechet_distance(judge.features(samples), judge.features(reference)),
            "confidence": float(probs.max(1).values.mean()),
            "class_spread": float(0.5 * (share - 1 / probs.shape[1]).abs().sum())}


def judge_stem(name: str, epochs: int = 4, seed: int = 0) -> str:
    """A judge's file name without suffix: <dataset>-e<epochs>-s<seed>."""
    return f"{name}-e{epochs}-s{seed}"


def stored_judge(name: str, cache_dir, *, epochs: int = 4, seed: int = 0, shipped_dir=None,
                 device: str | torch.device = "cpu") -> Judge | None:
    """The judge of dataset `name` from disk, without its images: the machine's cache
    (cache_dir/judges/<stem>.pt) first, then the one shipped with the project
    (shipped_dir/<stem>.safetensors, read only); None when neither loads. Its sizes are read
    off the stored weights (image pixels, classes)."""
    from pathlib import Path

    from safetensors.torch import load_file

    stem = judge_stem(name, epochs, seed)
    loaders = [lambda: torch.load(Path(cache_dir) / "judges" / f"{stem}.pt",
                                  map_location=device, weights_only=True)]
    if shipped_dir is not None:
        loaders.append(lambda: load_file(Path(shipped_dir) / f"{stem}.safetensors",
                                         device=str(device)))
    for load in loaders:
        try:
            state = load()
            image_dim, n_classes = state["body.0.weight"].shape[1], state["head.weight"].shape[0]
            judge = Judge(image_dim, n_classes).to(device)
            judge.load_state_dict(state)
            return judge.eval()
        except Exception:  # noqa: BLE001  missing, or corrupt in any way a file can be
            continue  # the next place
    return None


def cached_judge(name: str, x: torch.Tensor, y: torch.Tensor, cache_dir, *,
                 epochs: int = 4, seed: int = 0, shipped_dir=None) -> Judge:
    """The judge of dataset `name` (training images x (N, D), labels y (N,)): the stored
    one (`stored_judge`: the cache, then `shipped_dir`, so a first lecture does not wait),
    else trained once and kept as cache_dir/judges/<stem>.pt (training takes ~20 s on a busy
    2-core CPU for 8,000 images; loading, milliseconds). A file that does not load, or
    whose sizes do not fit the images, is trained anew."""
    from pathlib import Path

    stored = stored_judge(name, cache_dir, epochs=epochs, seed=seed, shipped_dir=shipped_dir,
                          device=x.device)
    if stored is not None and stored.body[0].in_features == x.shape[1] \
            and stored.head.out_features == int(y.max()) + 1:
        return stored
    judge = train_judge(x, y, epochs=epochs, seed=seed)
    path = Path(cache_dir) / "judges" / f"{judge_stem(name, epochs, seed)}.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.part")
    torch.save(judge.state_dict(), partial)
    os.replace(partial, path)  # atomic: a reader never sees half a file
    return judge
