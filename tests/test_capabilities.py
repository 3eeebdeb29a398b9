"""One concept, one place: a model's capabilities live on its class, and everything that
holds tensors moves with the model.

- No code outside aae_core/models asks for a model by its name (the source is scanned).
- The capabilities the pages and the trainer read say what each model does.
- Every prior (the user's and a model's internal categorical one) is a submodule: moving a
  model to another device moves every prior, buffer and sample with it. The `meta` device
  stands in for a GPU on a CPU-only machine: a tensor left behind stays on the CPU.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch

from aae_core.config import ModelConfig
from aae_core.models import LABEL_CLASS, LABEL_CLUSTER, LABEL_HEAD, MODELS, build_model
from aae_core.priors import PRIORS, CategoricalPrior, Prior, PriorSpec, build_prior

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ["aae_core", "ui", "pages", "app.py", "bench"]
MODEL_NAMES = frozenset(MODELS)
META = torch.device("meta")


# --- no model name is compared outside aae_core/models ---------------------------------


def _names_model(node: ast.AST) -> bool:
    """A model-name string literal, or a literal tuple/list/set/dict (keys) of model names
    only (a set of words that merely includes "aae" is not a list of models)."""
    if isinstance(node, ast.Constant):
        return node.value in MODEL_NAMES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return bool(node.elts) and all(_names_model(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return bool(node.keys) and all(k is not None and _names_model(k) for k in node.keys)
    return False


def _model_collections(tree: ast.Module) -> set[str]:
    """Module-level names bound to a literal collection of model names (STYLE_MODELS = ...)."""
    found = set()
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and \
                not isinstance(node.value, ast.Constant) and _names_model(node.value):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found |= {t.id for t in targets if isinstance(t, ast.Name)}
    return found


def name_questions(source: str, collections: set[str] = frozenset()) -> list[int]:
    """Line numbers where `source` compares something with a model name: `x == "vae"`,
    `x in ("aae", ...)`, `x in STYLE_MODELS`, or dispatches on a literal dict keyed by
    model names (`{"aae-clustering": f, ...}[name]`)."""
    tree = ast.parse(source)
    collections = set(collections) | _model_collections(tree)

    def refers(node) -> bool:
        name = node.id if isinstance(node, ast.Name) else \
            node.attr if isinstance(node, ast.Attribute) else None
        return _names_model(node) or name in collections

    def asks(node) -> bool:
        if isinstance(node, ast.Compare):
            return any(refers(op) for op in (node.left, *node.comparators))
        if isinstance(node, ast.Subscript):
            return isinstance(node.value, ast.Dict) and _names_model(node.value)
        if isinstance(node, ast.Match):
            return any(_names_model(getattr(c.pattern, "value", None)) for c in node.cases)
        return False

    return sorted(node.lineno for node in ast.walk(tree) if asks(node))


def scanned_files() -> list[Path]:
    files = []
    for entry in SCANNED:
        path = ROOT / entry
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [f for f in files if "aae_core/models" not in f.as_posix()]


def test_the_scan_finds_each_way_of_asking_by_name():
    asked = '''
STYLE = ("aae-supervised", "aae-semi-supervised")
if model.config.model == "aae-dim-reduction":
    pass
ok = name in ("vae", "wae-mmd")
ok = name in STYLE
ok = cfg.model not in style.STYLE
run = {"aae-clustering": f, "aae": g}[section]
'''
    assert name_questions(asked, {"STYLE"}) == [3, 5, 6, 7, 8]
    fine = '''
choices = list(MODELS)
run(["--model", "aae-clustering"])
ok = MODELS[name].has_classifier and name == picked
'''
    assert name_questions(fine) == []


def test_no_model_name_is_compared_outside_the_models():
    files = scanned_files()
    assert len(files) > 20  # the scan sees the tree
    trees = {f: f.read_text(encoding="utf-8") for f in files}
    shared = set().union(*(_model_collections(ast.parse(src)) for src in trees.values()))
    asked = [f"{f.relative_to(ROOT)}:{line}" for f, src in trees.items()
             for line in name_questions(src, shared)]
    assert not asked, "ask the model class instead: " + ", ".join(asked)


# --- what the capabilities say --------------------------------------------------------


def test_capabilities_say_what_each_model_does():
    by = {name: cls for name, cls in MODELS.items()}
    assert {n for n, c in by.items() if c.has_classifier} == {
        "aae-semi-supervised", "aae-clustering", "aae-dim-reduction"}
    assert [by[n].label_meaning for n in ("aae-semi-supervised", "aae-clustering",
                                          "aae-dim-reduction")] == [
        LABEL_CLASS, LABEL_CLUSTER, LABEL_HEAD]
    assert {n for n, c in by.items() if c.separates_style_from_label()} == {
        "aae-supervised", "aae-semi-supervised", "aae-label-regularized"}
    assert {n for n, c in by.items() if c.label_in_prior} == {"aae-label-regularized"}
    assert {n for n, c in by.items() if not c.has_adversary} == {"vae", "wae-mmd"}
    assert {n for n, c in by.items() if c.needs_labelled_examples} == {
        "aae-supervised", "aae-semi-supervised"}
    assert {n for n, c in by.items() if c.own_encoder is None} == {
        "aae", "aae-supervised", "aae-label-regularized", "wae-mmd", "wae-gan"}
    assert {n for n, c in by.items() if not c.codes_fill_prior_box} == {"aae-dim-reduction"}


@pytest.mark.parametrize("name", list(MODELS))
def test_parameter_count_matches_the_built_model(name):
    cls = MODELS[name]
    for prior in cls.supported_priors:
        cfg = ModelConfig(model=name, prior=PriorSpec(name=prior, dim=2), hidden=(24, 16),
                          disc_hidden=(8,), n_classes=7 if not cls.label_in_prior else 10)
        assert cls.parameter_count(cfg) == sum(p.numel() for p in build_model(cfg).parameters())


def test_building_a_model_draws_no_random_number():
    """Constructing configs and models must not shift a seeded run's random stream."""
    torch.manual_seed(0)
    state = torch.get_rng_state()
    for name, cls in MODELS.items():
        build_model(ModelConfig(model=name, prior=PriorSpec(name=cls.supported_priors[0])))
    torch.manual_seed(0)  # build_model's weight init draws: reseed and compare the config
    ModelConfig(model="wae-mmd")
    assert torch.equal(torch.get_rng_state(), state)


# --- everything that holds tensors moves with the model ---------------------------------

CASES = [(name, prior) for name, cls in MODELS.items() for prior in cls.supported_priors]


def priors_of(model) -> list[Prior]:
    return [m for m in model.modules() if isinstance(m, Prior)]


@pytest.mark.parametrize(("name", "prior"), CASES, ids=[f"{n}-{p}" for n, p in CASES])
@torch.no_grad()
def test_every_prior_buffer_and_sample_moves_with_the_model(name, prior):
    dim = 2 if prior == "swiss-roll" else 3
    model = build_model(ModelConfig(model=name, prior=PriorSpec(name=prior, dim=dim),
                                    hidden=(16,), disc_hidden=(8,)))
    # No prior hides outside the module tree (a plain attribute would not move).
    assert not [k for k, v in vars(model).items() if isinstance(v, Prior)]
    expected = 2 if model.has_classifier else 1  # + the categorical code's prior
    assert len(priors_of(model)) == expected

    model.to(META)
    tensors = [*model.parameters(), *model.buffers()]
    assert tensors and all(t.device == META for t in tensors)
    for p in priors_of(model):
        assert p.device == META
        assert p.sample(4).device == META
        if p.n_components:
            assert p.sample(4, labels=torch.arange(4) % p.n_components).device == META
    assert model.sample(3).shape == (3, 784) and model.sample(3).device == META
    if model.sample_parts:
        picked = model.sample(3, labels=torch.arange(3) % model.sample_parts)
        assert picked.device == META
    assert model.encode(torch.rand(2, 784, device=META)).device == META


def new_prior(name: str) -> Prior:
    return CategoricalPrior(10) if name == "categorical" else build_prior(PriorSpec(name=name))


@pytest.mark.parametrize("name", [*PRIORS, "categorical"])
def test_a_prior_samples_where_it_is(name):
    def draw(prior):
        return prior.sample(5, generator=torch.Generator().manual_seed(0))

    here = new_prior(name)
    assert here.device.type == "cpu" and torch.equal(draw(here), draw(new_prior(name)))
    moved = new_prior(name).to(META)
    assert all(b.device == META for b in moved.buffers())
    assert moved.device == META and moved.sample(5).device == META
    # A CPU generator still serves a prior elsewhere: the draw moves to the prior.
    assert draw(moved).device == META


def test_prior_buffers_are_not_saved_with_the_weights():
    """Priors are rebuilt from the config: their buffers stay out of state_dict, so old
    checkpoints load unchanged."""
    model = build_model(ModelConfig(model="aae-semi-supervised"))
    assert not [k for k in model.state_dict() if k.startswith(("prior.", "categorical."))]
