"""The detector's training set-up: the assigner rule for objects inside containers."""
import torch

from griptalk.perception.train_detector import assign_nested_objects


def test_anchors_shared_by_a_container_and_what_is_in_it_go_to_the_smaller_box():
    assign_nested_objects()
    from ultralytics.utils.tal import TaskAlignedAssigner

    xs = torch.arange(4, 64, 8.0)  # an 8 x 8 grid of anchors, 8 px apart
    anchors = torch.stack(torch.meshgrid(xs, xs, indexing="xy"), -1).reshape(-1, 2)
    bowl, cube = [4.0, 4.0, 60.0, 60.0], [24.0, 24.0, 40.0, 40.0]
    boxes, labels = torch.tensor([[bowl, cube]]), torch.tensor([[[1.0], [0.0]]])
    # Every anchor predicts the bowl, confidently: stock, that gives it anchors on the cube.
    predicted = torch.tensor(bowl).expand(1, len(anchors), 4).clone()
    scores = torch.full((1, len(anchors), 8), 0.1)
    scores[..., 1] = 0.9
    _, _, _, foreground, owner = TaskAlignedAssigner(topk=10, num_classes=8)(
        scores, predicted, anchors, labels, boxes, torch.ones(1, 2, 1))
    on_cube = ((anchors - 32.0).abs() < 8.0).all(1)
    assert foreground[0, on_cube].all() and (owner[0, on_cube] == 1).all()
    assert (foreground[0] & (owner[0] == 0)).sum() >= 5  # the bowl keeps anchors of its own


def test_a_fresh_class_head_replaces_the_trained_one_and_keeps_the_box_branch():
    from types import SimpleNamespace

    from ultralytics.nn.tasks import DetectionModel

    from griptalk.perception.train_detector import MODEL_CONFIG, reset_class_head

    model = DetectionModel(MODEL_CONFIG, nc=8, verbose=False)
    head = model.model[-1]
    with torch.no_grad():
        for p in list(head.cv3.parameters()) + list(head.cv2.parameters()):
            p.fill_(0.5)  # "trained" weights
    reset_class_head(SimpleNamespace(names={i: str(i) for i in range(8)}, model=model))
    assert all(torch.all(p == 0.5) for p in head.cv2.parameters())
    new_head = DetectionModel(MODEL_CONFIG, nc=8, verbose=False).model[-1]
    for classes, new_classes in zip(head.cv3, new_head.cv3):
        assert not torch.all(classes[-1].weight == 0.5)
        assert torch.equal(classes[-1].bias, new_classes[-1].bias)  # the class prior of an untrained head
