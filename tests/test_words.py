"""Articles in messages: 'an 8 x 8', 'a 30 x 30', 'an aae', 'a vae'."""

import pytest

from aae_core import words
from aae_core.words import a_or_an, with_article


@pytest.mark.parametrize(("word", "article"), [
    (30, "a"), (8, "an"), (11, "an"), (18, "an"), (80, "an"), (15, "a"), (1, "a"),
    (11000, "an"), ("aae", "an"), ("aae-supervised", "an"), ("vae", "a"), ("wae-mmd", "a"),
    ("image", "an"), ("mixture", "a"), ("gaussian", "a"), ("MNIST", "an"), ("", "a"),
])
def test_the_article_follows_how_the_word_is_read(word, article):
    assert a_or_an(word) == article


def test_with_article():
    assert with_article("aae") == "an aae"
    assert with_article(30) == "a 30"


def test_all_of_and_count():
    assert (words.all_of(2), words.all_of(3)) == ("Both", "All 3")
    assert (words.count(1, "epoch"), words.count(2, "epoch")) == ("1 epoch", "2 epochs")
    assert words.count(1000, "batch", "batches") == "1,000 batches"
