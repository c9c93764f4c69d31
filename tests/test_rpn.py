"""SiamRPN head, anchors, targets, losses and tracker."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image

from backbones import build_backbone
from tracker.boxes import xywh_to_cxcywh
from tracker.config import TrackingConfig
from tracker.crops import crop_square, mean_color, to_tensor
from tracker.inference.siamrpn import SiamRPNTracker
from tracker.model.anchors import (
    anchor_iou,
    anchor_targets,
    batch_anchor_targets,
    decode,
    encode,
    generate_anchors,
)
from tracker.model.build import HEADS
from tracker.model.rpn import (
    DepthwiseRPNHead,
    flatten_cls,
    flatten_loc,
    rpn_loss,
    xcorr_depthwise,
)
from tracker.model.siamese import SiameseNet, check_compatible
from tracker.model.xcorr import XCorrHead, siamfc_loss, siamfc_targets

RATIOS = (0.33, 0.5, 1.0, 2.0, 3.0)
RPN_CFG = dataclasses.replace(TrackingConfig(), window_influence=0.44)


def _net(backbone: str = "alexnet", hidden: int = 16, seed: int = 0) -> SiameseNet:
    torch.manual_seed(seed)
    bb = build_backbone(backbone, width=0.25)
    return SiameseNet(bb, DepthwiseRPNHead(bb.out_channels, hidden=hidden))


def _unflatten(flat: torch.Tensor, anchor_num: int, size: int) -> torch.Tensor:
    """Inverse of flatten_cls / flatten_loc: ``[B, A*s*s, K] -> [B, K*A, s, s]``."""
    b, _, k = flat.shape
    grid = flat.view(b, anchor_num, size, size, k).permute(0, 4, 1, 2, 3)
    return grid.reshape(b, k * anchor_num, size, size)


# ----------------------------------------------------------------------------- head


@pytest.mark.parametrize("backbone,z_size,x_size", [("resnet22", 127, 255),
                                                    ("resnet22", 125, 253),
                                                    ("alexnet", 127, 255)])
def test_rpn_head_outputs_17x17_maps_with_2A_cls_and_4A_loc_channels(backbone, z_size, x_size):
    net = _net(backbone).eval()
    with torch.no_grad():
        z_feat = net.template(torch.rand(1, 3, z_size, z_size) * 255)
        cls, loc = net.track(z_feat, torch.rand(2, 3, x_size, x_size) * 255)  # 1 template, 2 crops
        cls_pairs, loc_pairs = net(torch.rand(2, 3, z_size, z_size) * 255,
                                   torch.rand(2, 3, x_size, x_size) * 255)
    assert tuple(cls.shape) == (2, 10, 17, 17) and tuple(loc.shape) == (2, 20, 17, 17)
    assert tuple(cls_pairs.shape) == (2, 10, 17, 17) and tuple(loc_pairs.shape) == (2, 20, 17, 17)


def test_xcorr_depthwise_matches_an_explicit_loop():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 6, 7, generator=g)
    z = torch.randn(2, 3, 2, 3, generator=g)
    out = xcorr_depthwise(x, z)
    assert out.shape == (2, 3, 5, 5)
    for b in range(2):
        for c in range(3):
            for i in range(5):
                for j in range(5):
                    expected = (x[b, c, i:i + 2, j:j + 3] * z[b, c]).sum()
                    assert torch.allclose(out[b, c, i, j], expected, atol=1e-5)
    # one template serves a batch of searches
    assert torch.allclose(xcorr_depthwise(x, z[:1])[1], xcorr_depthwise(x[1:], z[:1])[0],
                          atol=1e-5)
    with pytest.raises(ValueError, match="do not match"):
        xcorr_depthwise(x, torch.randn(2, 4, 2, 2))


def test_head_with_wrong_channels_fails_at_build_time_naming_both_counts():
    bb = build_backbone("alexnet", width=0.25)  # 64 channels
    head = DepthwiseRPNHead(128, hidden=8)
    with pytest.raises(ValueError, match=r"expects 128-channel .* outputs 64 channels"):
        check_compatible(bb, head)
    with pytest.raises(ValueError, match=r"expects 128-channel .* outputs 64 channels"):
        SiamRPNTracker(SiameseNet(bb, head), RPN_CFG)  # before any frame is seen
    with pytest.raises(ValueError, match=r"built for 128-channel .* have 64 channels"):
        head(torch.zeros(1, 64, 6, 6), torch.zeros(1, 64, 22, 22))


def test_rpn_head_registry_entry_builds_the_depthwise_head_with_its_own_anchor_shapes():
    head = HEADS.build("rpn", 64, hidden=8, ratios=(0.5, 1.0, 2.0))
    assert isinstance(head, DepthwiseRPNHead) and head.anchor_num == 3 and head.in_channels == 64
    assert head.anchors(8, 5).shape == (3 * 25, 4)
    assert np.allclose(head.anchors(8, 5), generate_anchors(8, (0.5, 1.0, 2.0), score_size=5))


# ----------------------------------------------------------------------------- anchors


def test_anchors_sit_on_the_stride_grid_centred_like_the_siamfc_response():
    s, stride = 17, 8
    anchors = generate_anchors(stride, RATIOS, (8,), score_size=s)
    assert anchors.shape == (5 * s * s, 4)
    grid = anchors.reshape(5, s, s, 4)
    i, j = np.mgrid[0:s, 0:s]
    for a in range(5):
        # SiamFCTracker: displacement = (peak - (s-1)/2) * stride, x from the column
        np.testing.assert_allclose(grid[a, :, :, 0], (j - (s - 1) / 2) * stride)
        np.testing.assert_allclose(grid[a, :, :, 1], (i - (s - 1) / 2) * stride)
    assert np.all(grid[:, s // 2, s // 2, :2] == 0)  # the centre cell is the crop centre


def test_anchor_areas_are_stride_times_scale_squared_and_ratio_is_h_over_w():
    anchors = generate_anchors(8, RATIOS, (4, 8), score_size=3).reshape(10, 9, 4)
    for r_idx, r in enumerate(RATIOS):
        for s_idx, scale in enumerate((4, 8)):
            w, h = anchors[r_idx * 2 + s_idx, 0, 2:]  # ratio-major, then scale
            assert np.isclose(w * h, (8 * scale) ** 2)
            assert np.isclose(h / w, r)
            assert np.all(anchors[r_idx * 2 + s_idx, :, 2:] == [w, h])


def test_flattened_head_outputs_follow_the_anchor_order():
    a, s = 5, 4
    cls = torch.arange(2 * a * s * s, dtype=torch.float32).view(1, 2 * a, s, s)
    loc = torch.arange(4 * a * s * s, dtype=torch.float32).view(1, 4 * a, s, s)
    flat_cls, flat_loc = flatten_cls(cls, a), flatten_loc(loc, a)
    for n in (0, 7, s * s + 5, a * s * s - 1):
        k, rest = divmod(n, s * s)
        i, j = divmod(rest, s)
        assert [flat_cls[0, n, c].item() for c in range(2)] == \
            [cls[0, c * a + k, i, j].item() for c in range(2)]
        assert [flat_loc[0, n, c].item() for c in range(4)] == \
            [loc[0, c * a + k, i, j].item() for c in range(4)]
    assert torch.equal(_unflatten(flat_loc, a, s), loc)


# ----------------------------------------------------------------------------- targets


def test_an_anchor_equal_to_the_ground_truth_is_positive_with_zero_deltas():
    anchors = generate_anchors(8, RATIOS, (8,), score_size=17)
    k = 2 * 289 + 8 * 17 + 10  # ratio 1, row 8, column 10
    labels, targets, weights = anchor_targets(anchors, anchors[k], num_pos=10_000,
                                              num_total=10_000, rng=np.random.default_rng(0))
    assert labels[k] == 1
    np.testing.assert_allclose(targets[k], 0.0, atol=1e-7)
    npos = int((labels == 1).sum())
    assert np.isclose(weights[k], 1.0 / npos) and np.isclose(weights.sum(), 1.0)
    assert np.all(weights[labels != 1] == 0)
    # anchors far from the target overlap nothing: negative; in-between overlaps are ignored
    far = np.abs(anchors[:, 0] - anchors[k, 0]) > 100
    assert np.all(labels[far] == 0)
    iou = anchor_iou(anchors, anchors[k])
    assert np.all(labels[(iou >= 0.3) & (iou < 0.6)] == -1)
    assert np.all(labels[iou < 0.3] == 0) and np.all(labels[iou >= 0.6] == 1)


def test_sampling_caps_positives_and_total_and_is_reproducible():
    anchors = generate_anchors(8, RATIOS, (8,), score_size=17)
    gt = np.array([0.0, 0.0, 70.0, 60.0])
    unsampled, _, _ = anchor_targets(anchors, gt, num_pos=10_000, num_total=10_000,
                                     rng=np.random.default_rng(0))
    assert (unsampled == 1).sum() > 16  # enough positives for the cap to matter
    labels, _, weights = anchor_targets(anchors, gt, rng=np.random.default_rng(1))
    assert (labels == 1).sum() == 16 and (labels >= 0).sum() == 64
    assert np.isclose(weights.sum(), 1.0) and np.all(unsampled[labels == 1] == 1)
    again, _, _ = anchor_targets(anchors, gt, rng=np.random.default_rng(1))
    assert np.array_equal(labels, again)
    # no positives at all (tiny target): only negatives, no regression weight
    labels, _, weights = anchor_targets(anchors, [0, 0, 4, 4], rng=np.random.default_rng(0))
    assert (labels == 1).sum() == 0 and (labels == 0).sum() == 64 and weights.sum() == 0


def test_decode_inverts_encode_for_numpy_and_tensors():
    rng = np.random.default_rng(0)
    anchors = generate_anchors(8, RATIOS, (8,), score_size=5)
    boxes = np.column_stack([rng.uniform(-50, 50, (len(anchors), 2)),
                             rng.uniform(5, 200, (len(anchors), 2))])
    deltas = encode(anchors, boxes)
    np.testing.assert_allclose(decode(anchors, deltas), boxes, rtol=1e-9, atol=1e-9)
    t = decode(anchors, torch.from_numpy(deltas))
    assert isinstance(t, torch.Tensor)
    np.testing.assert_allclose(t.numpy(), boxes, rtol=1e-9, atol=1e-9)
    huge = decode(anchors[:1], np.array([[0.0, 0.0, 1e4, -1e4]]))
    assert np.all(np.isfinite(huge)) and huge[0, 3] > 0  # wild outputs stay finite


# ----------------------------------------------------------------------------- losses


def test_rpn_loss_is_near_zero_for_perfect_predictions_and_trains_otherwise():
    a, s = 5, 17
    anchors = generate_anchors(8, RATIOS, (8,), score_size=s)
    labels, targets, weights = batch_anchor_targets(
        anchors, np.array([[3.0, -5.0, 70.0, 50.0], [-20.0, 10.0, 40.0, 90.0]]),
        np.random.default_rng(0))
    sign = 2.0 * (labels == 1).float() - 1.0  # +1 positives, -1 elsewhere
    logits = 20.0 * torch.stack([-sign, sign], -1)  # (background, target)
    cls, loc = _unflatten(logits, a, s), _unflatten(targets, a, s)
    total, parts = rpn_loss(cls, loc, labels, targets, weights)
    assert total.item() < 1e-6 and parts["loc"].item() < 1e-9

    g = torch.Generator().manual_seed(0)
    cls = torch.randn(2, 2 * a, s, s, generator=g, requires_grad=True)
    loc = torch.randn(2, 4 * a, s, s, generator=g, requires_grad=True)
    total, parts = rpn_loss(cls, loc, labels.numpy(), targets.numpy(), weights.numpy())
    assert parts["cls"].item() > 0.1 and parts["loc"].item() > 0.1
    assert torch.isclose(total, parts["cls"] + 1.2 * parts["loc"])
    total.backward()
    assert cls.grad.abs().sum() > 0 and loc.grad.abs().sum() > 0
    # ignored anchors get no gradient
    ignored = _unflatten((labels == -1).float()[..., None].expand(-1, -1, 2), a, s).bool()
    assert cls.grad[ignored].abs().max() == 0


def test_rpn_loss_gradients_reach_the_backbone():
    net = _net("alexnet", hidden=8)
    cls, loc = net(torch.rand(1, 3, 127, 127) * 255, torch.rand(1, 3, 255, 255) * 255)
    anchors = generate_anchors(8, RATIOS, (8,), score_size=cls.size(-1))
    targets = batch_anchor_targets(anchors, np.array([[0.0, 0.0, 64.0, 64.0]]),
                                   np.random.default_rng(0))
    total, _ = rpn_loss(cls, loc, *targets)
    total.backward()
    first = next(net.backbone.parameters())
    assert first.grad is not None and first.grad.abs().sum() > 0


def test_siamfc_labels_mark_a_disk_of_radius_R_over_stride_with_balanced_weights():
    labels, weights = (t[0, 0].numpy() for t in siamfc_targets(torch.zeros(1, 4), 17, 8, 16))
    assert labels.shape == (17, 17) and labels.sum() == 13  # disk of radius 2 cells
    assert labels[8, 8] == 1 and labels[8, 10] == 1 and labels[9, 10] == 0
    assert np.isclose(weights[labels > 0].sum(), 0.5) and np.isclose(weights.sum(), 1.0)


def test_siamfc_loss_is_near_zero_when_perfect_log2_at_zero_and_trains():
    labels = siamfc_targets(torch.zeros(1, 4), 17, 8, 16)[0][0, 0].numpy()
    perfect = torch.from_numpy(np.where(labels > 0, 30.0, -30.0)).float().view(1, 1, 17, 17)
    assert siamfc_loss(perfect.expand(2, -1, -1, -1)).item() < 1e-9
    response = torch.zeros(2, 1, 17, 17, requires_grad=True)
    loss = siamfc_loss(response)
    assert np.isclose(loss.item(), np.log(2.0), atol=1e-6)  # weights sum to 1 per map
    loss.backward()
    assert response.grad[0, 0, 8, 8] < 0 < response.grad[0, 0, 0, 0]  # raise centre, lower rest


# ----------------------------------------------------------------------------- tracker


def test_untrained_rpn_tracker_runs_through_got10k_track(easy_sequence, tmp_path):
    seq = easy_sequence
    files = []
    for i, frame in enumerate(seq.frames[:8]):
        path = tmp_path / f"{i:04d}.png"
        Image.fromarray(frame).save(path)
        files.append(str(path))
    net = _net("alexnet", hidden=16)
    calls = []
    net.backbone.register_forward_hook(lambda m, i, o: calls.append(tuple(i[0].shape)))
    tracker = SiamRPNTracker(net, RPN_CFG, name="rpn", backend="torch")  # the hook sees torch
    boxes, times = tracker.track(files, seq.boxes[0])
    assert boxes.shape == (8, 4) and times.shape == (8,)
    h, w = seq.frames[0].shape[:2]
    assert np.all(np.isfinite(boxes))
    centres = xywh_to_cxcywh(boxes)
    assert np.all((centres[:, 0] >= 0) & (centres[:, 0] <= w))
    assert np.all((centres[:, 1] >= 0) & (centres[:, 1] <= h))
    assert np.all((boxes[:, 2] >= RPN_CFG.min_size) & (boxes[:, 2] <= w))
    assert np.all((boxes[:, 3] >= RPN_CFG.min_size) & (boxes[:, 3] <= h))
    # template features once in init, then one search crop per frame
    assert calls[0] == (1, 3, 127, 127) and calls[1:] == [(1, 3, 255, 255)] * 7


def test_head_rejects_an_anchor_count_its_shapes_do_not_give_and_tracker_rotation_options():
    bb = build_backbone("alexnet", width=0.25)
    with pytest.raises(ValueError, match="anchor_num 3 anchors per cell but 5 ratios x 1 scales"):
        DepthwiseRPNHead(bb.out_channels, hidden=8, anchor_num=3)
    with pytest.raises(ValueError, match="needs an RPN head .* got XCorrHead"):
        SiamRPNTracker(SiameseNet(bb, XCorrHead(bb.out_channels)), RPN_CFG)
    if hasattr(RPN_CFG, "estimate_rotation"):  # rotation estimation is SiamFC-only for now
        net = _net("alexnet", hidden=8)
        with pytest.raises(ValueError, match="estimate_rotation"):
            SiamRPNTracker(net, dataclasses.replace(RPN_CFG, estimate_rotation=True))


def _training_crops(seq, frames, rng):
    """Template crop of frame 0 and search crops of ``frames`` (shifted off-centre), with the
    ground truth in each search crop's centred frame (cxcywh)."""
    cfg = RPN_CFG

    def side(box):
        p = cfg.context * (box[2] + box[3])
        return float(np.sqrt((box[2] + p) * (box[3] + p)))

    img0 = seq.frames[0]
    gt0 = xywh_to_cxcywh(seq.boxes[0])
    z = crop_square(img0, gt0[:2], side(seq.boxes[0]), cfg.exemplar_size, mean_color(img0))
    crops, gts = [], []
    for f in frames:
        gt = xywh_to_cxcywh(seq.boxes[f])
        x_sz = side(seq.boxes[f]) * cfg.instance_size / cfg.exemplar_size
        centre = gt[:2] + rng.uniform(-0.12, 0.12, 2) * x_sz
        img = seq.frames[f]
        crops.append(crop_square(img, centre, x_sz, cfg.instance_size, mean_color(img)))
        scale = cfg.instance_size / x_sz
        gts.append(np.concatenate([(gt[:2] - centre) * scale, gt[2:] * scale]))
    return to_tensor([z]), to_tensor(crops), np.array(gts)


def test_a_few_dozen_rpn_steps_on_one_sequence_reduce_the_loss(easy_sequence):
    rng = np.random.default_rng(0)
    z, x, gts = _training_crops(easy_sequence, range(2, 30, 3), rng)
    net = _net("alexnet", hidden=32, seed=1)
    # the frozen random backbone is run once; the head, targets and loss are what is exercised
    with torch.no_grad():
        z_feat, x_feat = net.template(z), net.backbone(x)
    head = net.head.train()
    anchors = generate_anchors(net.backbone.stride, RATIOS, (8,), score_size=17)
    labels, targets, weights = batch_anchor_targets(anchors, gts, rng)
    assert (labels == 1).sum(1).min() > 0  # every crop has positives
    opt = torch.optim.Adam(head.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        cls, loc = head(z_feat, x_feat)
        total, _ = rpn_loss(cls, loc, labels, targets, weights)
        opt.zero_grad()
        total.backward()
        opt.step()
        losses.append(total.item())
    first, last = np.mean(losses[:10]), np.mean(losses[-10:])
    assert last < 0.5 * first, losses


class _OracleHead(DepthwiseRPNHead):
    """An RPN head that always proposes anchor ``index`` (target logit 10, others 0), deltas 0."""

    def __init__(self, in_channels: int, index: int, size: int = 17, anchor_num: int = 5):
        super().__init__(in_channels, hidden=1)
        flat = torch.zeros(1, anchor_num * size * size, 2)
        flat[0, index, 1] = 10.0
        self.fixed_cls = _unflatten(flat, anchor_num, size)
        self.fixed_loc = torch.zeros(1, 4 * anchor_num, size, size)

    def forward(self, z_feat, x_feat):
        return self.fixed_cls, self.fixed_loc


def test_tracker_moves_the_box_to_the_proposed_anchor_in_image_coordinates(easy_sequence):
    s, (i, j) = 17, (5, 12)  # 3 rows up, 4 columns right of the centre
    n = 2 * s * s + i * s + j  # the 64 x 64 anchor (ratio 1)
    bb = build_backbone("alexnet", width=0.25)
    cfg = dataclasses.replace(RPN_CFG, window_influence=0.0)
    tracker = SiamRPNTracker(SiameseNet(bb, _OracleHead(bb.out_channels, n)), cfg,
                             backend="torch")  # a Python oracle: nothing to export
    frame = easy_sequence.frames[0]
    tracker.init(frame, [100.0, 80.0, 48.0, 36.0])
    box = tracker.update(frame)

    w, h = 48.0, 36.0
    z_sz = np.sqrt((w + (w + h) / 2) * (h + (w + h) / 2))
    scale_z = cfg.exemplar_size / z_sz  # crop pixels per image pixel
    centre = np.array([124.0, 98.0]) + np.array([(j - 8) * 8, (i - 8) * 8]) / scale_z
    # the penalty of a 64x64 proposal against the (w, h) target, in crop pixels
    tw, th = w * scale_z, h * scale_z
    sz = lambda a, b: np.sqrt((a + (a + b) / 2) * (b + (a + b) / 2))  # noqa: E731
    s_c = max(sz(64, 64) / sz(tw, th), sz(tw, th) / sz(64, 64))
    r_c = max(tw / th, th / tw)
    penalty = np.exp(-(r_c * s_c - 1) * 0.04)
    lr = penalty * (1 / (1 + np.exp(-10.0))) * 0.33
    size = np.array([w, h]) * (1 - lr) + 64 / scale_z * lr
    np.testing.assert_allclose(box, np.concatenate([centre - size / 2, size]), rtol=1e-6)


def test_rpn_head_regresses_the_own_size_or_the_extent_as_its_box_size_says():
    target = torch.tensor([[4.0, -2.0, 90.0, 80.0]])  # extent of a turned 60x40 target
    size = torch.tensor([[60.0, 40.0]])
    out = (torch.zeros(1, 10, 17, 17), torch.zeros(1, 20, 17, 17))
    got = {}
    for box_size in ("own", "extent"):
        head = DepthwiseRPNHead(16, hidden=8, box_size=box_size)
        anchors = head.anchors(8, 17)
        want = target if box_size == "extent" else torch.cat([target[:, :2], size], 1)
        ref = batch_anchor_targets(anchors, want.numpy(), np.random.default_rng(0))
        labels, reg, weights = head.targets(out, target, 8, None, np.random.default_rng(0),
                                            size=size)
        assert torch.equal(labels, ref[0]) and torch.equal(reg, ref[1])
        got[box_size] = reg
    assert not torch.equal(got["own"], got["extent"])
    with pytest.raises(ValueError, match="needs the targets' own sizes"):
        DepthwiseRPNHead(16, hidden=8).targets(out, target, 8, None, np.random.default_rng(0))
    with pytest.raises(ValueError, match="box_size 'area' is unknown; known: own, extent"):
        DepthwiseRPNHead(16, hidden=8, box_size="area")
