"""English instruction -> typed Command (intents + slots), by a small deterministic grammar.

The grammar sits behind the `CommandParser` interface so that a learned intent + slot
tagger can replace it without touching grounding or planning.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from griptalk.planner.vocabulary import (
    COLORS,
    GENERIC_NOUNS,
    OBJECT_TYPES,
    canonical_color,
    canonical_type,
    plural,
)

EXAMPLE = "try 'put the red cube in the green bowl'"
MAX_INSTRUCTION_CHARS = 500

ACTION_INTENTS = ("pick", "put", "open", "close", "home", "stack", "take_out")
COMMAND_INTENTS = ("act", "stop", "refuse")
PLACE_RELATIONS = ("in", "on", "")  # "" = "to": the planner chooses from the target's type
SIDES = ("left", "right", "front", "back", "")
SPATIAL_RELATIONS = ("", "closest_to", "farthest_from", "left_of", "right_of", "in_front_of", "behind", "inside",
                     "on_top_of", "under")


class ParseError(ValueError):
    """The text is not a command the parser understands; the message says what to try."""


@dataclass(frozen=True)
class Description:
    """How the user named an object or a set of objects, before grounding.

    Any of colour and type may be missing ("the red one", "the bowl"). `count` is how many objects
    it names: 1 for "the cube" (exactly one must match), 0 for all that match ("all the cubes"),
    or a number the user gave ("two cubes"; `choose`: any that many of the matches will do).
    """

    color: str = ""
    object_class: str = ""  # "" for "the red one"
    side: str = ""  # the match furthest that way: left, right, front (nearest the robot), back
    count: int = 1
    choose: bool = False
    spatial: str = ""  # relation to `landmark`: closest_to, left_of, inside, ...
    landmark: "Description | None" = None
    excluding: tuple["Description", ...] = ()  # "all cubes except the blue one"
    same_color: bool = False  # "the bowl of its own colour": the colour of the object being moved

    def __post_init__(self) -> None:
        if self.color and self.color not in COLORS:
            raise ValueError(f"unknown colour {self.color!r}; known: {', '.join(COLORS)}")
        if self.object_class and self.object_class not in OBJECT_TYPES:
            raise ValueError(f"unknown object type {self.object_class!r}; known: {', '.join(OBJECT_TYPES)}")
        if self.side not in SIDES:
            raise ValueError(f"unknown side {self.side!r}; known: {', '.join(s for s in SIDES if s)}")
        if self.count < 0:
            raise ValueError(f"count must be >= 0 (0 = all), got {self.count}")
        if self.spatial not in SPATIAL_RELATIONS:
            raise ValueError(f"unknown spatial relation {self.spatial!r}; known: {', '.join(SPATIAL_RELATIONS[1:])}")
        if bool(self.spatial) != (self.landmark is not None):
            raise ValueError("a spatial relation needs a landmark, and a landmark a relation")
        if not (self.color or self.object_class or self.count == 0 or self.spatial or self.side):
            raise ValueError("a description needs a colour or an object type")

    def describe(self) -> str:
        """'the left red cube', 'the red one', 'all the cubes', 'the cube closest to the bowl'."""
        noun = self.object_class or "one"
        if self.count != 1 or self.choose:
            amount = "all the" if self.count == 0 else str(self.count)
            noun = "objects" if not self.object_class else plural(self.object_class)
            words = [amount, self.color, noun]
        else:
            words = ["the", _SIDE_WORDS.get(self.side, ""), self.color, noun]
        if self.same_color:
            words.append("of the same colour")
        text = " ".join(w for w in words if w)
        if self.landmark is not None:
            text += f" {self.spatial.replace('_', ' ')} {self.landmark.describe()}"
        if self.excluding:
            text += " except " + " and ".join(d.describe() for d in self.excluding)
        return text

    def indefinite(self) -> str:
        """'a red cube', 'anything red', 'a bowl' (for 'I can't see ...')."""
        if not self.object_class:
            return f"anything {self.color}".strip() if self.color else "anything like that"
        words = " ".join(w for w in (self.color, self.object_class) if w)
        return ("an " if words[0] in "aeiou" else "a ") + words


_SIDE_WORDS = {"left": "leftmost", "right": "rightmost", "front": "nearest", "back": "farthest"}


@dataclass(frozen=True)
class Action:
    """One thing the user asked for, before grounding."""

    intent: str
    object: Description | None = None
    target: Description | None = None
    relation: str = ""

    def __post_init__(self) -> None:
        if self.intent not in ACTION_INTENTS:
            raise ValueError(f"unknown intent {self.intent!r}; known: {', '.join(ACTION_INTENTS)}")
        if self.intent != "home" and self.object is None:
            raise ValueError(f"intent {self.intent!r} needs an object")
        if self.intent == "put" and self.target is None:
            raise ValueError("intent 'put' needs a target")
        if self.intent == "stack" and self.target is not None:
            raise ValueError("intent 'stack' piles its objects on each other: it takes no target")
        if self.relation not in PLACE_RELATIONS:
            raise ValueError(f"unknown relation {self.relation!r}; known: in, on")


@dataclass(frozen=True)
class Command:
    """The parsed instruction: act on `actions` in order, stop at once, or refuse with `reason`."""

    text: str
    intent: str
    actions: tuple[Action, ...] = ()
    reason: str = ""

    def __post_init__(self) -> None:
        if self.intent not in COMMAND_INTENTS:
            raise ValueError(f"unknown command intent {self.intent!r}; known: {', '.join(COMMAND_INTENTS)}")
        if self.intent == "act" and not self.actions:
            raise ValueError("an 'act' command needs at least one action")
        if self.intent == "refuse" and not self.reason:
            raise ValueError("a 'refuse' command needs a reason")


class CommandParser(Protocol):
    def parse(self, text: str) -> Command:
        """Return the command, or raise ParseError with a message for the user."""


UNSAFE_REASONS = {
    "unsafe_harm": "I won't throw, hit, smash or break things: it could damage them or hurt someone.",
    "unsafe_floor": "I won't put things on the floor or off the table: I only place objects on the table top.",
    "unsafe_speed": "I won't move as fast as possible: I always stay within my safe speed limits.",
    "unsafe_people": "I won't move objects at people.",
}

# Requests the robot must refuse whatever the scene, whichever parser reads them: (pattern, reason).
UNSAFE = (
    (r"\b(throw\w*|toss\w*|hurl\w*|fling\w*|hit|hitting|smash\w*|break|breaking|crush\w*|punch\w*|kick\w*|slam\w*"
     r"|knock\w*|hurt\w*|destroy\w*)\b",
     UNSAFE_REASONS["unsafe_harm"]),
    (r"\b(on|onto|to|on to) the (floor|ground)\b|\boff the table\b",
     UNSAFE_REASONS["unsafe_floor"]),
    (r"\bas (fast|quickly|quick) as (possible|you can)\b|\b(full|maximum|max|top) speed\b|\bfaster\b",
     UNSAFE_REASONS["unsafe_speed"]),
    (r"\b(at|towards?) (me|him|her|them|someone|somebody|people|a person|the person|the human)\b",
     UNSAFE_REASONS["unsafe_people"]),
)

STOP_WORDS = ("stop", "cancel", "halt", "abort", "freeze")

LEADING_FILLER = (
    ("would", "you", "please"), ("could", "you", "please"), ("can", "you", "please"),
    ("i", "would", "like", "you", "to"), ("i'd", "like", "you", "to"), ("i", "want", "you", "to"),
    ("go", "ahead", "and"), ("could", "you"), ("can", "you"), ("would", "you"), ("will", "you"),
    ("please",), ("kindly",), ("now",), ("first",), ("just",), ("hey",), ("robot",), ("ok",), ("okay",),
)
TRAILING_FILLER = (("thank", "you"), ("for", "me"), ("please",), ("thanks",), ("now",))

CLAUSE_SEPARATORS = r"\s*(?:,?\s*\band then\b|,?\s*\bafter that\b|,?\s*\bthen\b|,?\s*\band\b|,)\s*"

DETERMINERS = ("the", "a", "an", "that", "this")
PRONOUNS = ("it", "that", "this", "that one", "this one")
SIDE_WORDS = {"left": "left", "leftmost": "left", "right": "right", "rightmost": "right"}

PICK_VERBS = ("pick", "grasp", "grab", "lift", "take", "get", "hold", "fetch")
PUT_VERBS = ("put", "place", "move", "drop", "set", "stack", "insert", "lay", "bring", "transfer")
OPEN_VERBS = ("open", "pull")
CLOSE_VERBS = ("close", "shut", "push")
PICK_PARTICLES = ("up",)
PUT_PARTICLES = ("down", "up")
DRAWER_PARTICLES = ("out", "open", "in", "closed", "shut")
HOME_WORDS = frozenset(("go", "return", "move", "come", "head", "back", "to", "the", "your", "home",
                        "position", "pose"))

# Longest first, so that "on top of" wins over "on".
PREPOSITIONS = (
    (("inside", "of"), "in"), (("on", "top", "of"), "on"), (("in", "to"), "in"), (("on", "to"), "on"),
    (("into",), "in"), (("inside",), "in"), (("in",), "in"), (("within",), "in"),
    (("onto",), "on"), (("on",), "on"), (("atop",), "on"), (("upon",), "on"), (("to",), ""),
)


class GrammarParser:
    """Deterministic parser for the command families the planner supports."""

    def parse(self, text: str) -> Command:
        raw = clean_instruction(text)
        normal = _normalise(raw)
        reason = unsafe_reason(raw)
        if reason:
            return Command(text=raw, intent="refuse", reason=reason)
        clauses = [_strip_filler(c.split()) for c in re.split(CLAUSE_SEPARATORS, normal)]
        clauses = [c for c in clauses if c]
        if not clauses:
            raise ParseError(f"I don't understand '{raw}': {EXAMPLE}.")
        if any(c[0] in STOP_WORDS for c in clauses):
            return Command(text=raw, intent="stop")
        actions: list[Action] = []
        for clause in clauses:
            actions.append(_parse_clause(clause, actions[-1] if actions else None))
        return Command(text=raw, intent="act", actions=tuple(actions))


def clean_instruction(text: str) -> str:
    """The instruction with its white space collapsed; ParseError if it is no usable text."""
    if not isinstance(text, str):
        raise ParseError(f"The instruction must be text, not {type(text).__name__}.")
    raw = " ".join(text.split())
    if not raw:
        raise ParseError(f"The instruction is empty: {EXAMPLE}.")
    if len(raw) > MAX_INSTRUCTION_CHARS:
        raise ParseError(f"The instruction is too long ({len(raw)} characters, at most "
                         f"{MAX_INSTRUCTION_CHARS}): {EXAMPLE}.")
    return raw


def unsafe_reason(text: str) -> str:
    """Why the request is unsafe, or "" if no unsafe pattern matches it."""
    normal = _normalise(text)
    return next((reason for pattern, reason in UNSAFE if re.search(pattern, normal)), "")


_DEFAULT_PARSER = GrammarParser()


def parse(text: str) -> Command:
    """Parse with the default grammar."""
    return _DEFAULT_PARSER.parse(text)


def _normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"[.!?,;]+", " , ", text)  # sentence and clause ends all separate clauses
    return " ".join(text.split())


def _strip_filler(tokens: list[str]) -> list[str]:
    changed = True
    while changed and tokens:
        changed = False
        for phrase in LEADING_FILLER:
            if tuple(tokens[: len(phrase)]) == phrase:
                tokens, changed = tokens[len(phrase):], True
        for phrase in TRAILING_FILLER:
            if len(tokens) >= len(phrase) and tuple(tokens[-len(phrase):]) == phrase:
                tokens, changed = tokens[: -len(phrase)], True
    return tokens


def _parse_clause(tokens: list[str], previous: Action | None) -> Action:
    text = " ".join(tokens)
    verb, rest = tokens[0], tokens[1:]
    if "home" in tokens and set(tokens) <= HOME_WORDS:
        return Action("home")
    if verb in PICK_VERBS and _find_preposition(rest) is not None:
        return _parse_put(verb, rest, previous)  # "take the cube to the bowl"
    if verb in PICK_VERBS:
        rest = _strip_particles(rest, PICK_PARTICLES)
        return Action("pick", object=_parse_description(rest, previous, f"What should I {verb}?"))
    if verb in OPEN_VERBS or verb in CLOSE_VERBS:
        rest = _strip_particles(rest, DRAWER_PARTICLES)
        intent = "open" if verb in OPEN_VERBS else "close"
        return Action(intent, object=_parse_description(rest, previous, f"What should I {verb}?"))
    if verb in PUT_VERBS:
        return _parse_put(verb, rest, previous)
    raise ParseError(f"I don't understand '{text}': {EXAMPLE}.")


def _parse_put(verb: str, tokens: list[str], previous: Action | None) -> Action:
    split = _find_preposition(tokens)
    if split is None:
        what = " ".join(tokens) or "it"
        raise ParseError(f"Where should I {verb} {what}? Say e.g. '{verb} the red cube in the green bowl'.")
    start, end, relation = split
    obj = _parse_description(_strip_particles(tokens[:start], PUT_PARTICLES), previous, f"What should I {verb}?")
    target_tokens = tokens[end:]
    if not target_tokens:
        # "open the drawer and put the duck inside": the target is what was just opened.
        if previous is not None and previous.intent == "open" and relation == "in":
            return Action("put", object=obj, target=previous.object, relation=relation)
        raise ParseError(f"Where should I {verb} {obj.describe()}? Say e.g. "
                         f"'{verb} {obj.describe()} in the green bowl'.")
    target = _parse_description(target_tokens, previous, f"Where should I {verb} {obj.describe()}?")
    return Action("put", object=obj, target=target, relation=relation)


def _find_preposition(tokens: list[str]) -> tuple[int, int, str] | None:
    for i in range(len(tokens)):
        for phrase, relation in PREPOSITIONS:
            if tuple(tokens[i: i + len(phrase)]) == phrase:
                return i, i + len(phrase), relation
    return None


def _strip_particles(tokens: list[str], particles: tuple[str, ...]) -> list[str]:
    if tokens and tokens[0] in particles:
        tokens = tokens[1:]
    if tokens and tokens[-1] in particles:
        tokens = tokens[:-1]
    return tokens


def _parse_description(tokens: list[str], previous: Action | None, question: str) -> Description:
    phrase = " ".join(tokens)
    if phrase in PRONOUNS:
        if previous is None or previous.object is None:
            raise ParseError(f"I don't know what '{phrase}' refers to: name the object, e.g. 'the red cube'.")
        return previous.object
    words = [t for t in tokens if t not in DETERMINERS]
    if not words:
        raise ParseError(f"{question} Name the object, e.g. 'the red cube'.")
    unknown = [w for w in words if not (canonical_color(w) or canonical_type(w) or w in SIDE_WORDS
                                        or w in GENERIC_NOUNS)]
    if unknown:
        raise ParseError(f"I don't know the word '{unknown[0]}' in '{phrase}'. I know the colours "
                         f"{', '.join(COLORS)} and the objects {', '.join(OBJECT_TYPES)}.")
    colors = [canonical_color(w) for w in words if canonical_color(w)]
    sides = [SIDE_WORDS[w] for w in words if w in SIDE_WORDS]
    nouns = [w for w in words if canonical_type(w) or w in GENERIC_NOUNS]
    if len(colors) > 1 or len(sides) > 1 or len(nouns) > 1 or (nouns and words[-1] != nouns[0]):
        raise ParseError(f"I can't read '{phrase}' as one object: say e.g. 'the red cube' or 'the left bowl'.")
    color = colors[0] if colors else ""
    side = sides[0] if sides else ""
    object_class = (canonical_type(nouns[0]) or "") if nouns else ""  # "one", "thing": any type
    if not (color or object_class):
        raise ParseError(f"'{phrase}' does not name a colour or an object type: "
                         f"say e.g. 'the red cube' or 'the bowl'.")
    return Description(color=color, object_class=object_class, side=side)
