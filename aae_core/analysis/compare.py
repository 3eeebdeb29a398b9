"""AAE vs VAE (vs WAE-MMD) on one prior: the same metrics, a table, and a measured verdict.

The paper's claim (Makhzani et al. 2015, §2.1 and Fig. 2): with the same prior, the AAE's
codes fill the prior's shape while the VAE's leave gaps and emphasise modes. A VAE pulls
every q(z|x) towards p(z) (KL per example); an AAE matches the aggregate q(z) = E_x q(z|x)
to p(z) (adversarially). `verdict` checks the claim on measured numbers and says plainly
when they disagree with it.

Pure functions: numbers in, rows and sentences out (no streamlit).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from aae_core.analysis import metrics
from aae_core.analysis.evaluate import prior_match
from aae_core.inference import batched
from aae_core.models import MODELS, LatentModel
from aae_core.models.base import COMPARE_ADVERSARIAL, COMPARE_VARIATIONAL, COMPARE_WASSERSTEIN
from aae_core.priors import MixturePrior
from aae_core.words import all_of, count

#: Families compared, in column order (the registry's): model name -> display name. Which
#: models take part is each class's `comparison_role`.
FAMILIES = {name: cls.comparison_name for name, cls in MODELS.items() if cls.comparison_role}
_ROLE = {name: MODELS[name].comparison_role for name in FAMILIES}
_ROLE_NAME = {role: FAMILIES[name] for name, role in _ROLE.items()}
#: Priors every family supports (the VAE needs a density).
COMPARE_PRIORS = ("gaussian", "mixture")


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str  # "" or "%" (shown x 100)
    abs_tol: float  # differences within max(abs_tol, REL_TOL * size) count as a tie
    prior_fit: bool  # part of the "fills the prior" verdict
    help: str


REL_TOL = 0.05
METRICS = (
    Metric("prior_mmd", "MMD² to the prior (IMQ)", "", 2e-3, True,
           "kernel distance between codes and prior samples; 0 = indistinguishable"),
    Metric("sliced_wasserstein", "sliced Wasserstein-1", "", 0.02, True,
           "average earth-mover distance over 256 random 1-D projections, in code units"),
    Metric("holes", "holes (prior mass with no code nearby)", "%", 0.005, True,
           "share of 10,000 prior samples with no held-out code within 0.1 x the prior's "
           "RMS radius"),
    Metric("occupancy_tv", "component imbalance (TV from uniform)", "%", 0.01, True,
           "mixture only: half the summed |share of codes in component k - 1/K|; 0 = every "
           "component equally used"),
    Metric("occupancy_min", "emptiest component's share", "%", 0.005, False,
           "mixture only: share of codes in the least used component (1/K is ideal)"),
    Metric("recon_bce", "reconstruction BCE (nats/image)", "", 0.5, False,
           "held-out reconstruction error; lower is better"),
)
_BY_KEY = {m.key: m for m in METRICS}


@dataclass(frozen=True)
class ModelMetrics:
    """One model's numbers on one prior. `values` holds METRICS keys that apply."""

    name: str
    family: str
    values: dict
    n_codes: int
    codes_kind: str = "means"  # "means" (stored codes) or "samples" (one draw of q(z|x))
    recon_source: str = ""  # "card", "computed" or "" (not known)
    occupancy: tuple[float, ...] | None = None
    numbers_from: str = "measured"  # the prior-match figures: "measured" or "card" (from_card)

    def to_dict(self) -> dict:
        """JSON-able fields (kept on disk beside other per-checkpoint results)."""
        return {"name": self.name, "family": self.family, "values": dict(self.values),
                "n_codes": self.n_codes, "codes_kind": self.codes_kind,
                "recon_source": self.recon_source,
                "occupancy": None if self.occupancy is None else list(self.occupancy),
                "numbers_from": self.numbers_from}

    @classmethod
    def from_dict(cls, d: dict) -> ModelMetrics:
        """The inverse of to_dict; KeyError, TypeError or ValueError on a damaged record."""
        values = {str(k): float(v) for k, v in dict(d["values"]).items()}
        occupancy = d.get("occupancy")
        return cls(str(d["name"]), str(d["family"]), values, int(d["n_codes"]),
                   str(d["codes_kind"]), str(d["recon_source"]),
                   None if occupancy is None else tuple(float(v) for v in occupancy),
                   str(d.get("numbers_from", "measured")))


def candidates(entries: Iterable, prior_name: str) -> dict[str, list]:
    """Catalogue entries per family (FAMILIES order) trained with `prior_name` and a
    latent of at least 2 dims; shipped ones first, then the user's runs, by name."""
    out: dict[str, list] = {f: [] for f in FAMILIES}
    for e in entries:
        c = getattr(e, "config", None)
        if c is not None and c.model in out and c.prior.name == prior_name and c.latent_dim >= 2:
            out[c.model].append(e)
    for rows in out.values():
        rows.sort(key=lambda e: (e.source != "shipped", e.name))
    return out


def comparability_warnings(entries: Sequence) -> list[str]:
    """What differs between the chosen checkpoints beyond the family (each a short line)."""
    warnings = []
    checks = (
        ("prior settings", lambda e: tuple(sorted(e.config.prior.to_dict().items()))),
        ("latent size", lambda e: e.config.latent_dim),
        ("training data", lambda e: e.train.dataset if e.train else None),
        ("epochs", lambda e: e.train.epochs if e.train else None),
        ("batch size", lambda e: e.train.batch_size if e.train else None),
    )
    for what, get in checks:
        values = {e.name: get(e) for e in entries}
        if len(set(values.values())) > 1:
            shown = ", ".join(f"{n}: {_short(v)}" for n, v in values.items())
            warnings.append(f"The models differ in {what} ({shown}).")
    return warnings


def shared_budget(entries: Sequence) -> str | None:
    """"Both (All N) were trained on <data> for E epochs of batches of B." when the chosen
    checkpoints share one training budget, else None (comparability_warnings names it)."""
    budgets = {(e.train.dataset, e.train.epochs, e.train.batch_size) if e.train else None
               for e in entries}
    if len(budgets) != 1 or None in budgets or not entries:
        return None
    dataset, epochs, batch = budgets.pop()
    return (f"{all_of(len(entries))} were trained on {dataset} for {count(epochs, 'epoch')} of "
            f"batches of {batch}: the same budget.")


def _short(value) -> str:
    if isinstance(value, tuple):
        return " ".join(f"{k}={v}" for k, v in value if k != "name")
    return str(value)


def occupancy_tv(occupancy) -> float:
    """Total-variation distance of component shares (K,) from uniform 1/K: in [0, 1 - 1/K]."""
    occ = np.asarray(occupancy, dtype=np.float64)
    return float(0.5 * np.abs(occ - 1.0 / len(occ)).sum())


def measure(name: str, family: str, codes, prior, *, card_metrics: dict | None = None,
            recon: dict | None = None, codes_kind: str = "means", seed: int = 0) -> ModelMetrics:
    """Prior-match metrics of held-out codes (N, d) against `prior` (evaluate.prior_match,
    seed 0), with the reconstruction error from `recon` (computed) or else the model card."""
    codes_t = torch.as_tensor(np.asarray(codes, dtype=np.float32))
    pm = prior_match(codes_t, prior, seed=seed)
    values = {k: float(pm[k]) for k in ("prior_mmd", "sliced_wasserstein", "holes")}
    occupancy = None
    if "occupancy" in pm:
        occupancy = tuple(float(v) for v in pm["occupancy"])
        values["occupancy_tv"] = occupancy_tv(occupancy)
        values["occupancy_min"] = float(pm["occupancy_min"])
    source = ""
    card_metrics = card_metrics or {}
    if recon is not None:
        values["recon_bce"], source = float(recon["bce"]), "computed"
    elif isinstance(card_metrics.get("recon_bce"), (int, float)):
        values["recon_bce"], source = float(card_metrics["recon_bce"]), "card"
    return ModelMetrics(name, family, values, len(codes_t), codes_kind, source, occupancy)


def from_card(name: str, family: str, card: dict, n_codes: int, prior) -> ModelMetrics | None:
    """The numbers `measure` would give on the stored codes (their means), read from the
    model card instead, or None when the card cannot stand in for a measurement.

    Training saves the held-out codes and, beside them, evaluate.evaluate's figures of the
    same model: prior_match on those very codes at seed 0 (aae_core/training/train.py,
    `_save`). They are this protocol's numbers when they were computed on the CPU (prior
    samples differ slightly between devices) and every figure `measure` reports is there,
    the reconstruction error included; n_codes: how many codes are stored."""
    values_in = card.get("metrics") if isinstance(card, dict) else None
    if not isinstance(values_in, dict) or card.get("metrics_device") != "cpu":
        return None
    mixture = isinstance(prior, MixturePrior)
    keys = ("prior_mmd", "sliced_wasserstein", "holes", "recon_bce") + (
        ("occupancy_min",) if mixture else ())
    if not all(isinstance(values_in.get(k), (int, float)) and not isinstance(
            values_in.get(k), bool) and math.isfinite(values_in[k]) for k in keys):
        return None
    values = {k: float(values_in[k]) for k in keys}
    occupancy = None
    if mixture:
        shares = values_in.get("occupancy")
        if not isinstance(shares, list) or len(shares) != len(prior.means) or not all(
                isinstance(v, (int, float)) and math.isfinite(v) for v in shares):
            return None
        occupancy = tuple(float(v) for v in shares)
        values["occupancy_tv"] = occupancy_tv(occupancy)
    return ModelMetrics(name, family, values, int(n_codes), "means", "card", occupancy, "card")


def held_out_codes(model: LatentModel, x: torch.Tensor, *, sample: bool,
                   seed: int = 0) -> np.ndarray:
    """Codes (N, d) of images x (N, D): the encoder's mean, or one draw of q(z|x) per image
    (`sample=True`; same as the mean for deterministic encoders), seeded."""
    encode = (lambda xb: model.encoder(xb, sample=True)) if sample else model.encode
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return batched(encode, x, device=model.device).cpu().numpy()


def reconstruction(model: LatentModel, x: torch.Tensor) -> dict:
    """metrics.reconstruction_error of images x (N, D) through the model: {"bce", "mse"}."""
    return metrics.reconstruction_error(x, batched(model.reconstruct, x, device=model.device))


def _fmt(metric: Metric, value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    if metric.unit == "%":
        return f"{100 * value:.1f} %"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def metrics_table(results: Sequence[ModelMetrics]) -> list[dict]:
    """Rows for a table: one per metric that any model has; a column per model
    ("AAE · name") with formatted values, plus which side is better."""
    rows = []
    for m in METRICS:
        if not any(m.key in r.values for r in results):
            continue
        row = {"metric": m.label}
        for r in results:
            row[f"{FAMILIES.get(r.family, r.family)} · {r.name}"] = _fmt(m, r.values.get(m.key))
        row["better"] = "higher" if m.key == "occupancy_min" else "lower"
        rows.append(row)
    return rows


def _winner(metric: Metric, a: float, b: float) -> int:
    """+1 if a is better than b beyond tolerance, -1 if worse, 0 for a tie."""
    tol = max(metric.abs_tol, REL_TOL * max(abs(a), abs(b)))
    if abs(a - b) <= tol:
        return 0
    better_a = a > b if metric.key == "occupancy_min" else a < b
    return 1 if better_a else -1


@dataclass(frozen=True)
class Verdict:
    text: str  # the measured verdict, plain language
    agrees: bool | None  # with the paper's claim; None when it cannot be measured
    scores: dict  # metric key -> +1 (AAE better), -1 (VAE better), 0 (tie)
    details: tuple[str, ...] = ()  # extra sentences (WAE-MMD, reconstruction, caveats)


def _pair(metric: Metric, a: ModelMetrics, b: ModelMetrics, score: int) -> str:
    who = {1: "AAE better", -1: "VAE better", 0: "tie"}[score]
    return (f"{metric.label} {_fmt(metric, a.values[metric.key])} vs "
            f"{_fmt(metric, b.values[metric.key])} ({who})")


def verdict(results: Sequence[ModelMetrics], prior_name: str) -> Verdict:
    """Does the AAE fill the prior better than the VAE, on the prior-fit METRICS?

    Each metric is a win, a loss or a tie (difference within max(abs_tol, 5 %)). The claim
    holds when the AAE wins more metrics than it loses; it is contradicted when it loses
    more; a draw confirms nothing. The sentence quotes the numbers.
    """
    by = {_ROLE.get(r.family): r for r in results}  # role -> that family's numbers
    aae, vae = by.get(COMPARE_ADVERSARIAL), by.get(COMPARE_VARIATIONAL)
    if aae is None or vae is None:
        missing = " and ".join(_ROLE_NAME[role] for role in (COMPARE_ADVERSARIAL,
                                                             COMPARE_VARIATIONAL)
                               if role not in by)
        return Verdict(f"No verdict: there is no {missing} with the {prior_name} prior to "
                       "measure.", None, {})
    keys = [m for m in METRICS if m.prior_fit and m.key in aae.values and m.key in vae.values]
    scores = {m.key: _winner(m, aae.values[m.key], vae.values[m.key]) for m in keys}
    wins = sum(s > 0 for s in scores.values())
    losses = sum(s < 0 for s in scores.values())
    ties = len(keys) - wins - losses
    numbers = "; ".join(_pair(m, aae, vae, scores[m.key]) for m in keys)
    tally = f"{wins} of {len(keys)} prior-fit metrics" + (f" ({ties} tied)" if ties else "")
    where = f"the {prior_name} prior"
    if wins > losses:
        text = (f"Measured: the AAE fills {where} better than the VAE — it wins {tally}. "
                f"AAE vs VAE: {numbers}. This agrees with the paper's claim.")
        agrees = True
    elif losses > wins:
        text = (f"Measured: the VAE matches {where} better than the AAE here — the AAE wins "
                f"only {tally} and loses {losses}. AAE vs VAE: {numbers}. This disagrees "
                "with the paper's claim that the AAE fills the prior better.")
        agrees = False
    else:
        text = (f"Measured: no clear winner on {where} — the AAE wins {wins}, loses {losses} "
                f"and ties {ties}. AAE vs VAE: {numbers}. These numbers do not confirm the "
                "paper's claim that the AAE fills the prior better.")
        agrees = False
    return Verdict(text, agrees, scores, tuple(_details(by, keys, aae, vae)))


def _details(by: dict, keys: list[Metric], aae: ModelMetrics, vae: ModelMetrics) -> list[str]:
    out = []
    wae = by.get(COMPARE_WASSERSTEIN)
    if wae is not None:
        vs_aae = sum(_winner(m, wae.values[m.key], aae.values[m.key]) > 0 for m in keys)
        vs_vae = sum(_winner(m, wae.values[m.key], vae.values[m.key]) > 0 for m in keys)
        out.append(f"WAE-MMD beats the AAE on {vs_aae} and the VAE on {vs_vae} of the "
                   f"{len(keys)} prior-fit metrics.")
    recon = _BY_KEY["recon_bce"]
    have = [r for r in (aae, vae, wae) if r is not None and "recon_bce" in r.values]
    if len(have) >= 2:
        parts = ", ".join(f"{FAMILIES[r.family]} {_fmt(recon, r.values['recon_bce'])}"
                          for r in have)
        out.append(f"Reconstruction BCE (nats per image, lower is better): {parts}.")
    kinds = {r.codes_kind for r in (aae, vae)}
    if "means" in kinds:
        out.append("The VAE's codes here are the means of q(z|x); its aggregate posterior "
                   "also includes each code's spread.")
    return out
