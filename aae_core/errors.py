"""One exception family, so every caller (CLI, app) can show one clear line.

Each error's message is written for the user: it says what was wrong and what to do.
"""


class AAEError(Exception):
    """Base class: anything the user can cause and fix."""


class ConfigError(AAEError, ValueError):
    """An impossible hyperparameter or an unknown name."""


class DataError(AAEError):
    """A dataset that cannot be found, downloaded or parsed."""


class CheckpointError(AAEError):
    """A checkpoint that is missing, corrupt, foreign or does not match its config."""


class WriteError(CheckpointError):
    """A checkpoint or output file that could not be written (a full or read-only disk)."""


class DivergenceError(AAEError):
    """A training run whose losses became NaN or infinite."""


class TrainingStopped(AAEError):
    """Raised inside the loop when the user asked the run to stop."""


def shown(value, limit: int = 60) -> str:
    """repr(value) cut to `limit` characters: a user's value quoted inside a one-line message
    (a config file may hold a megabyte where a number belongs)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
