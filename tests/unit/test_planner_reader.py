"""Tagged words -> Command: clauses, descriptions, pronouns, ellipsis, order markers; and the training data."""
import pytest

from griptalk.planner.data import TEST_COLORS, Generator
from griptalk.planner.language import Action, Description, ParseError
from griptalk.planner.reader import read
from griptalk.planner.tags import WORD_TAGS, split_words

RED_CUBE = Description("red", "cube")
DRAWER = Description(object_class="drawer")


def tagged(spec: str, sentence: str = "act"):
    """'put/verb:put the red/obj:color cube/obj:type' -> read(...)."""
    words, tags = [], []
    for token in spec.split():
        word, _, tag = token.partition("/")
        words.append(word)
        tags.append(tag or "O")
    return read(" ".join(words), words, tags, sentence)


def test_put_with_fillers_and_particle_after_the_object():
    command = tagged("please put/verb:put the red/obj:color cube/obj:type down/verb:put into/rel:in "
                     "the green/tgt:color bowl/tgt:type")
    assert command.actions == (Action("put", RED_CUBE, Description("green", "bowl"), "in"),)


def test_fronted_target_and_verbless_clause():
    fronted = tagged("into/rel:in the bowl/tgt:type , put/verb:put the red/obj:color cube/obj:type")
    verbless = tagged("red/obj:color cube/obj:type into/rel:in the bowl/tgt:type")
    assert fronted.actions == verbless.actions == (Action("put", RED_CUBE, Description(object_class="bowl"), "in"),)


def test_ellipsis_carries_the_verb_and_pronouns_find_their_antecedent():
    command = tagged("put/verb:put the red/obj:color cube/obj:type in/rel:in the bowl/tgt:type and the "
                     "blue/obj:color one/obj:one in/rel:in the box/tgt:type")
    assert [a.object for a in command.actions] == [RED_CUBE, Description(color="blue")]
    command = tagged("pick/verb:pick up/verb:pick the red/obj:color cube/obj:type and put/verb:put it/obj:pronoun "
                     "in/rel:in the box/tgt:type")
    assert command.actions == (Action("pick", RED_CUBE), Action("put", RED_CUBE, Description(object_class="box"), "in"))
    command = tagged("put/verb:put the duck/obj:type in/rel:in the drawer/tgt:type and close/verb:close it/obj:pronoun")
    assert command.actions[-1] == Action("close", DRAWER)


def test_after_and_before_clauses_run_in_the_order_they_mean():
    after = tagged("close/verb:close the drawer/obj:type after/mark:after putting/verb:put the duck/obj:type "
                   "in/rel:in it/tgt:pronoun")
    assert [a.intent for a in after.actions] == ["put", "close"]
    assert after.actions[0].target == DRAWER
    before = tagged("before/mark:before closing/verb:close the drawer/obj:type , put/verb:put the duck/obj:type "
                    "in/rel:in it/tgt:pronoun")
    assert [a.intent for a in before.actions] == ["put", "close"]


def test_sets_exceptions_numbers_and_own_colour():
    command = tagged("put/verb:put all/obj:all cubes/obj:type except/exc:except the blue/exc:color one/exc:one "
                     "in/rel:in the bowl/tgt:type")
    assert command.actions[0].object == Description(object_class="cube", count=0,
                                                    excluding=(Description(color="blue"),))
    two = tagged("put/verb:put two/obj:number cubes/obj:type in/rel:in the bowl/tgt:type")
    assert (two.actions[0].object.count, two.actions[0].object.choose) == (2, True)
    own = tagged("put/verb:put each/obj:all block/obj:type into/rel:in the bowl/tgt:type of/tgt:same_color "
                 "its/tgt:same_color own/tgt:same_color colour/tgt:same_color")
    assert own.actions[0].target == Description(object_class="bowl", same_color=True)


def test_spatial_references_and_sides():
    command = tagged("pick/verb:pick up/verb:pick the cube/obj:type closest/obj:closest_to to/obj:closest_to the "
                     "bowl/olm:type")
    assert command.actions[0].object == Description(object_class="cube", spatial="closest_to",
                                                    landmark=Description(object_class="bowl"))
    leftmost = tagged("grab/verb:pick the leftmost/obj:leftmost block/obj:type")
    assert leftmost.actions[0].object == Description(object_class="cube", side="left")


def test_stack_all_and_take_out():
    stack = tagged("stack/verb:stack all/obj:all the blocks/obj:type on top of each other")
    assert stack.actions == (Action("stack", Description(object_class="cube", count=0)),)
    out = tagged("take/verb:pick the duck/obj:type out/rel:out of/rel:out the drawer/tgt:type")
    in_drawer = Description(object_class="duck", spatial="inside", landmark=DRAWER)  # the duck that is in there
    assert out.actions == (Action("take_out", in_drawer, DRAWER),)


def test_typos_and_unseen_colour_words_are_read_by_the_vocabulary():
    command = tagged("put/verb:put the gren/obj:color cueb/obj:type in/rel:in the cyan/tgt:color bowl/tgt:type")
    assert command.actions[0].object == Description("green", "cube")
    assert command.actions[0].target == Description("cyan", "bowl")


@pytest.mark.parametrize("sentence,reason", [
    ("unsafe_harm", "won't throw"), ("unsafe_floor", "floor"), ("unsafe_speed", "fast"), ("unsafe_people", "people"),
])
def test_refusal_classes_give_their_reason(sentence, reason):
    command = tagged("do/verb:unknown it/obj:pronoun", sentence)
    assert command.intent == "refuse" and reason in command.reason


def test_stop_unsupported_and_nonsense():
    assert tagged("stop", "stop").intent == "stop"
    unsupported = tagged("pour/verb:unknown the mug/obj:type", "unsupported")
    assert unsupported.intent == "refuse" and unsupported.reason.startswith("I can't pour")
    with pytest.raises(ParseError, match="I don't understand"):
        tagged("hello there", "nonsense")


@pytest.mark.parametrize("spec,message", [
    ("put/verb:put the red/obj:color cube/obj:type", "Where should I put the red cube?"),
    ("put/verb:put it/obj:pronoun in/rel:in the bowl/tgt:type", "'it'"),
    ("pick/verb:pick up/verb:pick the mauve/obj:color cube/obj:type", "I don't know the colour 'mauve'"),
    ("pick/verb:pick up/verb:pick the banana/obj:type", "I don't know what 'banana' is"),
    ("stack/verb:stack the red/obj:color cube/obj:type", "What should I stack the red cube on?"),
    ("the red/obj:color cube/obj:type", "What should I do with the red cube?"),
])
def test_incomplete_commands_say_what_is_missing(spec, message):
    with pytest.raises(ParseError) as err:
        tagged(spec)
    assert message in str(err.value)


def test_split_words_keeps_contractions_and_separates_punctuation():
    assert split_words("Put the RED cube, please!") == ["put", "the", "red", "cube", ",", "please", "!"]
    assert split_words("I\u2019d like the left-most one") == ["i'd", "like", "the", "left-most", "one"]


# --- the training data ---------------------------------------------------------------------------------------

def test_generator_is_seeded_and_labels_are_valid():
    first, again, other = Generator(3).examples(200), Generator(3).examples(200), Generator(4).examples(200)
    assert first == again and first != other
    assert {t for e in first for t in e.tags} <= set(WORD_TAGS)
    assert {e.sentence for e in Generator(0).examples(1000)} >= {"act", "stop", "unsafe_harm", "unsupported"}


def test_held_out_colours_never_appear_in_training_data():
    words = {w for e in Generator(0).examples(3000) for w in e.words}
    assert words.isdisjoint(TEST_COLORS)


def test_generated_commands_read_back_from_their_gold_tags():
    """The reader understands what the generator says (a few run-on sentences read as something else)."""
    unread = []
    for example in Generator(1).examples(2000):
        text = " ".join(example.words)
        try:
            read(text, example.words, example.tags, example.sentence)
        except ParseError as err:
            # Colour and noun words outside the vocabulary, and sentences that ask for nothing, are refused.
            if not any(m in str(err) for m in ("I don't know", "I don't understand", "What should I do with")):
                unread.append((text, str(err)))
    assert len(unread) <= 10, unread
