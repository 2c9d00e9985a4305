"""The labels the language model puts on an instruction: one per word, and one for the whole sentence.

Word tags are `GROUP:field`. Descriptions of objects have a role: `obj` (what is acted on),
`tgt` (where it goes), `olm` / `tlm` (the landmark the object / target is described by, as in
"the cube closest to *the bowl*") and `exc` (what a set leaves out: "all cubes except *the blue
one*"). Closed classes carry their meaning in the tag (`verb:pick`, `obj:left_of`), so a word never
seen in training can still be read from its context; open classes (colours, types) only mark the
word, and the vocabulary says which colour or type it is.
"""
from __future__ import annotations

import re

OUTSIDE = "O"

VERBS = ("pick", "put", "stack", "open", "close", "home", "unknown")  # unknown: a skill the robot lacks
RELATIONS = ("in", "on", "to", "out")  # "put X in/on/to Y", "take X out of Y"
MARKERS = ("after", "before")  # "after opening the drawer, ...": the clause it opens runs first / last

SIDES = ("leftmost", "rightmost", "nearest", "farthest")  # extremes among the matches (seen from the robot)
SPATIAL = ("closest_to", "farthest_from", "left_of", "right_of", "in_front_of", "behind", "inside", "on_top_of",
           "under")  # relations to a landmark
NOUN_FIELDS = ("color", "type", "one", "pronoun")

ROLE_FIELDS = {
    "obj": (*NOUN_FIELDS, "all", "number", *SIDES, *SPATIAL),
    "tgt": (*NOUN_FIELDS, "same_color", *SIDES, *SPATIAL),
    "olm": (*NOUN_FIELDS, *SIDES),
    "tlm": NOUN_FIELDS,
    "exc": ("except", *NOUN_FIELDS, *SIDES),
}
ROLES = tuple(ROLE_FIELDS)

WORD_TAGS: tuple[str, ...] = (
    OUTSIDE,
    *(f"verb:{v}" for v in VERBS),
    *(f"rel:{r}" for r in RELATIONS),
    *(f"mark:{m}" for m in MARKERS),
    *(f"{role}:{field}" for role, fields in ROLE_FIELDS.items() for field in fields),
)

# What the whole sentence is. Refusal classes name why.
SENTENCE_CLASSES = ("act", "stop", "unsafe_harm", "unsafe_floor", "unsafe_speed", "unsafe_people", "unsupported",
                    "nonsense")

TOKEN_PATTERN = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*|[^\sa-z0-9]")


def split_words(text: str) -> list[str]:
    """Lower-case words and punctuation marks: the units that get one tag each."""
    return TOKEN_PATTERN.findall(text.lower().replace("\u2019", "'"))


def check_tags(tags: list[str]) -> None:
    unknown = sorted(set(tags) - set(WORD_TAGS))
    if unknown:
        raise ValueError(f"unknown word tags {unknown}")
