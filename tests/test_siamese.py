import numpy as np
import torch

from tracker.config import config_from_dict
from tracker.crops import crop_square
from tracker.model.build import build_model
from tracker.model.xcorr import xcorr


def test_xcorr_matches_explicit_sliding_dot_product():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(2, 3, 2, 2, generator=g)
    x = torch.randn(2, 3, 4, 5, generator=g)
    out = xcorr(z, x)
    assert out.shape == (2, 1, 3, 4)
    for b in range(2):
        for i in range(3):
            for j in range(4):
                expected = (z[b] * x[b, :, i:i + 2, j:j + 2]).sum()
                assert torch.allclose(out[b, 0, i, j], expected, atol=1e-5)


def test_one_template_against_a_scale_pyramid():
    z = torch.randn(1, 4, 3, 3)
    x = torch.randn(3, 4, 9, 9)
    out = xcorr(z, x)
    assert out.shape == (3, 1, 7, 7)
    assert torch.allclose(out[2], xcorr(z, x[2:3])[0], atol=1e-5)


def test_one_template_xcorr_equals_a_convolution_and_keeps_gradients():
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(1)
    z = torch.randn(1, 16, 5, 5, generator=g, requires_grad=True)
    x = torch.randn(3, 16, 21, 19, generator=g)
    out = xcorr(z, x)
    ref = F.conv2d(x, z)
    assert out.shape == ref.shape == (3, 1, 17, 15)
    assert torch.allclose(out, ref, rtol=1e-5, atol=1e-4)
    out.sum().backward()
    assert torch.allclose(z.grad, x.sum(0, keepdim=True).unfold(2, 5, 1).unfold(3, 5, 1)
                          .sum((2, 3)), rtol=1e-4, atol=1e-3)


def test_crops_become_contiguous_float_nchw():
    from tracker.crops import to_tensor

    crops = [np.random.default_rng(i).integers(0, 256, (7, 9, 3), dtype=np.uint8)
             for i in range(2)]
    t = to_tensor(crops)
    assert t.dtype == torch.float32 and t.is_contiguous() and t.shape == (2, 3, 7, 9)
    assert torch.equal(t, torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float())


def test_response_map_is_17x17_for_both_backbones():
    for backbone in ("alexnet", "resnet22"):
        cfg = config_from_dict({"model": {"backbone": backbone, "backbone_args": {"width": 0.25}}})
        net = build_model(cfg).eval()
        with torch.no_grad():
            r = net(torch.rand(1, 3, 127, 127) * 255, torch.rand(3, 3, 255, 255) * 255)
        assert tuple(r.shape) == (3, 1, 17, 17), backbone


def test_untrained_models_are_reproducible_from_the_config_seed():
    cfg = config_from_dict({"model": {"backbone": "alexnet", "backbone_args": {"width": 0.25}}})
    a, b = build_model(cfg), build_model(cfg)
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(va, vb), k


def test_crop_square_centres_and_scales():
    img = np.zeros((100, 100, 3), np.uint8)
    img[40:60, 30:50] = 255  # a 20x20 square whose centre is (40, 50) in continuous coordinates
    crop = crop_square(img, (40.0, 50.0), 40.0, 40)
    ys, xs = np.nonzero(crop[:, :, 0] > 127)
    assert abs(xs.mean() - 19.5) < 0.6 and abs(ys.mean() - 19.5) < 0.6
    assert 18 <= xs.max() - xs.min() + 1 <= 22
    # outside the image: the border colour
    crop = crop_square(img, (-500.0, -500.0), 40.0, 16, border_value=(7, 8, 9))
    assert (crop == [7, 8, 9]).all()


def test_turned_crop_shows_rotated_content_upright():
    from tracker.crops import crop_to_image

    img = np.zeros((101, 101, 3), np.uint8)
    center = np.array([50.5, 50.5])
    # a dot 20 px to the right of the centre, after turning the scene 30 degrees CCW
    dot = center + crop_to_image([20.0, 0.0], 30.0)
    img[int(dot[1]), int(dot[0])] = 255
    crop = crop_square(img, center, 61.0, 61, angle=30.0)
    y, x = np.unravel_index(int(crop[:, :, 0].argmax()), crop.shape[:2])
    assert abs(x - (30 + 20)) <= 1 and abs(y - 30) <= 1
    assert np.array_equal(crop_square(img, center, 61.0, 61), crop_square(img, center, 61.0, 61,
                                                                          angle=0.0))
