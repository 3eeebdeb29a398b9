"""Small English helpers for messages: the right article before a word or a number."""

from __future__ import annotations

# Names spoken letter by letter whose first letter sounds like a vowel ("an AAE", "an MNIST").
_VOWEL_SOUND_LETTERS = set("aefhilmnorsx")
_ACRONYMS = {"aae", "mmd", "mlp", "mnist", "fid", "rbf", "sgd", "vae", "wae", "gan"}


def a_or_an(word: str | int) -> str:
    """'an 8 x 8', 'a 30 x 30', 'an 11', 'an aae', 'a vae', 'an image' -> the article only.

    Numbers go by how they are read (8, 11, 18, 80s, 800s ... start with a vowel sound);
    model-family names (aae-*, vae-*) are read letter by letter; other words go by their
    first letter (good enough for the words this app builds messages from).
    """
    text = str(word).strip().lower()
    if not text:
        return "a"
    head = text.split()[0].split("-")[0].split("_")[0]
    if head.isdigit():
        n = int(head)
        while n >= 1000:
            n //= 1000
        return "an" if head.startswith("8") or n in (11, 18) else "a"
    if head in _ACRONYMS:
        return "an" if head[0] in _VOWEL_SOUND_LETTERS else "a"
    return "an" if head[0] in "aeio" else "a"


def with_article(word: str | int) -> str:
    """'an aae-mixture', 'a 30 x 30'."""
    return f"{a_or_an(word)} {word}"


def all_of(n: int) -> str:
    """'Both' for two, 'All 3' for more (the start of "... were trained on ...")."""
    return "Both" if n == 2 else f"All {n}"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 epoch', '2 epochs', '1,000 batches' (give `plural` where an s is wrong)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
