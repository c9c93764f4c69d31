"""The implicit-equivariance loss (IEN) and the equivariance metric."""
from __future__ import annotations

import pytest
import torch

from backbones import build_backbone
from backbones.equivariance import (
    ImplicitEquivarianceLoss,
    channel_groups,
    equivariance_error,
    get_transforms,
    rotate,
)
from backbones.gconv import TiedBatchNorm2d, UnknownGroupError
from backbones.resnet import CIBottleneck
from tracker.crops import to_tensor
from tracker.data.synthetic import SequenceSpec, generate_sequence


@pytest.fixture(scope="module")
def frames():
    """Generated frames, centre-cropped to 125x125: ``[8, 3, 125, 125]`` RGB 0..255."""
    seq = generate_sequence(SequenceSpec(num_frames=8, width=200, height=160), seed=5)
    return to_tensor([f[17:142, 37:162] for f in seq.frames])


def test_heterogeneous_channel_groups_follow_the_proportions():
    parts = channel_groups(512, [8, 4, 2, 1], [32, 8, 2, 1])
    assert parts == [(0, 47, 8), (376, 23, 4), (468, 11, 2), (490, 22, 1)]
    assert sum(c * s for _, c, s in parts) == 512
    assert channel_groups(256, [4]) == [(0, 64, 4)]
    with pytest.raises(ValueError, match="cannot be split"):
        channel_groups(10, [4])


def test_interpolated_rotation_by_90_matches_rot90():
    x = torch.rand(2, 3, 9, 9)
    assert torch.allclose(rotate(x, 90), torch.rot90(x, 1, (-2, -1)), atol=1e-5)


@pytest.mark.parametrize("form", ["pooled", "regular"])
def test_ien_loss_is_zero_on_an_exactly_equivariant_network(form, frames):
    torch.manual_seed(0)
    p4 = build_backbone("p4_resnet22", width=0.5).eval()
    # the flattened channels of a p4 network are groups of 4 in the regular representation
    loss, terms = ImplicitEquivarianceLoss(["stem", "layer1", "layer2"], "p4", form, [4])(
        p4, frames[:4])
    assert set(terms) == {"stem", "layer1", "layer2"}
    assert loss.item() < 1e-6
    p4m = build_backbone("p4m_resnet22", width=1.0).eval()
    loss, _ = ImplicitEquivarianceLoss(["layer2"], "p4m", "pooled", [8])(p4m, frames[:4])
    assert loss.item() < 1e-6


@pytest.mark.parametrize("form", ["pooled", "regular"])
@pytest.mark.parametrize("transforms", ["p4", "p4m", "c8", "d8"])
def test_ien_loss_is_positive_and_differentiable_on_a_plain_cnn(transforms, form, frames):
    torch.manual_seed(0)
    bb = build_backbone("resnet22", width=0.25)
    loss, terms = ImplicitEquivarianceLoss(["layer1", "layer2"], transforms, form, [4])(
        bb, frames[:2])
    assert loss.item() > 1e-3 and torch.isfinite(loss)
    loss.backward()
    assert bb.stem[0].weight.grad.abs().sum() > 0


def test_ien_backbone_is_a_plain_resnet22_at_inference(frames):
    torch.manual_seed(7)
    plain = build_backbone("resnet22", width=0.5).eval()
    torch.manual_seed(7)
    ien = build_backbone("ien_resnet22", width=0.5, beta=1.0).eval()
    assert plain.state_dict().keys() == ien.state_dict().keys()
    with torch.no_grad():
        assert torch.equal(plain(frames[:2]), ien(frames[:2]))
    assert build_backbone("ien_resnet22", width=0.5, beta=0.0).regularization_loss(frames) is None
    assert plain.regularization_loss(frames) is None
    reg = ien.regularization_loss(frames[:2])
    assert reg is not None and reg.item() > 0


def test_ien_configuration_errors_are_clear():
    with pytest.raises(ValueError, match="channel group size 8 does not divide the 4 rotations"):
        build_backbone("ien_resnet22", form="regular", group_sizes=[8, 4], group_proportions=[1, 1])
    with pytest.raises(UnknownGroupError, match="unknown group 'r5'"):
        build_backbone("ien_resnet22", transforms="r5")
    with pytest.raises(ValueError, match="IEN layer 'layer9' is unknown"):
        build_backbone("ien_resnet22", layers=["layer9"])
    with pytest.raises(ValueError, match="beta must be a non-negative number"):
        build_backbone("ien_resnet22", beta=-1)
    with pytest.raises(ValueError, match="cannot be split"):
        build_backbone("ien_resnet22", width=0.25, group_sizes=[3])


def test_ien_training_makes_a_plain_resnet22_equivariant(frames):
    """200 Adam steps of the IEN loss alone on generated frames cut the measured (pooled-form)
    equivariance error of the tapped stages by at least 5x, without collapsing the features."""
    torch.manual_seed(0)
    bb = build_backbone("ien_resnet22", width=0.25, beta=1.0, layers=["layer1", "layer2"])
    train, held_out = frames[:6], frames[6:]

    def measure():
        bb.eval()
        with torch.no_grad():
            errors = equivariance_error(bb, held_out, "p4")
            spread = bb(held_out).std(dim=(2, 3)).mean().item()
        bb.train()
        return {k: max(v.values()) for k, v in errors.items()}, spread

    before, spread_before = measure()
    opt = torch.optim.Adam(bb.parameters(), lr=1e-3)
    for _ in range(200):
        idx = torch.randint(0, len(train), (4,))
        loss = bb.regularization_loss(train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    after, spread_after = measure()
    print(f"\nIEN 200 steps: error before {before}, after {after}; "
          f"feature spread {spread_before:.3f} -> {spread_after:.3f}")
    for stage in ("layer1", "layer2"):
        assert after[stage] * 5 <= before[stage], (before, after)
    # not equivariant by becoming constant: features still vary over the image
    assert spread_after >= 0.5 * spread_before


def test_equivariance_error_reports_every_stage_and_element(frames):
    bb = build_backbone("resnet22", width=0.25).eval()
    errors = equivariance_error(bb, frames[:2], "d8")
    assert list(errors) == ["stem", "layer1", "layer2"]
    t = get_transforms("d8")
    assert list(errors["layer2"]) == [t.label(e) for e in range(1, 16)]
    assert all(0.01 < v < 10 for v in errors["layer2"].values())
    with pytest.raises(ValueError, match="regular form of a p4 network needs transforms inside p4"):
        equivariance_error(build_backbone("p4_resnet22").eval(), frames[:1], "p4m", "regular")


def _shift_inside_groups(x: torch.Tensor, size: int, k: int) -> torch.Tensor:
    b, c, h, w = x.shape
    return torch.roll(x.reshape(b, c // size, size, h, w), k, dims=2).reshape(b, c, h, w)


def test_tied_batch_norm_commutes_with_a_shift_inside_its_groups_where_plain_does_not():
    torch.manual_seed(0)
    tied, plain = TiedBatchNorm2d(3, 4), torch.nn.BatchNorm2d(12)
    for bn in (tied, plain):
        with torch.no_grad():
            bn.weight.uniform_(0.5, 2.0)
            bn.bias.uniform_(-1.0, 1.0)
    # channels of a group with different statistics: what makes per-channel BN break the shift
    scale = torch.linspace(0.5, 3.0, 12).view(1, 12, 1, 1)
    for _ in range(5):  # training-mode batches fill the running statistics
        x = torch.randn(6, 12, 7, 7) * scale + scale
        for bn in (tied, plain):
            bn.train()
            got = bn(_shift_inside_groups(x, 4, 1))
            want = _shift_inside_groups(bn(x), 4, 1)
            if bn is tied:
                assert torch.allclose(got, want, atol=1e-5)
    x = torch.randn(2, 12, 7, 7) * scale + scale
    for bn in (tied, plain):
        bn.eval()
    assert torch.allclose(tied(_shift_inside_groups(x, 4, 3)),
                          _shift_inside_groups(tied(x), 4, 3), atol=1e-5)
    assert not torch.allclose(plain(_shift_inside_groups(x, 4, 3)),
                              _shift_inside_groups(plain(x), 4, 3), atol=1e-2)


def test_ien_tie_bn_ties_every_batch_norm_and_round_trips_its_state(frames):
    torch.manual_seed(3)
    bb = build_backbone("ien_resnet22", width=0.25, form="regular", tie_bn=True)
    norms = [m for m in bb.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms and all(isinstance(m, TiedBatchNorm2d) and m.group_order == 4 for m in norms)
    assert all(m.bn3.weight.detach().abs().sum().item() == 0 for m in bb.modules()
               if isinstance(m, CIBottleneck))
    bb.train()
    bb.regularization_loss(frames[:2]).backward()
    again = build_backbone("ien_resnet22", width=0.25, form="regular", tie_bn=True)
    again.load_state_dict(bb.state_dict())
    bb.eval(), again.eval()
    with torch.no_grad():
        assert torch.equal(bb(frames[:2]), again(frames[:2]))
        assert bb(frames[:2]).shape == (2, 128, 5, 5)
    with pytest.raises(ValueError, match="tie_bn needs one channel group size"):
        build_backbone("ien_resnet22", width=0.25, group_sizes=[4, 2], group_proportions=[1, 1],
                       tie_bn=True)
