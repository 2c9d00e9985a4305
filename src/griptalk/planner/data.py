"""Seeded generator of tagged training commands for the language model.

Every sentence is built from parts that carry their tags, so the labels are right by
construction. Some colours (TEST_COLORS) and some verbs and fillers never appear here: the
benchmark uses them to measure how the model does on words it has not been trained on.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from griptalk.planner.reader import PARTICLES
from griptalk.planner.tags import OUTSIDE, SENTENCE_CLASSES, check_tags, split_words

Part = list[tuple[str, str]]

# Scene colours held out of training (and their synonym): the benchmark checks they are still read as colours.
TEST_COLORS = ("pink", "brown", "gray", "grey", "cyan")
TRAIN_COLORS = ("red", "green", "blue", "yellow", "orange", "purple", "white", "violet",
                # not scene colours: they teach that a colour is a colour by where it stands
                "black", "teal", "magenta", "crimson", "navy", "beige", "maroon", "lime", "gold", "silver",
                "turquoise", "indigo", "olive", "lavender", "scarlet", "amber", "ivory", "khaki")
GRASPABLE_NOUNS = ("cube", "cube", "cube", "block", "block", "duck", "duckie", "mug", "cup", "lego", "brick")
CONTAINER_NOUNS = ("bowl", "bowl", "bowl", "dish", "box", "box", "container", "tray", "bin", "crate")
UNKNOWN_NOUNS = ("ball", "banana", "bottle", "apple", "can", "plate", "spoon", "pen", "sponge", "toy", "marker")
UNKNOWN_OPENABLES = ("fridge", "window", "cupboard", "gate", "lid", "jar", "oven", "microwave", "closet", "hatch")
CORRECTIONS = ("no wait", "sorry", "i mean", "no, actually", "scratch that", "oops", "no no", "correction")
PLURALS = {"box": "boxes", "dish": "dishes", "duckie": "duckies"}

PICK_VERBS = (("pick", "up"), ("grab",), ("grasp",), ("lift",), ("lift", "up"), ("take",), ("get",), ("hold",),
              ("seize",), ("pick",), ("pluck",), ("scoop", "up"), ("nab",), ("clutch",), ("grip",), ("hoist",),
              ("take", "hold", "of"), ("get", "hold", "of"), ("pick", "out"))
PUT_VERBS = (("put",), ("put",), ("place",), ("move",), ("drop",), ("set",), ("insert",), ("lay",), ("bring",),
             ("transfer",), ("stick",), ("put", "down"), ("set", "down"), ("position",), ("plonk",), ("rest",),
             ("slot",), ("load",), ("stuff",), ("plant",), ("return",), ("settle",), ("nestle",), ("put", "away"),
             ("leave",), ("store",), ("sit",))
STACK_VERBS = (("stack",), ("stack",), ("pile",), ("heap",))
OPEN_VERBS = (("open",), ("open", "up"), ("pull", "open"), ("pull", "out"), ("slide", "open"))
CLOSE_VERBS = (("close",), ("shut",), ("push", "in"), ("push", "closed"), ("slide", "shut"))
GERUNDS = {"put": "putting", "place": "placing", "move": "moving", "open": "opening", "close": "closing",
           "pick": "picking", "grab": "grabbing", "take": "taking", "shut": "shutting", "drop": "dropping",
           "stack": "stacking", "lift": "lifting", "set": "setting", "get": "getting", "grasp": "grasping",
           "insert": "inserting", "lay": "laying", "bring": "bringing", "transfer": "transferring",
           "stick": "sticking", "hold": "holding", "seize": "seizing", "position": "positioning",
           "load": "loading", "store": "storing", "return": "returning", "leave": "leaving"}
UNKNOWN_VERBS = ("pour", "wipe", "fold", "rotate", "spin", "shake", "paint", "cut", "wash", "clean", "cook", "sing",
                 "draw", "write", "screw", "unscrew", "polish", "squeeze", "peel", "stir", "flip", "twist", "scan",
                 "weigh", "count", "hide", "feed", "tickle", "hug", "heat", "melt", "boil", "mix", "chop", "slice",
                 "bake", "wrap", "tie", "sew", "read", "call", "drive", "water", "dig", "lick", "smell", "taste",
                 "measure", "photograph", "inspect", "balance", "roll", "bounce", "empty", "tilt", "press", "tap",
                 "ring", "dance with", "play with", "turn on", "switch off", "charge", "decorate", "label")
HARM_VERBS = ("throw", "toss", "hurl", "fling", "hit", "smash", "break", "crush", "punch", "kick", "slam", "destroy",
              "shatter", "bash", "whack", "chuck", "stomp on", "knock over", "knock down")

IN_WORDS = (("in",), ("in",), ("into",), ("into",), ("inside",), ("inside", "of"), ("in", "to"), ("within",))
ON_WORDS = (("on",), ("on",), ("onto",), ("on", "top", "of"), ("atop",), ("upon",), ("on", "to"))
TO_WORDS = (("to",), ("over", "to"))
OUT_WORDS = (("out", "of"), ("from",), ("out", "from"))

LEADING = ("", "", "", "", "please", "please", "could you", "can you", "would you", "would you please",
           "can you please", "i want you to", "i'd like you to", "go ahead and", "now", "hey robot,", "robot,", "ok",
           "okay,", "kindly", "could you please", "just", "i would like you to")
TRAILING = ("", "", "", "", "", "please", "thanks", "thank you", "for me", "now", "for me please", "if you can",
            ", thanks!", ".", "!", "?")
THEN = ("and", "and then", ", then", ". then", "then", ", after that", ". after that,", "and after that",
        ", and afterwards", ". next,", ", next", "; then", ", and finally", ".", ", and", "and also")

SIDE_PHRASES = {
    "leftmost": (("leftmost",), ("left",), ("left-most",)),
    "rightmost": (("rightmost",), ("right",), ("right-most",)),
    "nearest": (("nearest",), ("closest",), ("front",)),
    "farthest": (("farthest",), ("furthest",), ("back",)),
}
SIDE_AFTER = {  # "the cube on the left"
    "leftmost": (("on", "the", "left"), ("furthest", "to", "the", "left"), ("at", "the", "left")),
    "rightmost": (("on", "the", "right"), ("furthest", "to", "the", "right"), ("at", "the", "right")),
    "nearest": (("closest", "to", "you"), ("nearest", "to", "you"), ("closest", "to", "the", "robot"),
                ("nearest", "me")),
    "farthest": (("farthest", "from", "you"), ("furthest", "away"), ("farthest", "away", "from", "the", "robot")),
}
SPATIAL_PHRASES = {
    "closest_to": (("closest", "to"), ("nearest", "to"), ("nearest",), ("next", "to"), ("near",), ("beside",),
                   ("by",), ("right", "next", "to"), ("closest",)),
    "farthest_from": (("farthest", "from"), ("furthest", "from"), ("farthest", "away", "from")),
    "left_of": (("left", "of"), ("to", "the", "left", "of"), ("on", "the", "left", "of")),
    "right_of": (("right", "of"), ("to", "the", "right", "of"), ("on", "the", "right", "of")),
    "in_front_of": (("in", "front", "of"),),
    "behind": (("behind",), ("in", "back", "of")),
    "inside": (("in",), ("inside",), ("in",)),
    "on_top_of": (("on",), ("on", "top", "of"), ("resting", "on"), ("sitting", "on")),
    "under": (("under",), ("beneath",), ("underneath",), ("below",)),
}
RELATIVE = ("", "", "", "that is", "which is", "that's", "sitting")
EXCEPT_WORDS = (("except",), ("except", "for"), ("but",), ("but", "not"), ("other", "than"), ("apart", "from"),
                ("excluding",), ("besides",))
SAME_COLOR_AFTER = (("of", "its", "own", "colour"), ("of", "the", "same", "color"), ("of", "the", "same", "colour"),
                    ("that", "matches", "its", "colour"), ("with", "the", "same", "color"),
                    ("of", "matching", "colour"), ("of", "their", "own", "color"))
SAME_COLOR_BEFORE = (("matching",), ("same-coloured",), ("same", "colored"), ("same", "colour"))
PRONOUNS = (("it",), ("it",), ("it",), ("that",), ("that", "one"), ("this", "one"))
PLURAL_PRONOUNS = (("them",), ("them",), ("those",), ("them", "all"))

STOP_SENTENCES = ("stop", "stop!", "cancel", "cancel that", "cancel the task", "halt", "abort", "freeze",
                  "never mind", "stop moving", "stop everything", "stop right now", "wait, stop", "please stop",
                  "cancel the current task", "abort the mission", "hold it, stop", "quit it", "that's enough, stop",
                  "stop what you are doing", "stop now please", "cancel everything", "forget it, cancel",
                  "halt immediately", "abort abort", "stop the robot", "stop, stop!", "cancel it")
NONSENSE_SENTENCES = ("hello", "hi there", "how are you", "what is the weather like", "tell me a joke",
                      "good morning", "who are you", "what time is it", "i like turtles", "the sky is blue",
                      "thanks", "what can you see", "asdf", "qwerty uiop", "lorem ipsum dolor", "banana phone",
                      "blue is my favourite colour", "do you like music", "yes", "no", "maybe later",
                      "what's your name", "is it raining", "good job", "the cat sat on the mat", "hmm",
                      "why is the sky blue", "i am hungry")
SPEED_PHRASES = ("as fast as possible", "as fast as you can", "at full speed", "as quickly as possible",
                 "at maximum speed", "at top speed", "faster", "super fast, as fast as possible",
                 "at max speed", "as quick as you can")
FLOOR_PHRASES = ("on the floor", "onto the floor", "on the ground", "onto the ground", "off the table",
                 "off the edge of the table", "to the floor")
PEOPLE_PHRASES = ("at me", "at the person", "towards me", "at someone", "at the human", "toward the people",
                  "at him", "at her")


@dataclass(frozen=True)
class Example:
    words: list[str]
    tags: list[str]
    sentence: str

    def __post_init__(self) -> None:
        if len(self.words) != len(self.tags):
            raise ValueError(f"{len(self.words)} words, {len(self.tags)} tags")
        if self.sentence not in SENTENCE_CLASSES:
            raise ValueError(f"unknown sentence class {self.sentence!r}")
        check_tags(self.tags)


def words(text: str, tag: str = OUTSIDE) -> Part:
    return [(w, tag) for w in split_words(text)]


def phrase(parts: tuple[str, ...], tag: str) -> Part:
    return [(w, tag) for p in parts for w in split_words(p)]


class Generator:
    """Random commands from every family, reproducible from the seed."""

    def __init__(self, seed: int, typo_rate: float = 0.03):
        if not 0.0 <= typo_rate < 0.5:
            raise ValueError(f"typo_rate must be in [0, 0.5), got {typo_rate}")
        self.r = random.Random(seed)
        self.typo_rate = typo_rate

    def examples(self, n: int) -> list[Example]:
        if n < 1:
            raise ValueError(f"need at least one example, got {n}")
        return [self.example() for _ in range(n)]

    def example(self) -> Example:
        r = self.r.random()
        if r < 0.80:
            sentence, parts = "act", self.command()
        elif r < 0.84:
            sentence, parts = "stop", words(self.r.choice(STOP_SENTENCES))
        elif r < 0.885:
            sentence, parts = "unsafe_harm", self.harm()
        elif r < 0.91:
            sentence, parts = "unsafe_floor", self.floor()
        elif r < 0.935:
            sentence, parts = "unsafe_speed", self.clause() + words(self.r.choice(SPEED_PHRASES))
        elif r < 0.945:
            sentence, parts = "unsafe_people", self.at_people()
        elif r < 0.975:
            sentence, parts = "unsupported", self.unsupported()
        else:
            sentence, parts = "nonsense", self.nonsense()
        if sentence not in ("stop", "nonsense"):
            parts = words(self.r.choice(LEADING)) + parts + words(self.r.choice(TRAILING))
        parts = [(self.typo(w) if t != OUTSIDE else w, t) for w, t in parts]
        return Example([w for w, _ in parts], [t for _, t in parts], sentence)

    # --- sentences -----------------------------------------------------------------------------------------------

    def command(self) -> Part:
        r = self.r.random()
        if r < 0.55:
            return self.clause()
        if r < 0.62:
            return self.ordered()
        first = self.clause()
        parts = first
        if self.r.random() < 0.3:
            parts = words("first") + parts
        for _ in range(self.r.choice((1, 1, 1, 2))):
            parts = parts + words(self.r.choice(THEN)) + self.clause(follows=True)
        return parts

    def ordered(self) -> Part:
        """'after opening the drawer, put ...' / 'put ... before closing the drawer'."""
        marker = self.r.choice(("after", "after", "once", "before"))
        tag = "mark:before" if marker == "before" else "mark:after"
        lead = self.r.choice(((marker,), (marker, "you")) if marker != "once" else (("once", "you"),
                                                                                    ("once", "you", "have")))
        if lead[-1] != "have" and self.r.random() < 0.5:  # "after putting the duck in the drawer"
            clause = self.r.choice((self.put, self.pick))(False)
            first = clause[0][0]
            said = GERUNDS.get(first, first) if lead[-1] != "you" else first
            sub = phrase(lead, tag) + [(said, clause[0][1])] + clause[1:]
        else:
            drawer = self.drawer_np("obj")
            verb = self.r.choice(("open", "close"))
            if lead[-1] == "have":
                said = {"open": "opened", "close": "closed"}[verb]
            else:
                said = GERUNDS[verb] if lead[-1] != "you" else verb
            sub = phrase(lead, tag) + [(said, f"verb:{verb}")] + drawer
        main = self.clause(follows=False)
        if self.r.random() < 0.5:
            return sub + words(self.r.choice((",", "", ", then"))) + main
        return main + words(self.r.choice(("", ","))) + sub

    def clause(self, follows: bool = False) -> Part:
        r = self.r.random()
        if r < 0.03:
            return self.verbless(follows)
        if r < 0.05:
            return self.corrected(follows)
        if r < 0.42:
            return self.put(follows)
        if r < 0.57:
            return self.pick(follows)
        if r < 0.67:
            return self.stack(follows)
        if r < 0.78:
            return self.drawer(follows)
        if r < 0.88:
            return self.take_out(follows)
        if r < 0.92:
            return self.home()
        return self.put_set(follows)

    def put(self, follows: bool) -> Part:
        verb = self.verb(PUT_VERBS, "put") if self.r.random() < 0.88 else self.verb(PICK_VERBS[5:7], "pick")
        rel, rel_words = self.relation()
        obj = self.object_np("obj", follows)
        tgt = self.target_np(rel, follows)
        shape = self.r.random()
        if shape < 0.08:  # "into the bowl, put the cube"
            return phrase(rel_words, f"rel:{rel}") + tgt + words(self.r.choice((",", ""))) + verb + obj
        if shape < 0.14 and len(verb) == 1:  # "put in the bowl the red cube"
            return verb + phrase(rel_words, f"rel:{rel}") + tgt + obj
        if shape < 0.22 and verb[0][0] in ("pick", "put", "set") and len(verb) == 1:  # "put the cube down in ..."
            return verb + obj + [(self.r.choice(("down", "back")), verb[0][1])] + phrase(rel_words, f"rel:{rel}") + tgt
        return verb + obj + phrase(rel_words, f"rel:{rel}") + tgt

    def verbless(self, follows: bool) -> Part:
        """'the red cube in the bowl, please', 'the red cube goes into the box', 'i want the cube on the duck'."""
        rel, rel_words = self.relation()
        obj, tgt = self.object_np("obj", follows, single=True), self.target_np(rel, follows)
        r = self.r.random()
        if r < 0.4:
            return obj + phrase(rel_words, f"rel:{rel}") + tgt
        if r < 0.7:
            return obj + [(self.r.choice(("goes", "belongs", "should go")), "verb:put")] + \
                phrase(rel_words, f"rel:{rel}") + tgt
        return words(self.r.choice(("i want", "i'd like", "i need", "let's have", "i want to see"))) + obj + \
            phrase(rel_words, f"rel:{rel}") + tgt

    def corrected(self, follows: bool) -> Part:
        """'put the duck... no wait, put the cube in the bowl': what the user took back is no command."""
        dots = words(self.r.choice(("...", ",", "", "--")))
        fix = words(self.r.choice(CORRECTIONS)) + words(self.r.choice((",", "", "...")))
        if self.r.random() < 0.5:
            dropped = [(w, OUTSIDE) for w, _ in self.clause(follows)]
            return dropped + dots + fix + self.clause(follows)
        verb = self.verb(PUT_VERBS, "put")
        dropped = [(w, OUTSIDE) for w, _ in self.simple_np("obj")]
        rel, rel_words = self.relation()
        return verb + dropped + dots + fix + self.simple_np("obj") + words(self.r.choice(("", ","))) + \
            phrase(rel_words, f"rel:{rel}") + self.target_np(rel, follows)

    def put_set(self, follows: bool) -> Part:
        """'put each block into the bowl of its own colour', 'put the red and the blue cube in the box'."""
        verb = self.verb(PUT_VERBS, "put")
        if self.r.random() < 0.5:
            quant = self.r.choice((("each",), ("every",), ("all", "the"), ("all",)))
            noun = self.r.choice(("cube", "block"))
            plural = quant[0] == "all"
            obj = phrase(quant[:1], "obj:all") + words(" ".join(quant[1:])) + [(self.plural(noun) if plural else noun,
                                                                                "obj:type")]
            rel, rel_words = self.r.choice((("in", ("in",)), ("in", ("into",))))
            container = self.r.choice(("bowl", "bowl", "box", "dish"))
            if self.r.random() < 0.5:
                tgt = words("the") + [(container if not plural or self.r.random() < 0.5 else self.plural(container),
                                       "tgt:type")] + phrase(self.r.choice(SAME_COLOR_AFTER), "tgt:same_color")
            else:
                tgt = words("the") + phrase(self.r.choice(SAME_COLOR_BEFORE), "tgt:same_color") + [(container,
                                                                                                    "tgt:type")]
            return verb + obj + phrase(rel_words, f"rel:{rel}") + tgt
        first = self.simple_np("obj")
        second = self.simple_np("obj")
        rel, rel_words = self.relation()
        joint = words(self.r.choice(("and", "and", ",", "as well as", "plus")))
        return verb + first + joint + second + phrase(rel_words, f"rel:{rel}") + self.target_np(rel, follows)

    def pick(self, follows: bool) -> Part:
        verb = self.verb(PICK_VERBS, "pick")
        if self.r.random() < 0.25:  # "pick up the cube on the blue cube": where it is, not where it goes
            obj = self.spatial_np("obj", GRASPABLE_NOUNS, self.r.choice(("inside", "on_top_of", "under")))
        else:
            obj = self.object_np("obj", follows, single=True)
        if verb[0][0] == "pick" and len(verb) == 1:
            return verb + obj + [("up", "verb:pick")] if self.r.random() < 0.7 else verb + words("up") + obj
        return verb + obj

    def stack(self, follows: bool) -> Part:
        verb = self.verb(STACK_VERBS, "stack")
        if self.r.random() < 0.45:
            rel, rel_words = "on", self.r.choice(ON_WORDS)
            return verb + self.object_np("obj", follows, single=True) + phrase(rel_words, "rel:on") + \
                self.target_np("on", follows)
        if self.r.random() < 0.2:
            verb = [(self.r.choice(("make", "build")), "verb:stack")] + words(self.r.choice(("a tower", "a stack",
                                                                                             "a pile")))
            verb += words(self.r.choice(("with", "of", "from", "out of", "using")))
        quant = self.r.choice((("all", "the"), ("all",), ("every",), ("the",), ("all", "of", "the"), ("both",)))
        noun = self.r.choice(("cubes", "blocks", "cubes", "bricks", "legos"))
        color = [(self.color(), "obj:color")] if self.r.random() < 0.3 else []
        tag = "obj:number" if quant[0] == "both" else "obj:all"
        quant_part = [(quant[0], tag if quant[0] != "the" else OUTSIDE)] + words(" ".join(quant[1:]))
        noun_word = noun if quant[0] != "every" else noun[:-1]
        obj = quant_part + color + [(noun_word, "obj:type")]
        if self.r.random() < 0.25:
            obj += self.exception()
        tail = words(self.r.choice(("", "", "on top of each other", "into a tower", "up", "one on another",
                                    "on top of one another", "into a pile", "in a single stack")))
        return verb + obj + tail

    def drawer(self, follows: bool) -> Part:
        opening = self.r.random() < 0.55
        verbs = OPEN_VERBS if opening else CLOSE_VERBS
        verb_words = self.r.choice(verbs)
        tag = "verb:open" if opening else "verb:close"
        obj = self.drawer_np("obj") if not follows or self.r.random() < 0.7 else [("it", "obj:pronoun")]
        if self.r.random() < 0.1:
            obj = words("the") + [(self.r.choice(UNKNOWN_OPENABLES), "obj:type")]
        if len(verb_words) == 2 and self.r.random() < 0.6:
            return [(verb_words[0], tag)] + obj + [(verb_words[1], tag)]
        return phrase(verb_words, tag) + obj

    def take_out(self, follows: bool) -> Part:
        verb = self.r.choice((("take",), ("get",), ("remove",), ("pull",), ("lift",), ("grab",), ("take", "out")))
        rel = self.r.choice(OUT_WORDS) if verb != ("take", "out") else ("from",)
        if verb == ("remove",):
            rel = self.r.choice((("from",), ("out", "of")))
        obj = self.object_np("obj", follows, single=True)
        source = self.drawer_np("tgt") if self.r.random() < 0.7 else self.container_np("tgt")
        if self.r.random() < 0.1:
            return phrase(verb, "verb:pick") + obj + [("out", "rel:out")]
        return phrase(verb, "verb:pick") + obj + phrase(rel, "rel:out") + source

    def home(self) -> Part:
        return phrase(self.r.choice((("go", "home"), ("return", "home"), ("go", "back", "home"), ("move", "home"),
                                     ("head", "home"), ("go", "to", "your", "home", "position"),
                                     ("return", "to", "the", "home", "pose"), ("park", "the", "arm"),
                                     ("go", "to", "the", "rest", "position"), ("return", "to", "start"))), "verb:home")

    def harm(self) -> Part:
        verb = self.r.choice(HARM_VERBS)
        parts = phrase((verb,), "verb:unknown") + self.object_np("obj", False, single=True)
        r = self.r.random()
        if r < 0.3:
            parts += words(self.r.choice(("across the room", "against the wall", "hard", "into pieces")))
        elif r < 0.5:
            parts += words(self.r.choice(("with", "into", "at"))) + self.simple_np("tgt")
        return parts

    def floor(self) -> Part:
        verb = self.verb(PUT_VERBS + (("push",), ("knock",), ("drop",), ("drop",)), "put")
        return verb + self.object_np("obj", False) + words(self.r.choice(FLOOR_PHRASES))

    def at_people(self) -> Part:
        verb = self.r.choice((("move",), ("swing",), ("point",), ("wave",), ("aim",), ("push",)))
        parts = phrase(verb, "verb:unknown") + (self.object_np("obj", False, single=True)
                                                if self.r.random() < 0.7 else words("the arm"))
        return parts + words(self.r.choice(PEOPLE_PHRASES))

    def unsupported(self) -> Part:
        verb = self.r.choice(UNKNOWN_VERBS)
        r = self.r.random()
        if r < 0.15:
            return phrase(("give", "me"), "verb:unknown") + self.object_np("obj", False, single=True) \
                if self.r.random() < 0.5 else phrase(("hand",), "verb:unknown") + words("me") + \
                self.object_np("obj", False, single=True)
        parts = [(verb, "verb:unknown")]
        if r < 0.8:
            parts += self.object_np("obj", False, single=True)
        if r < 0.4:
            parts += words(self.r.choice(("into the bowl", "with the sponge", "twice", "slowly", "clockwise")))
        return parts

    def nonsense(self) -> Part:
        if self.r.random() < 0.7:
            return words(self.r.choice(NONSENSE_SENTENCES))
        return self.simple_np("obj")  # a bare noun phrase asks for nothing

    # --- noun phrases --------------------------------------------------------------------------------------------

    def determiner(self) -> Part:
        return words(self.r.choice(("the", "the", "the", "the", "a", "that", "this", "")))

    def color(self) -> str:
        return self.r.choice(TRAIN_COLORS[:8] if self.r.random() < 0.6 else TRAIN_COLORS)

    def noun(self, nouns: tuple[str, ...]) -> str:
        return self.r.choice(nouns) if self.r.random() > 0.05 else self.r.choice(UNKNOWN_NOUNS)

    def simple_np(self, role: str, nouns: tuple[str, ...] = GRASPABLE_NOUNS) -> Part:
        """'the red cube', 'the cube', 'the red one'."""
        r = self.r.random()
        det = self.determiner()
        if r < 0.55:
            return det + [(self.color(), f"{role}:color"), (self.noun(nouns), f"{role}:type")]
        if r < 0.8:
            return det + [(self.noun(nouns), f"{role}:type")]
        return det + [(self.color(), f"{role}:color"),
                      (self.r.choice(("one", "one", "thing", "object", "item")), f"{role}:one")]

    def object_np(self, role: str, follows: bool, single: bool = False) -> Part:
        r = self.r.random()
        if follows and r < 0.3:
            return phrase(self.r.choice(PRONOUNS), f"{role}:pronoun")
        if r < 0.55:
            return self.simple_np(role)
        if r < 0.68:
            return self.side_np(role, GRASPABLE_NOUNS)
        if r < 0.85:
            return self.spatial_np(role, GRASPABLE_NOUNS)
        if single:
            return self.simple_np(role)
        return self.set_np(role)

    def target_np(self, relation: str, follows: bool) -> Part:
        r = self.r.random()
        nouns = CONTAINER_NOUNS + ("drawer",) if relation != "on" else GRASPABLE_NOUNS[:5] + CONTAINER_NOUNS[4:6]
        if follows and r < 0.15:
            return phrase(self.r.choice(PRONOUNS), "tgt:pronoun")
        if r < 0.7:
            return self.simple_np("tgt", nouns)
        if r < 0.82:
            return self.side_np("tgt", nouns)
        return self.spatial_np("tgt", nouns)

    def container_np(self, role: str) -> Part:
        return self.simple_np(role, CONTAINER_NOUNS)

    def drawer_np(self, role: str) -> Part:
        return words(self.r.choice(("the", "the", "that", "your"))) + [("drawer", f"{role}:type")]

    def side_np(self, role: str, nouns: tuple[str, ...]) -> Part:
        side = self.r.choice(tuple(SIDE_PHRASES))
        color = [(self.color(), f"{role}:color")] if self.r.random() < 0.3 else []
        noun = [(self.noun(nouns), f"{role}:type")] if self.r.random() < 0.8 else [("one", f"{role}:one")]
        if self.r.random() < 0.6:
            return words("the") + phrase(self.r.choice(SIDE_PHRASES[side]), f"{role}:{side}") + color + noun
        return words("the") + color + noun + phrase(self.r.choice(SIDE_AFTER[side]), f"{role}:{side}")

    def spatial_np(self, role: str, nouns: tuple[str, ...], relation: str = "") -> Part:
        relation = relation or self.r.choice(tuple(SPATIAL_PHRASES))
        landmark_role = "olm" if role == "obj" else "tlm"
        head = self.simple_np(role, nouns) if self.r.random() < 0.8 else words("the") + [("one", f"{role}:one")]
        if relation == "inside":
            landmark = self.r.choice((self.drawer_np(landmark_role), self.simple_np(landmark_role, CONTAINER_NOUNS)))
        else:
            landmark = self.simple_np(landmark_role, GRASPABLE_NOUNS + CONTAINER_NOUNS)
        return head + words(self.r.choice(RELATIVE)) + phrase(self.r.choice(SPATIAL_PHRASES[relation]),
                                                               f"{role}:{relation}") + landmark

    def set_np(self, role: str) -> Part:
        r = self.r.random()
        color = [(self.color(), f"{role}:color")] if self.r.random() < 0.4 else []
        noun = self.r.choice(("cube", "block", "duck", "mug", "lego", "cube", "block"))
        if r < 0.25:
            quant = self.r.choice((("all", "the"), ("all",), ("all", "of", "the")))
            parts = [(quant[0], f"{role}:all")] + words(" ".join(quant[1:])) + color + [(self.plural(noun),
                                                                                        f"{role}:type")]
        elif r < 0.4:
            parts = [(self.r.choice(("every", "each")), f"{role}:all")] + color + [(noun, f"{role}:type")]
        elif r < 0.5:
            parts = words("the") + color + [(self.plural(noun), f"{role}:type")]
        elif r < 0.6:
            parts = [(self.r.choice(("everything", "all")), f"{role}:all")]
            if parts[0][0] == "all":
                parts += [(self.r.choice(("objects", "things", "items")), f"{role}:one")]
        elif r < 0.8:
            count = self.r.choice(("two", "three", "2", "3", "four", "one"))
            parts = [(count, f"{role}:number")] + words(self.r.choice(("", "", "of the"))) + color
            parts += [(noun if count in ("one",) else self.plural(noun), f"{role}:type")]
        else:
            parts = [("all", f"{role}:all")] + words(self.r.choice(("the", ""))) + color + \
                [(self.plural(noun), f"{role}:type")]
        if self.r.random() < 0.4:
            parts += self.exception()
        return parts

    def exception(self) -> Part:
        parts = phrase(self.r.choice(EXCEPT_WORDS), "exc:except")
        r = self.r.random()
        if r < 0.6:
            parts += words("the") + [(self.color(), "exc:color"), (self.r.choice(("one", "ones")), "exc:one")]
        elif r < 0.85:
            parts += words("the") + [(self.color(), "exc:color"), (self.r.choice(("cube", "block")), "exc:type")]
        else:
            side = self.r.choice(("leftmost", "rightmost"))
            parts += words("the") + [(side, f"exc:{side}"), ("one", "exc:one")]
        if self.r.random() < 0.2:
            parts += words("and the") + [(self.color(), "exc:color"), ("one", "exc:one")]
        return parts

    # --- words ---------------------------------------------------------------------------------------------------

    def verb(self, choices: tuple[tuple[str, ...], ...], intent: str) -> Part:
        return phrase(self.r.choice(choices), f"verb:{intent}")

    def relation(self) -> tuple[str, tuple[str, ...]]:
        r = self.r.random()
        if r < 0.55:
            return "in", self.r.choice(IN_WORDS)
        if r < 0.85:
            return "on", self.r.choice(ON_WORDS)
        return "to", self.r.choice(TO_WORDS)

    def plural(self, noun: str) -> str:
        return PLURALS.get(noun, noun + "s")

    def typo(self, word: str) -> str:
        if len(word) < 4 or word in PARTICLES or self.r.random() >= self.typo_rate:
            return word
        i = self.r.randrange(1, len(word) - 1)
        kind = self.r.choice(("swap", "drop", "double", "replace"))
        if kind == "swap":
            typo = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        elif kind == "drop":
            typo = word[:i] + word[i + 1:]
        elif kind == "double":
            typo = word[:i] + word[i] + word[i:]
        else:
            typo = word[:i] + self.r.choice("abcdefghijklmnopqrstuvwxyz") + word[i + 1:]
        return word if typo in TEST_COLORS else typo  # "pick" -> "pink" would leak a held-out colour
