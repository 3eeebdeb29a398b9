"""aae_core/web/pad/payload.py: what the latent pad sends to the browser."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
import torch

from aae_core.web.pad.payload import decoder_payload, payload_nbytes, points_payload

MAX_APP_PAYLOAD = 2 * 1024 * 1024  # 2 MB for the app's default 2 -> 256 -> 256 -> 784


def mlp(widths: list[int], acts: list[str], seed: int = 0) -> list:
    torch.manual_seed(seed)
    lins = [torch.nn.Linear(i, o) for i, o in zip(widths[:-1], widths[1:], strict=True)]
    return [(lin.weight.detach(), lin.bias.detach(), a) for lin, a in zip(lins, acts, strict=True)]


APP_DECODER = ([2, 256, 256, 784], ["relu", "relu", "sigmoid"])


def payload_layers(payload: dict) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """The test's own reading of the wire format: [(W (out, in), b (out,), act)]."""
    layers = []
    for layer in payload["layers"]:
        w = np.frombuffer(base64.b64decode(layer["w"]), dtype="<f4")
        b = np.frombuffer(base64.b64decode(layer["b"]), dtype="<f4")
        layers.append((w.reshape(layer["out"], layer["in"]), b, layer["act"]))
    return layers


def test_round_trip_recovers_weights_exactly():
    layers = mlp([12, 64, 784], ["leaky_relu", "sigmoid"])
    payload = decoder_payload(layers, latent_dim=2, cond_dim=10)
    assert payload["latent_dim"] == 2 and payload["cond_dim"] == 10 and payload["side"] == 28
    assert [(lay["in"], lay["out"], lay["act"]) for lay in payload["layers"]] == [
        (12, 64, "leaky_relu"),
        (64, 784, "sigmoid"),
    ]
    for (w, b, act), (w2, b2, act2) in zip(layers, payload_layers(payload), strict=True):
        assert act == act2
        np.testing.assert_array_equal(w.numpy(), w2)
        np.testing.assert_array_equal(b.numpy(), b2)
    # the wire format itself: float32 little-endian, row-major (out, in)
    raw = np.frombuffer(base64.b64decode(payload["layers"][0]["w"]), dtype="<f4")
    np.testing.assert_array_equal(raw[:12], layers[0][0][0].numpy())


def test_payload_is_json_and_app_decoder_fits_in_2mb():
    payload = decoder_payload(mlp(*APP_DECODER), latent_dim=2, cond_dim=0)
    assert json.loads(json.dumps(payload)) == payload
    nbytes = payload_nbytes(payload)
    print(f"\n2-256-256-784 payload: {nbytes / 1e6:.3f} MB")
    assert nbytes <= MAX_APP_PAYLOAD


def test_id_follows_content():
    layers = mlp(*APP_DECODER)
    first = decoder_payload(layers, latent_dim=2, cond_dim=0)["id"]
    assert decoder_payload(layers, latent_dim=2, cond_dim=0)["id"] == first  # deterministic
    assert decoder_payload(mlp(*APP_DECODER), latent_dim=2, cond_dim=0)["id"] == first
    changed = [(w.clone(), b.clone(), a) for w, b, a in layers]
    changed[1][0][3, 5] += 1e-3
    assert decoder_payload(changed, latent_dim=2, cond_dim=0)["id"] != first
    other_act = [*layers[:2], (layers[2][0], layers[2][1], "tanh")]
    assert decoder_payload(other_act, latent_dim=2, cond_dim=0)["id"] != first
    assert len(first) == 16


def test_accepts_numpy_and_rejects_bad_shapes():
    layers = [(w.numpy(), b.numpy(), a) for w, b, a in mlp([2, 8, 784], ["relu", "sigmoid"])]
    assert decoder_payload(layers, latent_dim=2, cond_dim=0)["layers"][0]["out"] == 8
    with pytest.raises(ValueError, match="takes 2 inputs"):
        decoder_payload(layers, latent_dim=2, cond_dim=3)
    with pytest.raises(ValueError, match="unknown activation"):
        decoder_payload([(*layers[0][:2], "gelu"), layers[1]], latent_dim=2, cond_dim=0)
    with pytest.raises(ValueError, match="square image"):
        decoder_payload(mlp([2, 8, 780], ["relu", "sigmoid"]), latent_dim=2, cond_dim=0)
    with pytest.raises(ValueError, match="at least one layer"):
        decoder_payload([], latent_dim=2, cond_dim=0)


def test_points_payload_round_trip():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(500, 2))
    codes[7] = np.nan  # dropped
    labels = rng.integers(0, 10, size=500)
    p = points_payload(codes, labels)
    assert p["n"] == 499
    xy = np.frombuffer(base64.b64decode(p["xy"]), dtype="<f4").reshape(-1, 2)
    lab = np.frombuffer(base64.b64decode(p["labels"]), dtype=np.uint8)
    keep = np.arange(500) != 7
    np.testing.assert_array_equal(xy, codes[keep].astype(np.float32))
    np.testing.assert_array_equal(lab, labels[keep])
    assert points_payload(codes, labels)["id"] == p["id"]
    assert points_payload(codes, (labels + 1) % 10)["id"] != p["id"]
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        points_payload(codes[:, :1], labels)
