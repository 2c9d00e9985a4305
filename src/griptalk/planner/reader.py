"""Tagged words -> Command: the deterministic reading of what the language model labelled.

The model says what each word does (verb, relation, colour of the object, landmark of the target,
...) and what the sentence is (an action, a stop, an unsafe or unsupported request). This module
turns that into clauses, descriptions and actions, resolves pronouns and ellipsis, and puts
"after ..." / "before ..." clauses in the order they must run. It never invents an action: every
action comes from a verb the user said.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace

from griptalk.planner.language import (
    EXAMPLE,
    UNSAFE_REASONS,
    Action,
    Command,
    Description,
    ParseError,
)
from griptalk.planner.tags import OUTSIDE, SIDES, SPATIAL
from griptalk.planner.vocabulary import (
    COLORS,
    OBJECT_TYPES,
    SKILL_VERBS,
    closest_color,
    closest_type,
    number,
)

LANDMARK_FIELDS = frozenset({"color", "type", "one", "pronoun"})
NOMINAL = frozenset({"color", "type", "one", "pronoun", "all", "number"})
# A verb's particle may come after its object ("pick the cube up", "push the drawer closed").
PARTICLES = frozenset({"up", "down", "back", "in", "out", "open", "closed", "shut", "away", "over"})
VERB_WORDS = frozenset({"open", "shut"})  # particles that are verbs too ("... and open the drawer")
# Untagged words that end a clause: what follows is another step, even before its verb is said.
BREAKS = frozenset({".", ";", "!", "?", "then", "next", "afterwards", "after", "finally", "later"})
TARGETLESS = frozenset({"home", "open", "close"})
VERB_TYPO_CUTOFF = 0.8
SPATIAL_TO_RELATION = {"inside": "in", "on_top_of": "on"}
# Verbs that only lift: "pick up X on Y" says where X is ("take X to Y" would say where it goes).
LIFTING_VERBS = frozenset({"pick", "grab", "grasp", "lift", "seize", "pluck", "snatch", "raise", "hoist", "grip",
                           "clutch", "nab", "scoop", "picking", "grabbing", "lifting", "grasping"})
CONJUNCTIONS = frozenset({"and", ",", "&", "plus", "also"})
SIDE_OF = {"leftmost": "left", "rightmost": "right", "nearest": "front", "farthest": "back"}
SKILL_LIST = "pick things up, put or stack them in or on other objects, take them out of the drawer, " \
             "open and close the drawer, and go home"


@dataclass
class _Desc:
    """A description being read, word by word."""

    color: str = ""
    noun: str = ""  # the type word as said ("blocks")
    one: bool = False  # "one", "thing": any type
    pronoun: str = ""
    all: bool = False
    number: int | None = None
    side: str = ""
    spatial: str = ""
    same_color: bool = False
    landmark: "_Desc | None" = None
    excluding: list["_Desc"] = field(default_factory=list)
    after_conjunction: bool = False

    @property
    def has_head(self) -> bool:
        return bool(self.noun or self.one or self.pronoun)

    def empty(self) -> bool:
        return not (self.color or self.has_head or self.all or self.number is not None or self.side
                    or self.spatial or self.same_color)


@dataclass
class _Clause:
    verb: str = ""
    verb_words: list[str] = field(default_factory=list)
    relation: str = ""
    marker: str = ""
    objects: list[_Desc] = field(default_factory=list)
    targets: list[_Desc] = field(default_factory=list)
    target_after_object: bool = False
    inherited: bool = False  # the verb carried over from the clause before ("... and the blue one in the box")

    def empty(self) -> bool:
        return not (self.verb or self.relation or self.objects or self.targets)


def read(text: str, words: list[str], tags: list[str], sentence: str) -> Command:
    """The Command the tagged words say; ParseError (with what to try) if they say none."""
    if len(words) != len(tags):
        raise ValueError(f"{len(words)} words but {len(tags)} tags")
    tags = [_known_verb(w) or t if t == "verb:unknown" else t for w, t in zip(words, tags)]
    unknown_verbs = [w for w, t in zip(words, tags) if t == "verb:unknown"]
    # Harm is done by a verb the robot lacks (throw, smash): a harm class whose verbs all are skills
    # ("stash the cube in the drawer") is the sentence head misreading a word, and the tags win.
    if sentence in UNSAFE_REASONS and (sentence != "unsafe_harm" or unknown_verbs):
        return Command(text=text, intent="refuse", reason=UNSAFE_REASONS[sentence])
    if sentence == "stop":
        return Command(text=text, intent="stop")
    if sentence == "unsupported" or unknown_verbs:
        verb = unknown_verbs[0] if unknown_verbs else words[0]
        return Command(text=text, intent="refuse", reason=f"I can't {verb}: I can only {SKILL_LIST}.")
    if sentence == "nonsense":
        raise ParseError(f"I don't understand '{text}': {EXAMPLE}.")
    clauses = _clauses(words, tags)
    if not clauses:
        raise ParseError(f"I don't understand '{text}': {EXAMPLE}.")
    actions = _actions(clauses)
    return Command(text=text, intent="act", actions=tuple(actions))


def _known_verb(word: str) -> str:
    """'verb:stack' for a misspelt skill verb ("stakc", "pikc") the model took for a verb the robot lacks.

    Two swapped letters, or a close spelling of a longer verb: "lick" and "kick" stay what they are.
    """
    for verb, skill in SKILL_VERBS.items():
        swapped = len(word) == len(verb) and sorted(word) == sorted(verb) and \
            [i for i, (a, b) in enumerate(zip(word, verb)) if a != b] in ([i, i + 1] for i in range(len(word) - 1))
        if word != verb and (swapped or (len(word) > 4 and difflib.SequenceMatcher(None, word, verb).ratio()
                                         >= VERB_TYPO_CUTOFF)):
            return f"verb:{skill}"
    return ""


# --- words -> clauses --------------------------------------------------------------------------------------------

def _clauses(words: list[str], tags: list[str]) -> list[_Clause]:
    clauses = [_Clause()]
    current: dict[str, _Desc | None] = dict.fromkeys(("obj", "tgt", "olm", "tlm", "exc"))
    conjunction = boundary = False
    previous_tag = OUTSIDE

    def new_clause(**kw) -> _Clause:
        clauses.append(_Clause(**kw))
        current.update(dict.fromkeys(current))
        return clauses[-1]

    for word, tag in zip(words, tags):
        clause = clauses[-1]
        if tag == OUTSIDE:
            conjunction = conjunction or word in CONJUNCTIONS
            # A clause ends at a full stop or "then" once it has said something; a subordinate "after ..."
            # clause ends at its comma too.
            said = bool(clause.verb) and bool(clause.objects or clause.targets or clause.verb == "home")
            boundary = boundary or (said and (word in BREAKS or (word == "," and bool(clause.marker))))
            previous_tag = tag
            continue
        group, _, value = tag.partition(":")
        continued = tag == previous_tag  # "pick up", "on top of", "closest to": one span
        previous_tag = tag
        if group == "verb" and clause.verb == value and (continued or (word in PARTICLES and not boundary)):
            clause.verb_words.append(word)
            continue
        if group == "verb" and word in PARTICLES - VERB_WORDS and clause.verb and not continued:
            # A particle never starts a clause ("put the mug in the drawer"): read it as the preposition.
            if word not in ("in", "out"):
                continue
            group, value = "rel", word
        if group == "verb":
            if (clause.verb and not clause.inherited) or boundary:  # another verb: another clause
                clause = new_clause()
            clause.verb, clause.verb_words, clause.inherited = value, [word], False
            conjunction = boundary = False
            continue
        if boundary or (group in ("rel", "tgt") and clause.verb in TARGETLESS):
            clause = new_clause()  # "..., then into the box put the duck": the verb comes later
            boundary = False
        if group == "mark":
            if not clause.empty():
                clause = new_clause()
            clause.marker = value
            continue
        if group == "rel":
            if not continued:
                if clause.relation and clause.targets:
                    clause = new_clause()  # "..., and into the box put the duck": a fronted target
                clause.relation = value
            continue
        if group in ("obj", "tgt") and value in LANDMARK_FIELDS:
            # "on the cube right of it": a relation that still waits for its landmark takes the next noun.
            waiting = next((role for role in ("tgt", "obj") if current[role] is not None and current[role].spatial
                            and (current[role].landmark is None or current[role].landmark.empty())), "")
            group = {"obj": "olm", "tgt": "tlm"}.get(waiting, group)
        if group == "obj" and clause.target_after_object and not continued and (value in NOMINAL or value in SIDES):
            # "put the red cube in the bowl and the blue one in the box": the verb carries over.
            clause = new_clause(verb=clause.verb, verb_words=clause.verb_words, inherited=True)
        if group in ("tgt", "tlm") and clause.objects:
            clause.target_after_object = True
        _add_field(clause, current, group, value, word, continued, conjunction)
        conjunction = False
    said = [c for c in clauses if not c.empty()]
    for before, clause in zip(said, said[1:]):
        if not clause.verb and before.verb not in TARGETLESS:
            clause.verb, clause.verb_words = before.verb, before.verb_words  # "..., then the blue one in the box"
    return said


def _add_field(clause: _Clause, current: dict, role: str, value: str, word: str, continued: bool,
               conjunction: bool) -> None:
    if role in ("olm", "tlm"):
        owner_role = "obj" if role == "olm" else "tgt"
        owner = current[owner_role] or _new(clause, current, owner_role)
        if owner.landmark is None or _starts_new(owner.landmark, value, continued, conjunction):
            owner.landmark = _Desc()
        current[role] = owner.landmark
        _set(owner.landmark, value, word, continued)
        return
    if role == "exc":
        owner = current["obj"] or _new(clause, current, "obj")
        if value == "except":
            current["exc"] = None
            return
        excluded = current["exc"]
        if excluded is None or _starts_new(excluded, value, continued, conjunction):
            excluded = _Desc()
            owner.excluding.append(excluded)
            current["exc"] = excluded
        _set(excluded, value, word, continued)
        return
    desc = current[role]
    if desc is None or (_starts_new(desc, value, continued, conjunction) and not (continued and value in SPATIAL)):
        desc = _new(clause, current, role)
    _set(desc, value, word, continued)


def _new(clause: _Clause, current: dict, role: str) -> _Desc:
    desc = _Desc()
    (clause.objects if role == "obj" else clause.targets).append(desc)
    current[role] = desc
    if role == "obj":
        current["olm"] = current["exc"] = None
    else:
        current["tlm"] = None
    return desc


def _starts_new(desc: _Desc, value: str, continued: bool, conjunction: bool) -> bool:
    """Does this field begin another description rather than add to `desc`?"""
    if continued:
        return False
    if conjunction and value in NOMINAL and not desc.empty():
        return True
    if value == "color":  # a colour after the noun begins the next object: "the cube and the red one"
        return bool(desc.color) or desc.has_head or (desc.landmark is not None and not desc.landmark.empty())
    if value in ("type", "one", "pronoun"):
        return desc.has_head
    if value == "all":
        return desc.has_head or desc.all or desc.number is not None
    if value == "number":  # "all three cubes": one set of three
        return desc.has_head or desc.number is not None
    if value in SIDES:
        return bool(desc.side)
    if value in SPATIAL:
        return bool(desc.spatial)
    return False


def _set(desc: _Desc, value: str, word: str, continued: bool) -> None:
    if value == "color":
        desc.color = f"{desc.color} {word}".strip() if continued else word
    elif value == "type":
        desc.noun = f"{desc.noun} {word}".strip() if continued else word
    elif value == "one":
        desc.one = True
    elif value == "pronoun":
        desc.pronoun = f"{desc.pronoun} {word}".strip() if continued else word
    elif value == "all":
        if number(word) is not None and number(word) != 1:  # "six cubes": the vocabulary knows its numbers
            desc.number = number(word)
        else:
            desc.all = True
    elif value == "number":
        n = number(word)
        if n is not None and desc.number is None:
            desc.number = n
    elif value in SIDES:
        desc.side = SIDE_OF[value]
    elif value in SPATIAL:
        desc.spatial = value
    elif value == "same_color":
        desc.same_color = True


# --- clauses -> actions ------------------------------------------------------------------------------------------

def _actions(clauses: list[_Clause]) -> list[Action]:
    said: list[tuple[_Clause, list[Action]]] = []
    for clause in clauses:
        said.append((clause, _clause_actions(clause, [a for _, acts in said for a in acts])))
    ordered = _order(said)
    return [a for _, acts in ordered for a in acts]


def _order(said: list[tuple[_Clause, list[Action]]]) -> list[tuple[_Clause, list[Action]]]:
    """'do A after doing B' and 'before doing A, do B' run B first."""
    ordered = list(said)
    i = 0
    while i < len(ordered):
        marker = ordered[i][0].marker
        if marker == "after" and i > 0:
            ordered[i - 1], ordered[i] = ordered[i], ordered[i - 1]
        elif marker == "before" and i + 1 < len(ordered):
            ordered[i], ordered[i + 1] = ordered[i + 1], ordered[i]
            i += 1
        i += 1
    return ordered


def _clause_actions(clause: _Clause, before: list[Action]) -> list[Action]:
    _settle_relation(clause)
    verb = clause.verb
    if verb == "home":
        return [Action("home")]
    last = before[-1] if before else None
    objects = [_description(d, verb, "obj", last, before) for d in clause.objects]
    targets = [_description(d, verb, "tgt", last, before, objects[0] if objects else None) for d in clause.targets]
    target = targets[0] if targets else None
    relation = clause.relation
    if verb in ("open", "close") and objects:
        return [Action(verb, o) for o in objects]
    if not objects:
        said = " ".join(clause.verb_words) or "do"
        raise ParseError(f"What should I {said}? Name the object, e.g. 'the red cube'.")
    if relation == "out":
        if target is not None:  # "take the cube out of the drawer": the cube that is in there
            objects = [o if o.spatial else replace(o, spatial="inside", landmark=target) for o in objects]
        return [Action("take_out", o, target) for o in objects]
    if target is None and relation == "in" and last is not None and last.intent == "open":
        target = last.object  # "open the drawer and put the duck inside"
    if verb == "stack" and target is None:
        if len(objects) == 1 and objects[0].count == 1 and not objects[0].choose:
            raise ParseError(f"What should I stack {objects[0].describe()} on? Say e.g. 'stack the red cube "
                             f"on the blue cube'.")
        return [Action("stack", _merged(objects))]
    if target is None:
        if verb == "":
            raise ParseError(f"What should I do with {objects[0].describe()}? {EXAMPLE.capitalize()}.")
        if verb == "pick":
            return [Action("pick", o) for o in objects]
        said = " ".join(clause.verb_words)
        raise ParseError(f"Where should I {said} {objects[0].describe()}? Say e.g. '{said} "
                         f"{objects[0].describe()} in the green bowl'.")
    if verb == "stack" and relation == "":
        relation = "on"
    return [Action("put", o, target, relation if relation in ("in", "on") else "") for o in objects]


def _settle_relation(clause: _Clause) -> None:
    """Where the object's "in / on Y" is where it goes, and where it is where it lies.

    "put the mug in the drawer" with no other destination: the drawer is the target. "pick up the cube
    on the blue cube": a pick verb takes no destination, so the blue cube is where the cube is.
    """
    if clause.verb in ("put", "stack", "") and not clause.targets and not clause.relation:
        for desc in clause.objects:
            if desc.spatial in SPATIAL_TO_RELATION and desc.landmark is not None and not desc.landmark.empty():
                clause.relation, desc.spatial = SPATIAL_TO_RELATION[desc.spatial], ""
                clause.targets, desc.landmark = [desc.landmark], None
                return
    for desc in clause.objects:
        if desc.landmark is not None and not desc.spatial and clause.relation in ("in", "on") and not clause.targets:
            # "the cube on(rel) the blue(landmark) cube": the landmark says the relation is where the cube is.
            desc.spatial, clause.relation = {"in": "inside", "on": "on_top_of"}[clause.relation], ""
    if (clause.verb == "pick" and clause.verb_words[0] in LIFTING_VERBS and clause.relation in ("in", "on")
            and len(clause.objects) == 1 and len(clause.targets) == 1 and not clause.objects[0].spatial):
        clause.objects[0].spatial = {"in": "inside", "on": "on_top_of"}[clause.relation]
        clause.objects[0].landmark, clause.targets, clause.relation = clause.targets[0], [], ""


def _merged(objects: list[Description]) -> Description:
    """The one set a tower is built from; a list of single blocks ("the red, the blue and the green cube")
    has no order the planner could keep, so it asks for a set or a pair."""
    if len(objects) == 1:
        return objects[0]
    raise ParseError("Say which blocks to stack as a set, e.g. 'stack all the blocks' or 'stack the red cube on "
                     "the blue cube'.")


def _description(desc: _Desc, verb: str, role: str, last: Action | None, before: list[Action],
                 mover: Description | None = None) -> Description:
    """`mover`: the object of the clause, which a pronoun in the target's landmark names ("on the cube
    right of it")."""
    if desc.pronoun:
        if role == "landmark" and mover is not None:
            return mover
        return _antecedent(desc.pronoun, verb, role, last, before)
    color = ""
    if desc.color:
        color = closest_color(desc.color.split()[-1]) or ""
        if not color:
            raise ParseError(f"I don't know the colour '{desc.color}'. I know {', '.join(COLORS)}.")
    object_class, is_plural = "", False
    if desc.noun:
        object_class, is_plural = closest_type(desc.noun.split()[-1])
        if not object_class:
            raise ParseError(f"I don't know what '{desc.noun}' is: I know {', '.join(OBJECT_TYPES)}.")
    count, choose = 1, False
    if desc.number is not None:
        count, choose = desc.number, True
    elif desc.all or (is_plural and not desc.same_color and role == "obj"):
        count = 0
    landmark = None
    if desc.spatial:
        if desc.landmark is None or desc.landmark.empty():
            raise ParseError(f"{desc.spatial.replace('_', ' ').capitalize()} what? Name the other object, "
                             f"e.g. 'the cube closest to the bowl'.")
        landmark = _description(desc.landmark, verb, "landmark", last, before, mover)
    excluding = tuple(_description(e, verb, "exc", last, before) for e in desc.excluding if not e.empty())
    if not (color or object_class or count == 0 or desc.spatial or desc.side):
        if desc.same_color and role == "tgt":
            raise ParseError("Which kind of container of the same colour? Say e.g. 'the bowl of its own colour'.")
        raise ParseError("Name the object by its colour or its type, e.g. 'the red cube' or 'the bowl'.")
    return Description(color=color, object_class=object_class, side=desc.side, count=count, choose=choose,
                       spatial=desc.spatial, landmark=landmark, excluding=excluding, same_color=desc.same_color)


def _antecedent(pronoun: str, verb: str, role: str, last: Action | None, before: list[Action]) -> Description:
    """What 'it' / 'them' stands for: the drawer for open/close, else the last object (or, for a target,
    the last target)."""
    if verb in ("open", "close"):
        for action in reversed(before):
            for desc in (action.object, action.target):
                if desc is not None and desc.object_class == "drawer":
                    return desc
    if last is not None:
        if role == "tgt" and last.target is not None:
            return last.target
        if last.object is not None:
            return last.object
    raise ParseError(f"I don't know what '{pronoun}' refers to: name the object, e.g. 'the red cube'.")
