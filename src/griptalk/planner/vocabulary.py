"""The words the planner understands for colours and object types, and their canonical names."""
from __future__ import annotations

COLORS = ("red", "green", "blue", "yellow", "orange", "purple", "pink", "white", "brown", "gray", "cyan")
OBJECT_TYPES = ("cube", "bowl", "box", "drawer", "duck", "mug", "lego")

COLOR_SYNONYMS = {"grey": "gray", "violet": "purple"}

TYPE_SYNONYMS = {
    "block": "cube",
    "container": "box",
    "tray": "box",
    "bin": "box",
    "crate": "box",
    "dish": "bowl",
    "cup": "mug",
    "brick": "lego",
    "duckie": "duck",
}

# Nouns that stand for "some object" without naming its type ("the red one").
GENERIC_NOUNS = ("one", "object", "thing", "item")

IRREGULAR_NAMES = {"box": "boxes"}


def canonical_color(word: str) -> str | None:
    word = COLOR_SYNONYMS.get(word, word)
    return word if word in COLORS else None


def canonical_type(word: str) -> str | None:
    word = TYPE_SYNONYMS.get(word, word)
    return word if word in OBJECT_TYPES else None


def plural(object_type: str) -> str:
    return IRREGULAR_NAMES.get(object_type, object_type + "s")


def join_or(items: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def join_and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
