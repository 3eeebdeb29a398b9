"""Every bench script under hostile arguments: one line on stderr, exit 2, no traceback, and
nothing started (bench/args.py).

Each script runs in its own subprocess with a time limit. There, every option that takes
a value is given each value its validator refuses (`bad_values`), by running the module as
`python -m bench.NAME` runs it (runpy, `__name__ == "__main__"`); the cases the reliability
review found by hand (a billion seeds, 100,000 runs, an 8192^3 model, a missing data set)
run the same way. An option without a validator is a failure too: a new option must be
bounded before it can be merged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.stem for p in (ROOT / "bench").glob("*.py")
                 if '\nif __name__ == "__main__":' in p.read_text())  # the runnable ones
#: Words a subcommand's options need before them (a required positional).
BEFORE = {("experiments", ("run",)): ["run", "packing"]}
#: Found by hand: each was a traceback, a run until killed, or memory until the kernel killed.
BY_HAND = {
    "experiments": [["run", "packing", "--seeds", "1000000000", "--epochs", "1",
                     "--dataset", "synthetic-digits"],
                    ["run", "packing", "--only", "pack-nope"],
                    ["run", "all", "--only", "semi-100"]],  # not a run of every experiment
    "train_concurrency": [["--counts", "100000", "--seconds", "1"], ["--counts", "abc"],
                          ["--counts", "0"], ["--hidden", "8192,8192,8192"],
                          ["--device", "bogus"],
                          ["--counts", "16", "--hidden", "2048,2048"]],  # 16 big runs at once
    "memory_release": [["--hidden", "abc"], ["--hidden", "8192,8192,8192"]],
    "train_throughput": [["--models", "bogus"]],
    "ray_overhead": [["--runs", "0"]],
    "cold_start": [["--rounds", "0"]],
    "screenshots": [["--pages", "bogus"], ["--widths", "1024"]],
    "watch_learn": [["--dataset", "nope"], []],  # [] : mnist-10k without AAE_DATA_DIR
    "gpu_check": [["--hidden", "8192,8192,8192"]],
}

DRIVER = r"""
import contextlib, importlib, io, json, runpy, sys
from bench.args import bad_values, value_options

name, before, by_hand = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
module = importlib.import_module(f"bench.{name}")
cases, unchecked = [], []
for words in [*before.values(), []][:1]:  # the defaults pass their own checks
    with contextlib.redirect_stderr(io.StringIO()) as err:
        try:
            module.build_parser().parse_args(words)
        except SystemExit:
            unchecked.append(f"defaults refused: {err.getvalue().strip()}")
for command, action in value_options(module.build_parser()):
    words = before.get(" ".join(command), list(command))
    flag = [action.option_strings[-1]] if action.option_strings else []
    bad = list(bad_values(action))
    if not bad:
        unchecked.append(action.option_strings[-1] if flag else action.dest)
    # an option after the words its subcommand needs; a positional given the bad value
    cases += [[*words, *flag, value] if flag else [*command, value] for value in bad]
results = []
for argv in cases + by_hand:
    err = io.StringIO()
    sys.argv = [f"bench.{name}", *argv]
    sys.modules.pop(f"bench.{name}", None)  # run afresh, as `python -m` does
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            runpy.run_module(f"bench.{name}", run_name="__main__")
            code = 0
        except SystemExit as exc:
            code = exc.code
        except BaseException as exc:  # noqa: BLE001  (a traceback would have been shown)
            code, _ = "raised", err.write(f"Traceback: {type(exc).__name__}: {exc}\n")
    results.append({"argv": argv, "code": code, "stderr": err.getvalue()})
print(json.dumps({"unchecked": unchecked, "results": results}))
"""


def test_every_script_is_walked():
    assert len(SCRIPTS) >= 14 and "experiments" in SCRIPTS and "browser" not in SCRIPTS


@pytest.mark.slow  # a subprocess a script (torch imported in each)
@pytest.mark.parametrize("name", SCRIPTS)
def test_every_bad_argument_is_one_line_and_exit_2(name, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("AAE_DATA_DIR", "RAY_ADDRESS")}
    env |= {"AAE_CACHE_DIR": str(tmp_path / "cache"), "AAE_RUNS_DIR": str(tmp_path / "runs"),
            "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    before = {" ".join(c): words for (script, c), words in BEFORE.items() if script == name}
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, name, json.dumps(before),
         json.dumps(BY_HAND.get(name, []))],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["unchecked"] == [], f"options without a validator: {report['unchecked']}"
    # (or defaults that fail their own validator)
    assert len(report["results"]) >= len(BY_HAND.get(name, [])) + 1
    for case in report["results"]:
        err = case["stderr"]
        assert case["code"] == 2, case
        assert err.count("\n") == 1 and err.endswith("\n") and "Traceback" not in err, case
    assert not (tmp_path / "runs").exists()  # nothing trained, nothing written
