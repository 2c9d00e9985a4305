"""The CommandParser the planner uses: the language model reads the words, `reader` builds the Command.

Unsafe requests are refused by fixed patterns before the model is asked (they must never depend on a
model's guess), and the model's own refusal classes catch the phrasings the patterns miss. Where the
model's reading does not make a command, the deterministic grammar gets a second look.
"""
from __future__ import annotations

from griptalk.planner.language import Command, GrammarParser, ParseError, clean_instruction, unsafe_reason
from griptalk.planner.reader import read
from griptalk.planner.tagger import Tagger
from griptalk.planner.tags import split_words


class ModelParser:
    def __init__(self, tagger: Tagger | None = None):
        self.tagger = tagger if tagger is not None else Tagger()  # loads the model once
        self.grammar = GrammarParser()

    def parse(self, text: str) -> Command:
        raw = clean_instruction(text)
        reason = unsafe_reason(raw)
        if reason:
            return Command(text=raw, intent="refuse", reason=reason)
        words = split_words(raw)
        tags, sentence = self.tagger.tag(words)
        try:
            return read(raw, words, tags, sentence)
        except ParseError as model_error:
            try:
                return self.grammar.parse(raw)
            except ParseError:
                raise model_error from None

    def tag(self, text: str) -> list[tuple[str, str]]:
        """(word, tag) pairs and the sentence class, to see how the model read an instruction."""
        words = split_words(clean_instruction(text))
        tags, sentence = self.tagger.tag(words)
        return [*zip(words, tags), ("<sentence>", sentence)]
