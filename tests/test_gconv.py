"""Group convolutions, group ResNet-22 and attention: exact equivariance is tested, not assumed."""
from __future__ import annotations

import pytest
import torch

from backbones import build_backbone
from backbones.equivariance import equivariance_error
from backbones.gconv import (
    GroupAttention,
    GroupBatchNorm2d,
    GroupConv2d,
    LiftingConv2d,
    UnknownGroupError,
    get_group,
    group_pool,
)
from tracker.model.siamese import SiameseNet
from tracker.model.xcorr import XCorrHead

GROUP_BACKBONES = ["p4_resnet22", "p4m_resnet22", "p4_att_resnet22", "p4m_att_resnet22"]


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).detach().norm() / b.detach().norm())


@pytest.fixture(scope="module")
def images():
    g = torch.Generator().manual_seed(0)
    return {n: torch.rand(2, 3, n, n, generator=g) * 255 for n in (125, 127, 253)}


@pytest.mark.parametrize("name", ["p4", "p4m"])
def test_group_table_matches_the_action_on_images(name):
    group = get_group(name)
    x = torch.randn(1, 2, 7, 7)
    for a in range(group.order):
        assert torch.equal(group.transform(group.transform(x, group.inv(a)), a), x)
        for b in range(group.order):
            assert torch.equal(group.transform(group.transform(x, b), a),
                               group.transform(x, group.mul(a, b)))


def test_rotation_is_counter_clockwise_on_screen():
    x = torch.zeros(3, 3)
    x[1, 2] = 1  # right of the centre
    assert get_group("p4").transform(x, 1)[0, 1] == 1  # rotated by 90 deg CCW: above it


@pytest.mark.parametrize("name", ["p4", "p4m"])
@pytest.mark.parametrize("stride,padding,size", [(1, 1, 9), (2, 0, 11)])
def test_lifting_and_group_convolutions_are_exactly_equivariant(name, stride, padding, size):
    torch.manual_seed(0)
    group = get_group(name)
    n = group.order
    layers = torch.nn.Sequential(LiftingConv2d(group, 3, 4, 3, padding=1, bias=True),
                                 GroupBatchNorm2d(group, 4), torch.nn.ReLU(),
                                 GroupConv2d(group, 4, 5, 3, stride=stride, padding=padding))
    x = torch.randn(2, 3, size, size)
    y = layers(x)
    y = y.view(2, 5, n, *y.shape[-2:])
    for g in range(n):
        got = layers(group.transform(x, g))
        assert rel(got.view_as(y), group.act_regular(y, g)) < 1e-5


def test_group_pooling_gives_invariant_channels():
    group = get_group("p4m")
    conv = LiftingConv2d(group, 3, 2, 5, padding=2)
    x = torch.randn(1, 3, 12, 12)
    ref = group_pool(conv(x), group.order)
    for g in range(group.order):
        assert rel(group_pool(conv(group.transform(x, g)), group.order),
                   group.transform(ref, g)) < 1e-5
    assert torch.allclose(group_pool(conv(x), 8, "mean"), conv(x).view(1, 2, 8, 12, 12).mean(2))


def test_group_batch_norm_shares_statistics_over_the_group_axis():
    bn = GroupBatchNorm2d(get_group("p4"), 3)
    x = torch.randn(4, 3, 4, 5, 5)
    x[:, :, 0] += 5.0  # group slot 0 brighter than the others
    y = bn(x.view(4, 12, 5, 5)).view(4, 3, 4, 5, 5)
    assert bn.running_mean.shape == (3,)
    assert torch.allclose(y.mean(dim=(0, 2, 3, 4)), torch.zeros(3), atol=1e-5)
    # one statistic per field, not per slot: the slots keep their relative offsets
    slot_means = y.mean(dim=(0, 3, 4))
    assert (slot_means[:, 0] - slot_means[:, 1:].mean(1) > 1.0).all()


@pytest.mark.parametrize("name", ["p4", "p4m"])
def test_group_batch_norm_at_inference_equals_its_training_form(name):
    group = get_group(name)
    bn = GroupBatchNorm2d(group, 3)
    for _ in range(3):  # running statistics that differ per field
        bn(torch.randn(4, 3 * group.order, 5, 5) * torch.arange(1.0, 4.0).repeat_interleave(
            group.order)[:, None, None] + 2.0)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([0.5, 2.0, -1.0]))
        bn.bias.copy_(torch.tensor([0.1, -0.3, 0.7]))
    bn.eval()
    x = torch.randn(2, 3 * group.order, 6, 6)
    b, cg, h, w = x.shape
    reference = torch.nn.BatchNorm2d.forward(bn, x.reshape(b, 3, group.order * h, w))
    with torch.inference_mode():
        assert torch.allclose(bn(x), reference.reshape(b, cg, h, w), atol=1e-6)
        cached = bn._repeated()
        assert bn._repeated() is cached
        bn.bias.add_(1.0)  # changed values are seen, never a stale cache
        assert bn._repeated() is not cached
        assert torch.allclose(bn(x), reference.reshape(b, cg, h, w) + 1.0, atol=1e-6)


def test_expanded_filters_are_cached_at_inference_and_rebuilt_when_weights_change():
    conv = GroupConv2d(get_group("p4"), 3, 3, 3, padding=1)
    x = torch.randn(1, 12, 6, 6)
    conv.eval()
    with torch.no_grad():
        a = conv.expanded_weight()
        assert conv.expanded_weight() is a
        conv(x)
        assert conv.expanded_weight() is a
        conv.weight.mul_(2)  # an in-place update, as an optimizer step or load_state_dict does
        b = conv.expanded_weight()
    assert b is not a and torch.allclose(b, 2 * a)
    conv.load_state_dict({"weight": torch.zeros_like(conv.weight)})
    with torch.inference_mode():
        assert conv.expanded_weight().abs().sum() == 0
    # with gradients on, the filter is rebuilt every time so that gradients reach the weights
    conv.train()
    conv.weight.data.normal_()
    conv(x).sum().backward()
    assert conv.weight.grad is not None and conv.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("name", GROUP_BACKBONES)
def test_group_backbones_are_exactly_equivariant_at_5_mod_8(name, images):
    torch.manual_seed(1)
    bb = build_backbone(name, width=1.0).eval()
    group = "p4m" if name.startswith("p4m") else "p4"
    for size in (125, 253):
        errors = equivariance_error(bb, images[size], group)
        assert set(errors) == {"stem", "layer1", "layer2"}
        worst = max(max(v.values()) for v in errors.values())
        assert worst < 1e-5, (size, errors)
    # at 127 the strided layers drop a row and a column: the grid is no longer symmetric
    errors = equivariance_error(bb, images[127], group)
    assert max(errors["layer2"].values()) > 1e-2


@pytest.mark.parametrize("name", GROUP_BACKBONES)
def test_rotating_template_and_search_rotates_the_response_map(name, images):
    torch.manual_seed(2)
    bb = build_backbone(name, width=1.0).eval()
    net = SiameseNet(bb, XCorrHead(bb.out_channels)).eval()
    z, x = images[125][:1], images[253]
    group = get_group("p4m" if name.startswith("p4m") else "p4")
    with torch.no_grad():
        ref = net(z, x)
        assert ref.shape == (2, 1, 17, 17)
        for g in range(1, group.order):
            got = net(group.transform(z, g).contiguous(), group.transform(x, g).contiguous())
            assert rel(got, group.transform(ref, g)) < 1e-5


def test_group_features_permute_with_the_input(images):
    torch.manual_seed(3)
    bb = build_backbone("p4m_resnet22").eval()
    group = bb.group
    with torch.no_grad():
        f = bb.group_features(images[125])
        assert f.shape == (2, bb.out_channels, 8, 5, 5)
        for g in range(8):
            assert rel(bb.group_features(group.transform(images[125], g)),
                       group.act_regular(f, g)) < 1e-5
        assert torch.allclose(f.amax(2), bb(images[125]))


def test_attention_maps_are_returned_and_equivariant(images):
    torch.manual_seed(4)
    bb = build_backbone("p4_att_resnet22", attention=["layer2"]).eval()
    group = bb.group
    with torch.no_grad():
        maps = bb.attention_maps(images[125])
        assert list(maps) == [f"layer2.{i}.attention" for i in range(4)]
        sp = maps["layer2.0.attention"]["spatial"]
        ch = maps["layer2.0.attention"]["channel"]
        assert sp.shape == (2, 4, 24, 24) and ch.shape[0] == 2 and ch.shape[2] == 4
        assert 0 < sp.min() and sp.max() < 1
        rot = bb.attention_maps(group.transform(images[125], 1).contiguous())
        want = group.transform(sp.index_select(1, group.regular_perm(1)), 1)
        assert rel(rot["layer2.0.attention"]["spatial"], want) < 1e-5
        # maps are only kept on request
        bb(images[125])
        assert all(m.last_maps is None for m in bb.modules() if isinstance(m, GroupAttention))
    assert build_backbone("p4_att_resnet22", attention=[]).attention_maps(images[125]) == {}


def test_width_counts_flattened_channels():
    plain = build_backbone("resnet22")
    p4 = build_backbone("p4_resnet22", width=1.0)
    p4m = build_backbone("p4m_resnet22", width=1.0)

    def conv_params(m):
        return sum(p.numel() for n, p in m.named_parameters() if "weight" in n and p.dim() >= 4)

    assert conv_params(p4) * 4 == conv_params(plain)
    assert conv_params(p4m) * 8 == conv_params(plain)
    assert p4.out_channels == 128 and p4m.out_channels == 64
    assert build_backbone("p4_resnet22", width=2.0).out_channels == 256


def test_bad_group_width_and_attention_are_clear_errors():
    with pytest.raises(UnknownGroupError, match="unknown group 'p5'.*p4, p4m"):
        get_group("p5")
    with pytest.raises(ValueError, match="width 0.3 gives 19 channels for the stem.*order 4"):
        build_backbone("p4_resnet22", width=0.3)
    with pytest.raises(ValueError, match="order 8 of group p4m"):
        build_backbone("p4m_resnet22", width=0.6)
    with pytest.raises(ValueError, match="attention stage 'layer3' is unknown"):
        build_backbone("p4_att_resnet22", attention=["layer3"])
