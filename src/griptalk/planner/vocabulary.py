"""The words the planner understands for colours and object types, and their canonical names."""
from __future__ import annotations

import difflib

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

IRREGULAR_NAMES = {"box": "boxes", "dish": "dishes"}
PLURAL_SYNONYMS = {"duckie": "duckies", "duck": "duckies"}

NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
           "ten": 10, "couple": 2, "pair": 2, "both": 2}

# Common words for the skills, to read a misspelt verb ("stakc", "plcae") as the one meant.
SKILL_VERBS = {"put": "put", "place": "put", "move": "put", "drop": "put", "insert": "put", "transfer": "put",
               "stack": "stack", "pile": "stack", "pick": "pick", "grab": "pick", "grasp": "pick", "lift": "pick",
               "open": "open", "close": "close", "shut": "close"}

# How close a misspelt word must be to a known one to be read as it (difflib's ratio).
TYPO_CUTOFF = 0.75


def canonical_color(word: str) -> str | None:
    word = COLOR_SYNONYMS.get(word, word)
    return word if word in COLORS else None


def canonical_type(word: str) -> str | None:
    word = TYPE_SYNONYMS.get(word, word)
    return word if word in OBJECT_TYPES else None


def closest_color(word: str) -> str | None:
    """The colour a possibly misspelt word names ("gren" -> green), or None."""
    return canonical_color(word) or _closest(word, (*COLORS, *COLOR_SYNONYMS), canonical_color)


def closest_type(word: str) -> tuple[str | None, bool]:
    """(object type, plural?) for a possibly plural or misspelt noun ("blokcs" -> cube, True)."""
    forms = {}
    for noun in (*OBJECT_TYPES, *TYPE_SYNONYMS):
        forms[noun] = (canonical_type(noun), False)
        forms[plural(noun)] = (canonical_type(noun), True)
    forms.update({p: (canonical_type(s), True) for s, p in PLURAL_SYNONYMS.items()})
    if word in forms:
        return forms[word]
    if len(word) < 3:
        return None, False  # too short to tell a typo from another word
    match = difflib.get_close_matches(word, list(forms), n=1, cutoff=TYPO_CUTOFF)
    return forms[match[0]] if match else (None, False)


def number(word: str) -> int | None:
    """2 for "two" or "2"; None for a word that is no number."""
    if word.isdigit():
        return int(word)
    return NUMBERS.get(word)


def _closest(word: str, known, canonical) -> str | None:
    if len(word) < 3:
        return None  # too short to tell a typo from another word
    match = difflib.get_close_matches(word, list(known), n=1, cutoff=TYPO_CUTOFF)
    return canonical(match[0]) if match else None


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
