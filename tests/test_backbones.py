import pytest
import torch

from backbones import UnknownBackboneError, backbone_names, build_backbone

EXPECTED = {  # name -> {input side: output side}
    "alexnet": {127: 6, 255: 22},
    "resnet22": {125: 5, 127: 5, 253: 21, 255: 21},
}


def test_registry_holds_the_plain_backbones():
    assert {"alexnet", "resnet22"} <= set(backbone_names())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_backbone_output_shapes_at_template_and_search_sizes(name):
    net = build_backbone(name, width=0.25).eval()
    for side, out in EXPECTED[name].items():
        y = net(torch.rand(2, 3, side, side) * 255)
        assert tuple(y.shape) == (2, net.out_channels, out, out)
    assert net.stride == 8


def test_full_width_channel_counts():
    assert build_backbone("alexnet").out_channels == 256
    assert build_backbone("resnet22").out_channels == 512


def test_unknown_backbone_lists_known_names():
    with pytest.raises(UnknownBackboneError) as e:
        build_backbone("resnet9000")
    assert "resnet9000" in str(e.value) and "resnet22" in str(e.value)


def test_unknown_backbone_argument_is_named():
    with pytest.raises(TypeError, match="depth"):
        build_backbone("resnet22", depth=50)


def test_normalization_is_inside_the_backbone():
    net = build_backbone("alexnet", width=0.25).eval()
    x = torch.full((1, 3, 127, 127), 128.0)
    # a constant mid-grey image maps to small normalized values, not to 128
    normalized = (x - net.pixel_mean) / net.pixel_std
    assert normalized.abs().max() < 1.0


def test_backbone_rejects_wrong_input_layout():
    net = build_backbone("alexnet", width=0.25)
    with pytest.raises(ValueError, match=r"\[B, 3, H, W\]"):
        net(torch.rand(1, 127, 127, 3))
