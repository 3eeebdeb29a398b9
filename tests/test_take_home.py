"""The take-home page's builder, its recording and its command line (no browser here:
tests/test_take_home_browser.py drives the file in Chromium).

- Every shipped model's page fits the bound, reaches for nothing on a network and carries
  the pad's and the Watch component's own code.
- A page that would be too big drops replay frames until it fits; a decoder too big for
  any page is one clear error.
- A hostile checkpoint name or card text lands in the file as text, never as markup.
- `export` and `record-watch`: every bad input is one line and exit status 2, checked
  before any work; an existing file is replaced only with --overwrite.
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path

import pytest

from aae_core.cli import main
from aae_core.errors import ConfigError
from aae_core.store.checkpoints import load_checkpoint
from aae_core.watch.recording import check_recording, read_recording, record_run
from aae_core.web.pad import assets as pad_assets
from aae_core.web.take_home import MAX_PAGE_BYTES, build_take_home
from aae_core.web.watch import assets as watch_assets
from tests.helpers import HOSTILE_TITLE as HOSTILE
from tests.tiny_checkpoints import make_tiny

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(p for p in (ROOT / "checkpoints").iterdir() if (p / "config.json").exists())
NETWORK = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//|https?://|url\(\s*["']?\s*(?:https?:)?//""",
                     re.IGNORECASE)


@pytest.fixture(scope="module")
def recording() -> dict:
    """A short recorded Watch run (8 steps, 5 snapshots) on synthetic digits."""
    return record_run(8, 5)


def run_cli(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_model_makes_a_bounded_offline_page(folder, recording):
    page = build_take_home(load_checkpoint(folder), title=folder.name, recording=recording)
    assert page.nbytes <= MAX_PAGE_BYTES
    assert NETWORK.search(page.html) is None
    assert "default-src 'none'" in page.html  # the browser itself refuses any fetch
    # the pad's and the Watch component's own code, inlined whole (not a copy of it)
    assert pad_assets.JS in page.html and watch_assets.JS in page.html
    data = json.loads(re.search(r'id="th-data">(.*?)</script>', page.html, re.S).group(1))
    assert data["decoder"]["latent_dim"] == load_checkpoint(folder).model.latent_dim
    assert len(data["pool"]) > 0 and page.codes_shown > 0
    assert page.replay_frames == len(recording["packets"])


def test_a_page_too_big_drops_replay_frames_until_it_fits(recording):
    ckpt = load_checkpoint(ROOT / "checkpoints" / "aae-mixture")
    full = build_take_home(ckpt, title="m", recording=recording)
    without = build_take_home(ckpt, title="m", recording=None)
    assert full.replay_frames == 5 and without.replay_frames == 0
    limit = (full.nbytes + without.nbytes) // 2  # room for some frames, not all
    thinner = build_take_home(ckpt, title="m", recording=recording, max_bytes=limit)
    assert thinner.nbytes <= limit and 0 <= thinner.replay_frames < full.replay_frames
    with pytest.raises(ConfigError, match="more than the 0.5 MB a take-home page may hold"):
        build_take_home(ckpt, title="m", recording=recording, max_bytes=500_000)


def test_subsampled_codes_keep_their_held_out_numbers():
    import numpy as np

    from aae_core.web.take_home.build import model_data

    ckpt = load_checkpoint(ROOT / "checkpoints" / "aae-mixture")
    points = model_data(ckpt, title="m", max_codes=50)["points"]
    index = np.frombuffer(base64.b64decode(points["index"]), "<u4")
    assert points["n"] == 50 and index[0] == 0 and index[-1] == len(ckpt.codes) - 1
    xy = np.frombuffer(base64.b64decode(points["xy"]), "<f4").reshape(-1, 2)
    assert np.array_equal(xy, ckpt.codes.numpy()[index])  # a dot's number is its own


def test_hostile_name_and_card_text_stay_text(tmp_path):
    folder = make_tiny(tmp_path, "aae-supervised")
    card = json.loads((folder / "card.json").read_text())
    card |= {"dataset": HOSTILE, "class_names": [f"{HOSTILE}{k}"[-100:] for k in range(10)]}
    (folder / "card.json").write_text(json.dumps(card))
    page = build_take_home(load_checkpoint(folder), title=HOSTILE).html
    assert HOSTILE not in page and "<img" not in page and "<script>alert" not in page
    assert f"<h1 class=\"th-title\">{html.escape(HOSTILE)}</h1>" in page
    assert page.count("<script type=") == page.count("</script") == 4  # 2 JSON, 2 modules
    block = re.search(r'id="th-data">(.*?)</script>', page, re.S).group(1)
    assert "<" not in block and json.loads(block)["title"] == HOSTILE
    assert json.loads(block)["labels"][0].endswith("0")  # class names travel as data
    # "{{css}}" in the title stays those characters: a value is never searched again
    assert "&amp;amp;{{css}}" in page and page.count(pad_assets.CSS) == 1


def test_a_recording_round_trips_and_a_damaged_one_is_refused(recording, tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps(recording))
    assert read_recording(path)["packets"][-1]["step"] == 8
    with pytest.raises(ConfigError, match="dataset must be a name of at most 80"):
        check_recording({**recording, "dataset": "x" * 81})  # shown on the page: bounded
    damaged = json.loads(path.read_text())
    codes = base64.b64decode(damaged["packets"][2]["aae"]["codes"])
    damaged["packets"][2]["aae"]["codes"] = base64.b64encode(codes[:-4]).decode()
    with pytest.raises(ConfigError, match="packet 2: codes has .* bytes, expected"):
        check_recording(damaged)
    damaged["packets"] = []
    with pytest.raises(ConfigError, match="1 to 60 packets"):
        check_recording(damaged)
    for text, words in (("{", "not JSON"), ('{"format": "x"}', "not a Watch recording"),
                        ('{"format": "aae-watch-recording", "version": 9}', "version 9")):
        path.write_text(text)
        with pytest.raises(ConfigError, match=words):
            read_recording(path)


@pytest.mark.parametrize("argv, words", [
    (["export", "{ck}", "--out", "{tmp}/page.txt"], "ending in .html"),
    (["export", "{tmp}/missing", "--out", "{tmp}/page.html", "--watch-steps", "0"],
     "missing"),
    (["export", "{ck}", "--out", "{tmp}/no/such/page.html"], "does not exist"),
    (["export", "{ck}", "--out", "{ck}/page.html"], "inside the checkpoint"),
    (["export", "{ck}", "--out", "{tmp}/page.html", "--watch-steps", "-1"], "from 0 to 5000"),
    (["export", "{ck}", "--out", "{tmp}/page.html", "--watch-steps", "5",
      "--watch-recording", "{tmp}/bad.json"], "not both"),
    (["export", "{ck}", "--out", "{tmp}/page.html", "--watch-recording", "{tmp}/bad.json"],
     "not a Watch recording (not JSON)"),
    (["export", "{ck}", "--out", "{tmp}/page.html", "--watch-recording", "{tmp}"],
     "is not a file"),
    (["export", "{ck}", "--out", "{tmp}/page.html", "--watch-steps", "many"], "invalid int"),
    (["export", "{ck}"], "--out"),
    (["record-watch", "--out", "{tmp}/run.json", "--frames", "1"], "--frames must be"),
    (["record-watch", "--out", "{tmp}/run.json", "--steps", "0"], "--steps must be"),
    (["record-watch", "--out", "{tmp}/run.json", "--dataset", "cifar"], "dataset must be"),
    (["record-watch", "--out", "{tmp}/run.html"], "ending in .json"),
])
def test_export_bad_inputs_are_one_line_and_exit_2(argv, words, tmp_path, capsys):
    ck = make_tiny(tmp_path, "aae")
    (tmp_path / "bad.json").write_text("not json")
    argv = [a.format(ck=ck, tmp=tmp_path) for a in argv]
    assert run_cli(argv) == 2
    assert words in one_line_error(capsys)
    assert not (tmp_path / "page.html").exists() and not (tmp_path / "run.json").exists()


def test_export_never_replaces_a_file_unless_asked(tmp_path, capsys, recording):
    ck = make_tiny(tmp_path, "aae")
    run = tmp_path / "run.json"
    run.write_text(json.dumps(recording))
    out = tmp_path / "notes.html"
    out.write_text("my own notes")
    argv = ["export", str(ck), "--out", str(out), "--watch-recording", str(run)]
    assert run_cli(argv) == 2
    assert "already exists; give --overwrite" in one_line_error(capsys)
    assert out.read_text() == "my own notes"
    assert run_cli([*argv, "--overwrite"]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"wrote {out}: ") and "5 replay frames" in said
    assert 'id="th-replay-data">{' in out.read_text()
    link = tmp_path / "link.html"
    link.symlink_to(out)
    assert run_cli(["export", str(ck), "--out", str(link), "--overwrite",
                    "--watch-steps", "0"]) == 2
    assert "not a plain file" in one_line_error(capsys)


def test_record_watch_writes_a_recording_export_reads(tmp_path, capsys):
    run = tmp_path / "run.json"
    assert run_cli(["record-watch", "--out", str(run), "--steps", "6", "--frames", "3"]) == 0
    assert "3 snapshots of 6 steps" in capsys.readouterr().out
    assert [p["step"] for p in read_recording(run)["packets"]] == [0, 3, 6]
    assert run_cli(["record-watch", "--out", str(run), "--steps", "6"]) == 2
    assert "already exists" in one_line_error(capsys)


def test_explore_offers_the_page_and_builds_it_only_when_asked(monkeypatch):
    from streamlit.testing.v1 import AppTest

    from aae_core.paths import folder_stamp
    from ui.take_home import button

    calls = []
    monkeypatch.setattr(button, "build_take_home", lambda *a, **k: calls.append(k) or
                        build_take_home(*a, **k))
    monkeypatch.setattr(button, "RECORDED_STEPS", 6)
    monkeypatch.setattr(button, "_recording", [])
    monkeypatch.setattr(button, "_pages", type(button._pages)())
    at = AppTest.from_file(str(ROOT / "pages" / "1_Explore.py"), default_timeout=60)
    at.query_params["model"] = "aae-mixture"
    at.run()
    assert not at.exception, at.exception
    offered = [b for b in at.get("download_button") if b.proto.label == "Download as a web page"]
    assert len(offered) == 1 and not offered[0].proto.disabled
    assert calls == []  # showing the button built nothing
    folder = ROOT / "checkpoints" / "aae-mixture"
    page = button.take_home_bytes(str(folder), folder_stamp(folder), "aae-mixture")
    assert b"<h1 class=\"th-title\">aae-mixture</h1>" in page and len(page) <= MAX_PAGE_BYTES
    again = button.take_home_bytes(str(folder), folder_stamp(folder), "aae-mixture")
    assert again is page and len(calls) == 1  # built once, then kept
