"""The deterministic grammar: phrase families, paraphrases, refusals, errors."""
import pytest

from griptalk.planner.language import Action, Command, Description, GrammarParser, ParseError, parse

RED_CUBE = Description("red", "cube")
GREEN_BOWL = Description("green", "bowl")


def only_action(text: str) -> Action:
    command = parse(text)
    assert command.intent == "act", command
    assert len(command.actions) == 1, command.actions
    return command.actions[0]


@pytest.mark.parametrize("text", [
    "put the red cube in the green bowl",
    "place the red cube into the green bowl",
    "move the red cube inside the green bowl",
    "drop the red cube in the green bowl",
    "set the red block inside of the green dish",
    "Please put the red cube in the green bowl.",
    "could you put the red cube in the green bowl please!",
    "Can you   PLACE  the Red Cube into   the GREEN bowl",
    "would you please put down the red cube in the green bowl, thank you",
    "hey robot, put the red cube in the green bowl",
    "put a red cube in a green bowl",
])
def test_put_in_paraphrases_parse_to_the_same_action(text):
    assert only_action(text) == Action("put", RED_CUBE, GREEN_BOWL, "in")


@pytest.mark.parametrize("text,relation", [
    ("put the red cube on the blue cube", "on"),
    ("stack the red cube onto the blue cube", "on"),
    ("place the red cube on top of the blue cube", "on"),
    ("move the red cube to the blue cube", ""),
])
def test_put_on_and_to(text, relation):
    assert only_action(text) == Action("put", RED_CUBE, Description("blue", "cube"), relation)


@pytest.mark.parametrize("text", [
    "pick up the red cube", "pick the red cube up", "grasp the red cube", "lift the red cube",
    "lift up the red cube", "grab the red block", "please pick up the red cube.", "Could you grab the RED cube?",
])
def test_pick_paraphrases(text):
    assert only_action(text) == Action("pick", RED_CUBE)


@pytest.mark.parametrize("word,canonical", [
    ("block", "cube"), ("container", "box"), ("tray", "box"), ("dish", "bowl"), ("duck", "duck"),
    ("mug", "mug"), ("lego", "lego"),
])
def test_type_synonyms(word, canonical):
    assert only_action(f"pick up the yellow {word}").object == Description("yellow", canonical)


def test_grey_is_gray_and_all_colours_parse():
    assert only_action("grab the grey cube").object.color == "gray"
    for color in ("red", "green", "blue", "yellow", "orange", "purple", "pink", "white", "brown", "gray", "cyan"):
        assert only_action(f"grab the {color} cube").object.color == color


def test_descriptions_may_omit_colour_or_type():
    action = only_action("put the red one in the bowl")
    assert action.object == Description(color="red")
    assert action.target == Description(object_class="bowl")
    assert only_action("grab the left cube").object == Description(object_class="cube", side="left")


def test_drawer_and_home_intents():
    assert only_action("open the drawer") == Action("open", Description(object_class="drawer"))
    assert only_action("pull out the drawer") == Action("open", Description(object_class="drawer"))
    assert only_action("shut the drawer") == Action("close", Description(object_class="drawer"))
    for text in ("go home", "return to the home position", "move home", "go back home"):
        assert only_action(text) == Action("home")


def test_compound_command_resolves_pronouns_and_inside():
    command = parse("open the drawer and put the duck inside")
    assert command.actions == (Action("open", Description(object_class="drawer")),
                               Action("put", Description(object_class="duck"), Description(object_class="drawer"),
                                      "in"))
    command = parse("Pick up the red cube. Then put it in the green bowl!")
    assert command.actions == (Action("pick", RED_CUBE), Action("put", RED_CUBE, GREEN_BOWL, "in"))


@pytest.mark.parametrize("text", ["stop", "Stop!", "cancel", "please stop now", "abort"])
def test_stop(text):
    assert parse(text).intent == "stop"


@pytest.mark.parametrize("text,word", [
    ("throw the red cube", "throw"),
    ("hit the blue cube with the red cube", "hit"),
    ("smash the mug", "smash"),
    ("put the red cube on the floor", "floor"),
    ("move the red cube to the green bowl as fast as possible", "fast"),
])
def test_unsafe_requests_are_refused_with_a_reason(text, word):
    command = parse(text)
    assert command.intent == "refuse"
    assert command.actions == ()
    assert word in command.reason


@pytest.mark.parametrize("text,expected", [
    ("xyz", "I don't understand 'xyz': try 'put the red cube in the green bowl'"),
    ("dance for me", "I don't understand 'dance': try"),
    ("", "empty"),
    ("   \t\n ", "empty"),
    ("put the red cube", "Where should I put the red cube?"),
    ("put the red cube in", "Where should I put the red cube?"),
    ("pick up", "What should I pick?"),
    ("pick up the red banana", "banana"),
    ("pick up the red blue cube", "blue"),
    ("put it in the bowl", "'it'"),
    ("grab the one", "does not name a colour or an object type"),
    ("put the red cube next to the bowl", "I don't know the word 'next'"),
    ("grab the cube red", "as one object"),
])
def test_parse_errors_say_what_went_wrong(text, expected):
    with pytest.raises(ParseError) as err:
        parse(text)
    assert expected in str(err.value)


def test_too_long_and_non_text_input_are_parse_errors():
    with pytest.raises(ParseError, match="too long"):
        parse("put the red cube in the green bowl " * 30)
    with pytest.raises(ParseError, match="must be text"):
        GrammarParser().parse(None)


def test_typed_records_validate_themselves():
    with pytest.raises(ValueError, match="colour"):
        Description("mauve", "cube")
    with pytest.raises(ValueError, match="colour or an object type"):
        Description()
    with pytest.raises(ValueError, match="intent"):
        Action("juggle", RED_CUBE)
    with pytest.raises(ValueError, match="target"):
        Action("put", RED_CUBE)
    with pytest.raises(ValueError, match="reason"):
        Command("throw it", "refuse")
