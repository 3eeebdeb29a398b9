"""The bench scripts' command lines, checked before any work as the app's command line is:
a bad value is one line on stderr and exit 2, never a traceback, and every count a script
accepts (runs, seeds, rounds, epochs, layer sizes, sessions, ...) has an upper bound, so no
argument can make a benchmark take the machine's memory or run until it is killed.

Each value-taking option gets a validator from here as its `type` (or argparse `choices`);
each validator knows a few values it refuses (`bad`), which tests/test_bench_args.py feeds
to every option of every script. A script ends with

    if __name__ == "__main__":
        run_script(main)

where `main(argv)` builds its parser with `parser(...)` and returns an exit status.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aae_core.errors import AAEError, shown

EXIT_USAGE = 2

#: What a bench may ask for at most, whatever its own default.
MAX_EPOCHS = 10_000  # as `python -m aae_core train`
MAX_SECONDS = 3_600.0  # one measuring window, wait or budget
MAX_THREADS = 256  # torch threads or CPUs asked for


class Parser(argparse.ArgumentParser):
    """argparse with its errors in one line (not the usage block) and exit 2."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def parser(prog: str, doc: str | None, *, raw: bool = False) -> Parser:
    """A bench script's parser: `prog` as in `python -m bench.NAME`, the module's docstring
    as its help (whole with `raw`, else its first line)."""
    doc = doc or ""
    return Parser(prog=prog, description=doc if raw else doc.splitlines()[0],
                  formatter_class=argparse.RawDescriptionHelpFormatter if raw
                  else argparse.HelpFormatter)


def run_script(main: Callable[[list[str] | None], int | None],
               argv: list[str] | None = None) -> None:
    """Run a script's main and exit with its status. A bad input it finds after parsing
    (an AAEError or ValueError: a dataset that is not there, a model over the size limit)
    is one line and exit 2, as the command line's."""
    try:
        code = main(argv)
    except (AAEError, ValueError) as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        sys.stderr.write(f"error: {text}\n")
        code = EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        code = 130
    raise SystemExit(code or 0)


def _refuse(what: str, text: str) -> argparse.ArgumentTypeError:
    return argparse.ArgumentTypeError(f"expected {what}, got {shown(text)}")


@dataclass(frozen=True)
class Whole:
    """A whole number from `low` to `high`."""

    low: int
    high: int

    def __call__(self, text: str) -> int:
        what = f"a whole number from {self.low} to {self.high}"
        try:
            value = int(text)
        except (TypeError, ValueError):
            raise _refuse(what, text) from None
        if not self.low <= value <= self.high:
            raise _refuse(what, text)
        return value

    @property
    def bad(self) -> tuple[str, ...]:
        return ("abc", "1.5", str(self.low - 1), str(self.high + 1), "1" + "0" * 30)


@dataclass(frozen=True)
class Number:
    """A finite number from `low` to `high`."""

    low: float
    high: float

    def __call__(self, text: str) -> float:
        what = f"a number from {self.low:g} to {self.high:g}"
        try:
            value = float(text)
        except (TypeError, ValueError):
            raise _refuse(what, text) from None
        if not (math.isfinite(value) and self.low <= value <= self.high):
            raise _refuse(what, text)
        return value

    @property
    def bad(self) -> tuple[str, ...]:
        below = str(self.low - 1) if self.low > 0 else "-1"
        return ("abc", "nan", "inf", below, str(self.high * 10 + 1))


@dataclass(frozen=True)
class Wholes:
    """Comma-separated whole numbers ("1,4,8"), each from `low` to `high`, 1 to `most`."""

    low: int
    high: int
    most: int

    def __call__(self, text: str) -> tuple[int, ...]:
        what = (f"1 to {self.most} comma-separated whole numbers from {self.low} to "
                f"{self.high}")
        parts = str(text).split(",")
        if not 1 <= len(parts) <= self.most:
            raise _refuse(what, text)
        one = Whole(self.low, self.high)
        try:
            return tuple(one(p.strip()) for p in parts)
        except argparse.ArgumentTypeError:
            raise _refuse(what, text) from None

    @property
    def bad(self) -> tuple[str, ...]:
        return ("abc", "", "1,,2", str(self.low - 1), str(self.high + 1),
                ",".join([str(self.low)] * (self.most + 1)))


@dataclass(frozen=True)
class Pairs:
    """Comma-separated pairs "AxB" ("256x100,1000x100"), each number from `low` to `high`,
    1 to `most` pairs."""

    low: int
    high: int
    most: int

    def __call__(self, text: str) -> tuple[tuple[int, int], ...]:
        what = (f"1 to {self.most} comma-separated pairs like 256x100, each number from "
                f"{self.low} to {self.high}")
        parts = str(text).split(",")
        one = Whole(self.low, self.high)
        try:
            if not 1 <= len(parts) <= self.most:
                raise ValueError
            pairs = tuple(tuple(one(v.strip()) for v in p.split("x")) for p in parts)
        except (ValueError, argparse.ArgumentTypeError):
            raise _refuse(what, text) from None
        if any(len(p) != 2 for p in pairs):
            raise _refuse(what, text)
        return pairs

    @property
    def bad(self) -> tuple[str, ...]:
        return ("abc", "256", "256x", f"{self.high + 1}x100", "0x100",
                ",".join(["8x8"] * (self.most + 1)))


@dataclass(frozen=True)
class Names:
    """Comma-separated names, each one of `choices` (no repeats)."""

    choices: tuple[str, ...]

    def __call__(self, text: str) -> tuple[str, ...]:
        names = tuple(n.strip() for n in str(text).split(","))
        unknown = [n for n in names if n not in self.choices]
        if unknown or len(set(names)) != len(names):
            raise argparse.ArgumentTypeError(
                f"expected comma-separated names from {', '.join(self.choices)} (each once), "
                f"got {shown(text)}")
        return names

    @property
    def bad(self) -> tuple[str, ...]:
        return ("bogus", "", f"{self.choices[0]},{self.choices[0]}")


@dataclass(frozen=True)
class Pattern:
    """Text matching `regex` (a checkpoint name, a device, an address), described as `what`."""

    regex: str
    what: str
    bad_examples: tuple[str, ...]

    def __call__(self, text: str) -> str:
        if len(text) > 200 or not re.fullmatch(self.regex, text):
            raise _refuse(self.what, text)
        return text

    @property
    def bad(self) -> tuple[str, ...]:
        return self.bad_examples


#: A device name torch knows; whether it is there is checked by resolve_device (one line).
DEVICE = Pattern(r"auto|cpu|mps|cuda(:\d{1,2})?", "auto, cpu, mps, cuda or cuda:N",
                 ("bogus", "cuda:x", ""))
#: A checkpoint's folder name (aae_core.store.checkpoints.NAME_PATTERN's characters).
CHECKPOINT = Pattern(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}",
                     "a checkpoint name (letters, digits, '.', '_', '-'; at most 80)",
                     ("../etc", "a/b", "", "x" * 81))
#: A Ray cluster: "auto", host:port or ray://host:port.
RAY_ADDRESS = Pattern(r"auto|local|(ray://)?[A-Za-z0-9_.\-]{1,100}:\d{1,5}",
                      "a Ray address (auto, local, host:port or ray://host:port)",
                      ("not an address", "host", ""))


def value_options(p: argparse.ArgumentParser,
                  command: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], argparse.Action]]:
    """(subcommand, action) for each action that takes a value, the subcommands' included
    (for the tests: `command` is the words before the options, () without subcommands)."""
    out = []
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += value_options(sub, (*command, name))
        elif action.nargs != 0 and not isinstance(action, argparse._HelpAction):
            out.append((command, action))
    return out


def bad_values(action: argparse.Action) -> Sequence[str]:
    """Values the action refuses: its validator's, or a name outside its choices."""
    if action.choices is not None:
        return ("bogus",)
    return getattr(action.type, "bad", ())
