"""`griptalk bench grasp`: the learned grasp-success predictor and the skills, judged by the sim's ground truth.

With `--episodes N` (default 20; the full run is `--episodes 100`, 6 to 8 minutes):

- Held-out trials, N placements of random_urdfs shapes never used in training (900-999), 12
  candidates each, every one tried (griptalk.grasping.generate): `roc_auc`, `accuracy` (at a 0.5
  threshold), `top1_precision` (per placement, the best-scored candidate succeeded) and `base_rate`
  (the share of tried candidates that succeeded); `roc_auc_tilted` on the tilted candidates alone
  (approach at least 10 degrees from vertical). `roc_auc_ci95` and `top1_precision_ci95`: their 95%
  bootstrap intervals over the placements, drawn again (a figure from N placements is only this sure).
- Behaviour, N more held-out placements: the broad sampler proposes 16 candidates, and one is picked
  and tried from the same starting state by the predictor (`first_try_success_with_predictor`), at
  random (`first_try_success_without`) and by the hand-written heuristic (`first_try_success_heuristic`).
  A pick out of the arm's reach passes to the next in that order, as the skill does.
  `tilted_pick_share`: how many of the predictor's tried picks are tilted, `tilted_pick_success`: how
  many of those held (null when none was tilted).
- `score_100_candidates_ms`: median wall-clock time to score 100 candidates from a whole 640 x 480
  depth image (height map and patches included), one torch thread; `score_100_candidates_cpu_ms`:
  the same in the process's CPU time, which leaves out waiting for a busy machine's cores.
- Skills through the skill library on a World (perfect perception, grasps scored by the predictor
  from the rendered depth): `pick_place_success` over N/2 random layouts with two cubes and a bowl
  (put a cube in the bowl or on the other cube, alternately), `drawer_open_success` and
  `drawer_close_success` over N/4 random cabinet poses (open: pulled out at least 90% of the skill's
  pull; closed: within 1 cm). `pick_place_tilted_share`: how many of the grasps the skill made there
  were tilted (read from the arm's joints once it held the cube).
"""
from __future__ import annotations

import random
import time

import numpy as np

from griptalk.grasping import dataset, heuristic
from griptalk.grasping.generate import generate
from griptalk.grasping.heightmap import grasp_patches, object_window
from griptalk.grasping.metrics import bootstrap_interval, roc_auc, top1_precision
from griptalk.grasping.model import GraspPredictor
from griptalk.grasping.sampler import sample_candidates
from griptalk.grasping.trials import GraspTrials, PlacementFailed, configured_camera, kind_names, render_depth_window
from griptalk.skills.drawer import PULL_M
from griptalk.skills.grasps import hand_tilt
from griptalk.skills.library import SkillFailed, SkillLibrary
from griptalk.skills.world_port import WorldPort
from griptalk.types import ObjectRef, PlanStep
from griptalk_sim.scene import COLORS, random_scene
from griptalk_sim.truth import relation_holds
from griptalk_sim.world import World

DEFAULT_EPISODES = 20
BEHAVIOUR_CANDIDATES = 16
TIMING_CANDIDATES, TIMING_REPEATS = 100, 30
OPENED_FRACTION = 0.9
CLOSED_M = 0.01
SETTLE_STEPS = 120
TILTED_RAD = np.radians(10.0)  # grasps tilted at least this much count as tilted


class DepthScorer:
    """`scorer(obj, candidates)` for a WorldPort: the predictor on the World's camera depth around the object."""

    def __init__(self, world: World, predictor: GraspPredictor) -> None:
        self.world, self.predictor, self.camera = world, predictor, world.camera

    def __call__(self, obj, candidates) -> np.ndarray:
        window = object_window(self.camera, obj)
        depth = np.zeros((self.camera.height, self.camera.width), np.float32)
        u0, v0, w, h = window
        depth[v0:v0 + h, u0:u0 + w] = render_depth_window(self.world, self.camera, window)
        return self.predictor.score(obj, candidates, depth, self.camera)


def held_out_figures(predictor: GraspPredictor, trials: GraspTrials, placements: int, seed: int) -> dict:
    data = generate(placements, seed, held_out=True, trials=trials)
    scores = predictor.predict(*dataset.inputs(data))
    labels = data["label"].astype(bool)
    tilted = np.abs(data["tilt"]) >= TILTED_RAD
    groups = data["placement"]
    return {"roc_auc": round(roc_auc(labels, scores), 4),
            "roc_auc_ci95": _rounded(bootstrap_interval(lambda y, s, _: roc_auc(y, s), labels, scores, groups)),
            "accuracy": round(float(np.mean((scores >= 0.5) == labels)), 4),
            "top1_precision": round(top1_precision(labels, scores, groups), 4),
            "top1_precision_ci95": _rounded(bootstrap_interval(top1_precision, labels, scores, groups)),
            "base_rate": round(float(labels.mean()), 4),
            "trials": int(len(labels)),
            "heuristic_roc_auc": round(roc_auc(labels, data["heuristic"]), 4),
            "roc_auc_tilted": _rounded_auc(labels[tilted], scores[tilted]),
            "tilted_trials": int(tilted.sum())}


def _rounded(interval: tuple[float, float]) -> list[float]:
    return [round(value, 4) for value in interval]


def _rounded_auc(labels, scores) -> float | None:
    """roc_auc, or None when the labels hold only successes or only failures."""
    return round(roc_auc(labels, scores), 4) if 0 < labels.sum() < len(labels) else None


def _first_try(trials: GraspTrials, candidates, order) -> tuple[bool, int | None]:
    """Whether the first reachable candidate in `order` held, and which it was."""
    for i in order:
        outcome = trials.attempt(candidates[i])
        if outcome is not None:
            return outcome, i
    return False, None


def behaviour_figures(predictor: GraspPredictor, trials: GraspTrials, grasps: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    kinds = kind_names(held_out=True)
    results = {"with": [], "without": [], "heuristic": []}
    tilted_picks = []  # success of the predictor's picks that were tilted
    while len(results["with"]) < grasps:
        try:
            p = trials.place(str(rng.choice(kinds)), rng)
        except PlacementFailed:
            continue  # the object fell through the table: draw another
        candidates = sample_candidates(p.perceived, BEHAVIOUR_CANDIDATES, rng)
        learned = predictor.predict(*grasp_patches(p.height_map, candidates))
        hand_written = heuristic.score(p.perceived, candidates)
        held, pick = _first_try(trials, candidates, np.argsort(-learned, kind="stable"))
        results["with"].append(held)
        if pick is not None and abs(candidates[pick].tilt) >= TILTED_RAD:
            tilted_picks.append(held)
        results["without"].append(_first_try(trials, candidates, rng.permutation(len(candidates)))[0])
        results["heuristic"].append(_first_try(trials, candidates, np.argsort(-hand_written, kind="stable"))[0])
    return {"first_try_success_with_predictor": round(float(np.mean(results["with"])), 4),
            "first_try_success_without": round(float(np.mean(results["without"])), 4),
            "first_try_success_heuristic": round(float(np.mean(results["heuristic"])), 4),
            "grasps": grasps,
            "tilted_pick_share": round(len(tilted_picks) / grasps, 4),
            "tilted_pick_success": round(float(np.mean(tilted_picks)), 4) if tilted_picks else None}


def scoring_ms(predictor: GraspPredictor, trials: GraspTrials, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    p = trials.place("cube", rng)
    camera = trials.camera
    _, depth = trials.world.render()
    candidates = sample_candidates(p.perceived, TIMING_CANDIDATES, rng)
    predictor.score(p.perceived, candidates, depth, camera)  # warm-up
    wall, cpu = [], []
    for _ in range(TIMING_REPEATS):
        started, started_cpu = time.perf_counter(), time.process_time()
        predictor.score(p.perceived, candidates, depth, camera)
        wall.append((time.perf_counter() - started) * 1000.0)
        cpu.append((time.process_time() - started_cpu) * 1000.0)
    return {"score_100_candidates_ms": round(float(np.median(wall)), 2),
            "score_100_candidates_cpu_ms": round(float(np.median(cpu)), 2)}


def pick_place_figures(predictor: GraspPredictor, layouts: int, seed: int) -> dict:
    rng = random.Random(seed)
    camera = configured_camera()
    successes, tilted = [], []
    for episode in range(layouts):
        a, b, bowl = rng.sample(sorted(COLORS), 3)
        scene = random_scene(seed * 1000 + episode, n_objects=rng.randint(3, 5),
                             required=[("cube", a), ("cube", b), ("bowl", bowl)])
        cube = ObjectRef(f"{a}_cube", "cube", a)
        target, relation = ((ObjectRef(f"{bowl}_bowl", "bowl", bowl), "in") if episode % 2 == 0
                            else (ObjectRef(f"{b}_cube", "cube", b), "on"))
        with World(scene, camera) as world:
            library = SkillLibrary(WorldPort(world, DepthScorer(world, predictor)))
            try:
                library.execute(PlanStep("grasp", cube))
                tilted.append(abs(hand_tilt(library.kin.fk(world.joint_state()[1][:7])[1])) >= TILTED_RAD)
                library.execute(PlanStep("place", cube, target, relation))
            except SkillFailed:
                successes.append(False)
                continue
            world.step(SETTLE_STEPS)
            successes.append(relation_holds(world.object_states(), cube.id, relation, target.id))
    return {"pick_place_success": round(float(np.mean(successes)), 4), "layouts": layouts,
            "pick_place_tilted_share": round(float(np.mean(tilted)), 4) if tilted else None}


def drawer_figures(predictor: GraspPredictor, poses: int, seed: int) -> dict:
    camera = configured_camera()
    opened, closed = [], []
    drawer = ObjectRef("drawer", "drawer")
    for episode in range(poses):
        scene = random_scene(seed * 1000 + 500 + episode, n_objects=1, required=[("drawer", "")])
        with World(scene, camera) as world:
            library = SkillLibrary(WorldPort(world, DepthScorer(world, predictor)))
            try:
                library.execute(PlanStep("open", drawer))
            except SkillFailed:
                pass  # judged from the drawer below
            opened.append(world.drawer_opening_m() >= OPENED_FRACTION * PULL_M)
            try:
                library.execute(PlanStep("close", drawer))
            except SkillFailed:
                pass
            closed.append(opened[-1] and world.drawer_opening_m() <= CLOSED_M)
    return {"drawer_open_success": round(float(np.mean(opened)), 4),
            "drawer_close_success": round(float(np.mean(closed)), 4), "drawer_poses": poses}


def run(episodes: int, seed: int) -> dict:
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    predictor = GraspPredictor()
    metrics: dict = {}
    with GraspTrials() as trials:
        metrics.update(held_out_figures(predictor, trials, episodes, seed))
        metrics.update(behaviour_figures(predictor, trials, episodes, seed + 1))
        metrics.update(scoring_ms(predictor, trials, seed))
    metrics.update(pick_place_figures(predictor, max(1, episodes // 2), seed))
    metrics.update(drawer_figures(predictor, max(1, episodes // 4), seed))
    return metrics
