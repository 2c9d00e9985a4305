"""The physics as a predictor: each trial tried again under another friction and, optionally, arm error."""
import math

import numpy as np
import pybullet as pb
import pytest

from griptalk.grasping.ceiling import RepeatingTrials, ceiling, main
from griptalk.grasping.generate import generate
from griptalk.skills.grasps import GraspCandidate, grasp_candidates


def test_repeats_follow_each_reachable_attempt_and_restore_the_friction():
    with RepeatingTrials(2, renderer="tiny") as trials:
        p = trials.place("cube", np.random.default_rng(2))

        def friction():
            return pb.getDynamicsInfo(p.body, -1, physicsClientId=trials.world.client_id)[1]

        placed = friction()
        assert trials.attempt(grasp_candidates(p.truth, 1)[0]) is True
        assert trials.attempt(GraspCandidate([1.5, 0.0, 0.03], 0.0, 0.07)) is None  # out of reach: no row
        beside = GraspCandidate(p.truth.position + [0.08, 0.0, 0.005], 0.0, 0.06)
        assert trials.attempt(beside) is False
        assert trials.repeats == [[1.0, 1.0], [0.0, 0.0]]  # a cube held by its faces holds at any friction
        assert friction() == placed


def test_the_ceiling_scores_the_generated_trials_by_their_repeats():
    figures = ceiling(2, seed=7, repeats=1, position_error_m=0.002, yaw_error_rad=math.radians(2.0))
    plain = generate(2, seed=7, held_out=True)
    assert figures["trials"] == len(plain["label"])  # the same placements and candidates
    assert figures["trials_scored"] == figures["trials"] - figures["unreachable_repeats"]  # one repeat each
    assert 0.5 <= figures["repeat_agreement"] <= 1.0
    assert 0.0 <= figures["top1_precision"] <= 1.0 and 0.0 < figures["base_rate"] < 1.0


@pytest.mark.parametrize("args, message", [(["--repeats", "0"], "repeats must be >= 1"),
                                           (["--position-error-mm", "-1"], "position error must be in"),
                                           (["--yaw-error-deg", "45"], "yaw error must be in"),
                                           (["--placements", "0"], "placements must be >= 1")])
def test_bad_options_are_usage_errors(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_bad_repeats_and_errors_are_rejected_before_any_world_starts():
    with pytest.raises(ValueError, match="repeats"):
        RepeatingTrials(0)
    with pytest.raises(ValueError, match="position error"):
        RepeatingTrials(1, position_error_m=0.5)
