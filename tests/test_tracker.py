import numpy as np
import pytest
from conftest import record_search_calls
from PIL import Image

from tracker.boxes import iou_xywh
from tracker.errors import ConfigError
from tracker.inference.build import build_tracker


@pytest.mark.parametrize("backbone", ["alexnet", "resnet22", "p4_resnet22", "p4m_att_resnet22"])
def test_untrained_tracker_follows_a_distinctive_moving_target(easy_sequence, backbone):
    # random features still match a distinctive texture: centre tracking must hold throughout
    t = build_tracker(f"configs/siamfc_{backbone}.yaml", overrides=["model.backbone_args.width=0.25"])
    seq = easy_sequence
    t.init(seq.frames[0], seq.boxes[0])
    boxes = np.array([t.update(f) for f in seq.frames[1:]])
    ious = iou_xywh(boxes, seq.boxes[1:])
    assert ious.mean() > 0.5, ious
    assert ious.min() > 0.2, ious


def test_got10k_track_accepts_file_names_and_pil_or_numpy(easy_sequence, tmp_path,
                                                          tiny_tracker_config):
    seq = easy_sequence
    files = []
    for i, f in enumerate(seq.frames[:5]):
        path = tmp_path / f"{i:04d}.png"
        Image.fromarray(f).save(path)
        files.append(str(path))
    t = build_tracker(tiny_tracker_config)
    boxes, times = t.track(files, seq.boxes[0])  # got10k's loop: PIL images
    assert boxes.shape == (5, 4) and times.shape == (5,)
    t.init(seq.frames[0], seq.boxes[0])  # numpy RGB
    np.testing.assert_allclose(t.update(seq.frames[1]), boxes[1], atol=1e-4)


def test_tracker_survives_target_leaving_the_frame_and_tiny_targets(easy_sequence,
                                                                      tiny_tracker_config):
    t = build_tracker(tiny_tracker_config)
    frame = easy_sequence.frames[0]
    t.init(frame, [300, 220, 15, 15])  # near the corner
    blank = np.zeros_like(frame)
    for _ in range(30):
        box = t.update(blank)
        assert np.all(np.isfinite(box)) and box[2] > 0 and box[3] > 0
    t.init(frame, [100, 100, 2, 2])  # a target of a few pixels
    for f in easy_sequence.frames[1:10]:
        box = t.update(f)
        assert np.all(np.isfinite(box)) and min(box[2:]) >= 2 - 1e-9


def test_init_rejects_boxes_outside_the_image(easy_sequence, tiny_tracker_config):
    t = build_tracker(tiny_tracker_config)
    with pytest.raises(ValueError, match="outside"):
        t.init(easy_sequence.frames[0], [1000, 10, 20, 20])
    with pytest.raises(ValueError, match="positive"):
        t.init(easy_sequence.frames[0], [10, 10, 0, 20])


def test_unknown_tracker_kind_is_a_config_error():
    with pytest.raises(ConfigError, match="tracker"):
        build_tracker(overrides=["tracking.tracker=kcf"])


def test_exact_equivariance_refuses_sizes_that_break_it():
    cfg = "configs/siamfc_p4_resnet22.yaml"
    with pytest.raises(ConfigError, match=r"tracking.exemplar_size 127 breaks exact equivariance "
                                          r"of P4ResNet22: sizes must be 5 mod 8 \(e.g. 125 or 133\)"):
        build_tracker(cfg, overrides=["tracking.exemplar_size=127"])
    with pytest.raises(ConfigError, match="CIResNet22 is not group-equivariant"):
        build_tracker(cfg, overrides=["model.backbone=resnet22"])
    # without the demand, any size runs (approximately equivariant)
    build_tracker(cfg, overrides=["tracking.exemplar_size=127",
                                  "tracking.exact_equivariance=false"])


@pytest.mark.parametrize("config", ["siamrpn_resnet22", "siamrpn_p4_resnet22"])
def test_siamrpn_trackers_build_from_their_configs_and_track(easy_sequence, config):
    t = build_tracker(f"configs/{config}.yaml", overrides=["model.backbone_args.width=0.25"])
    seq = easy_sequence
    t.init(seq.frames[0], seq.boxes[0])
    h, w = seq.frames[0].shape[:2]
    for f in seq.frames[1:6]:
        x, y, bw, bh = t.update(f)
        assert 0 <= x + bw / 2 <= w and 0 <= y + bh / 2 <= h and bw > 0 and bh > 0


def test_tracker_and_head_must_match_and_head_channels_fit_the_backbone():
    from backbones import build_backbone
    from tracker.model.build import build_head
    from tracker.model.siamese import SiameseNet

    with pytest.raises(ConfigError, match="tracking.tracker 'siamfc' cannot read a DepthwiseRPNHead head"):
        build_tracker("configs/siamrpn_resnet22.yaml", overrides=["tracking.tracker=siamfc"])
    bb = build_backbone("alexnet", width=0.25)
    with pytest.raises(ValueError, match="expects 512-channel features but backbone AlexNet "
                                         "outputs 64 channels"):
        SiameseNet(bb, build_head("rpn", 512, hidden=32))


def test_bicubic_matrix_upsamples_exactly_as_opencv():
    import cv2

    from tracker.inference.siamfc import bicubic_matrix

    r = np.random.default_rng(0).normal(size=(3, 17, 17)).astype(np.float32)
    a = bicubic_matrix(17, 272)
    ref = np.stack([cv2.resize(x, (272, 272), interpolation=cv2.INTER_CUBIC) for x in r])
    got = a @ r @ a.T
    assert got.shape == (3, 272, 272)
    assert np.abs(got - ref).max() < 1e-5 * np.abs(ref).max()
    assert [int(np.argmax(x)) for x in got] == [int(np.argmax(x)) for x in ref]


def test_unknown_scale_search_is_a_config_error_naming_the_value():
    with pytest.raises(ConfigError, match="tracking.scale_search must be one of pyramid, "
                                          "templates, filter, got 'zoom'"):
        build_tracker(overrides=["tracking.scale_search=zoom"])


@pytest.mark.parametrize("rotation_aware", [False, True])
@pytest.mark.parametrize("scale_search", ["templates", "filter"])
def test_scale_templates_and_filter_track_with_one_search_crop_a_frame(easy_sequence,
                                                                       scale_search,
                                                                       rotation_aware):
    # the scale hypotheses live in the templates (scale_num of them, of equal energy) or in the
    # scale filter (one template): either way one crop a frame goes through the backbone, and
    # the shipped model still follows the card
    t = build_tracker(checkpoint="default",
                      overrides=[f"tracking.scale_search={scale_search}",
                                 f"tracking.rotation_aware={str(rotation_aware).lower()}"])
    calls = record_search_calls(t)
    seq = easy_sequence
    t.init(seq.frames[0], seq.boxes[0])
    n = t.cfg.scale_num if scale_search == "templates" else 1
    assert t.kernel.shape[0] == n
    norms = t.kernel.flatten(1).norm(dim=1)
    np.testing.assert_allclose(norms.numpy(), norms[n // 2].item(), rtol=1e-5)
    calls.clear()
    boxes = np.array([t.update(f) for f in seq.frames[1:]])
    assert [k for k, _ in calls] == [1] * (len(seq.frames) - 1)
    assert iou_xywh(boxes, seq.boxes[1:]).mean() > 0.5


@pytest.mark.parametrize("scale_search", ["pyramid", "templates", "filter"])
@pytest.mark.parametrize("zoom", [1.1, 1 / 1.1])
def test_both_scale_searches_grow_and_shrink_the_box_with_the_target(easy_sequence, zoom,
                                                                    scale_search):
    import cv2

    seq = easy_sequence
    frame = seq.frames[0]
    cx, cy = seq.boxes[0][:2] + seq.boxes[0][2:] / 2
    zoomed = cv2.warpAffine(frame, cv2.getRotationMatrix2D((cx, cy), 0.0, zoom),
                            frame.shape[1::-1], borderMode=cv2.BORDER_REFLECT)
    t = build_tracker(checkpoint="default", overrides=[f"tracking.scale_search={scale_search}",
                                                       "tracking.rotation_aware=false"])
    t.init(frame, seq.boxes[0])
    before = t.target_sz.copy()
    for _ in range(3):
        t.update(zoomed)
    grown = float(np.sqrt(np.prod(t.target_sz / before)))
    assert (grown > 1.02) if zoom > 1 else (grown < 1 / 1.02), grown


def test_siamrpn_refuses_the_template_scale_search():
    with pytest.raises(ConfigError, match="does not support tracking.scale_search=templates"):
        build_tracker("configs/siamrpn_resnet22_w025.yaml",
                      overrides=["tracking.scale_search=templates"])
