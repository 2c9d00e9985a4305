"""The language planner's pure core: parse, ground, plan from skill schemas, check postconditions."""
from griptalk.planner.grounding import AmbiguousReference, GroundingError, ObjectNotFound, ground
from griptalk.planner.language import Action, Command, CommandParser, Description, GrammarParser, ParseError, parse
from griptalk.planner.planner import PlanOutcome, Planner
from griptalk.planner.postconditions import PostconditionConfig, check_postcondition
from griptalk.planner.schemas import (
    SCHEMAS,
    PreconditionError,
    SchemaConfig,
    SkillSchema,
    WorldState,
    apply_effects,
    check_preconditions,
)

__all__ = [
    "Action", "AmbiguousReference", "Command", "CommandParser", "Description", "GrammarParser", "GroundingError",
    "ObjectNotFound", "ParseError", "PlanOutcome", "Planner", "PostconditionConfig", "PreconditionError",
    "SCHEMAS", "SchemaConfig", "SkillSchema", "WorldState", "apply_effects", "check_postcondition",
    "check_preconditions", "ground", "parse",
]
