"""In-plane orientation of the target from group-resolved features (RE-SiamNets' idea).

At ``init`` a bank of template features is built for angles ``0, step, 2*step, ...`` degrees:
the template crop is rotated by every angle in ``[0, 90)`` (bilinear, from a larger crop so the
corners hold image content) and, for group backbones, the remaining quarter turns come for free
by the regular representation (maps rotated by ``rot90``, group axis permuted): exact, no extra
forward pass. Plain backbones compute every angle directly. At each frame the bank is correlated
with the search features (one grouped conv), the scores at the tracked position are compared
across angles, the change from the previous estimate is limited to ``max_change`` degrees
(a motion constraint), and the best angle is refined by a parabola through its neighbours.

Angles are in degrees, counter-clockwise on screen (:mod:`tracker.boxes`), relative to the
first frame. For an exactly equivariant backbone at its exact sizes, rotating the search crop
by 90 degrees adds exactly 90 degrees to the estimate.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from backbones.equivariance import rotate
from tracker.errors import ConfigError
from tracker.model.angle_head import vector_to_degrees

# share of the filter's belief spread evenly over all bins each frame (see _filtered)
BELIEF_FLOOR = 1e-12


class OrientationEstimator:
    """Template bank over rotations and the per-frame angle estimate.

    ``backbone``: any :class:`backbones.base.Backbone` (uses :meth:`group_features`).
    ``step``: angular resolution of the bank in degrees (must divide 90).
    ``max_change``: largest change of the estimate per frame, degrees (180 = unconstrained).
    ``min_gain``: the estimate moves only when the best allowed angle scores at least this
    fraction above the bank angle nearest the predicted one (0 = always move); a flat score
    curve, as on an upright target with a weak response, then leaves the angle at the
    prediction. ``velocity``: smoothing rate of a constant-angular-velocity motion model; the
    turn per frame ``omega`` is ``(1 - velocity) * omega + velocity * (last change)`` and the
    next angle is predicted as ``angle + omega``, the centre of the ``max_change`` window (0 =
    no motion model: the prediction is the last estimate).

    ``filter`` > 0 replaces the window, gate and motion model by a Bayesian histogram filter
    over the absolute angle (360 bins of 1 degree): each frame the belief diffuses by a wrapped
    Gaussian of ``noise`` degrees (the prior on the turn per frame), then is multiplied by the
    likelihood ``exp(filter * (s - max s) / |max s|)`` of the bank scores ``s`` (interpolated
    trigonometrically between bank angles, shifted by the search crop's turn; the max is the
    interpolated curve's), with a floor of ``BELIEF_FLOOR`` of the mass on every bin. The
    estimate is the belief's mode, refined by the circular mean of its neighbourhood. A flat score curve leaves
    the belief where it was; a wrong peak for one frame moves it little; evidence that persists
    over frames wins even far from the last estimate, so a lost turn can be found again.
    ``max_turn`` > 0 adds the turn per frame to the filter's state (bins of 0.5 degrees a frame
    in ``[-max_turn, max_turn]``, prior a Gaussian of ``max_turn / 2`` around 0): each frame
    every angle moves by its turn before diffusing, and a turn keeps its rate with
    probability 0.9 or moves one bin (a constant-angular-velocity model whose rate is inferred
    from the accumulated evidence, not from one frame's change).

    ``head`` (a :class:`tracker.model.angle_head.AngleHead`, or None) replaces the bank's
    choice: each frame it reads the template's features and the search window under the tracked
    cell and predicts the target's angle ``a`` in the search crop; the estimate moves
    ``head_gain`` of the way from the last one to ``offset + a``, by at most ``max_change``.
    The bank is still built (the filter and :meth:`scores` use it), so either way can run.

    ``reach`` > 0 scores each bank angle by its best correlation within ``reach`` response
    cells of the tracked cell (a square), not at the cell alone.

    ``upright`` > 0 keeps an upright hypothesis beside the estimate (bank path, not with
    ``filter``): each update measures the estimate's advantage over the absolute angle 0,
    ``(s(est) - s(0)) / |s(est)|`` (scores interpolated trigonometrically,
    :func:`periodic_interpolation`), and averages it with rate ``upright_rate`` (1 = this
    frame only); while the average is below ``upright`` the estimate returns to 0 and the
    motion model's turn is reset. Most video is upright, and an estimate that drifted on a
    deforming upright target (limbs, viewpoint) never finds its way back by small steps; a
    target that really turned scores lower at 0 frame after frame, so its average clears the
    margin, while one frame's lucky angle on an upright target does not.
    """

    def __init__(self, backbone, step: float = 15.0, max_change: float = 30.0,
                 min_gain: float = 0.0, velocity: float = 0.0, filter: float = 0.0,
                 noise: float = 5.0, max_turn: float = 0.0, head=None,
                 head_gain: float = 1.0, upright: float = 0.0,
                 upright_rate: float = 1.0, reach: int = 0) -> None:
        if step <= 0 or abs(90.0 / step - round(90.0 / step)) > 1e-9:
            raise ValueError(f"rotation_step must divide 90 degrees, got {step}")
        # filter, noise and max_turn come validated from tracker.config (tracking.rotation_*)
        self.filter = float(filter)
        self.grid = torch.arange(-180.0, 180.0, 1.0, dtype=torch.float64)  # filter bins, degrees
        n = int(round(float(max_turn) / 0.5))
        self.turns = torch.arange(-n, n + 1, dtype=torch.float64) * 0.5  # [T] degrees a frame
        spread = max(float(max_turn) / 2.0, 1e-6)
        prior = torch.exp(-0.5 * (self.turns / spread) ** 2)
        self.turn_prior = prior / prior.sum()
        # one frame's motion of each turn rate: a wrapped Gaussian of `noise` degrees centred on
        # the turn, as the spectrum of a circular convolution over 1-degree bins: [T, 181]
        moves = torch.arange(360, dtype=torch.float64)  # bin offsets, index = offset mod 360
        d = (moves.view(1, -1) - self.turns.view(-1, 1) + 180.0) % 360.0 - 180.0
        kernel = torch.exp(-0.5 * (d / float(noise)) ** 2)
        self.motion = torch.fft.rfft(kernel / kernel.sum(dim=1, keepdim=True), dim=1)
        self.belief = self._point_belief()
        self.backbone, self.step, self.max_change = backbone, float(step), float(max_change)
        self.min_gain = float(min_gain)
        self.velocity = float(velocity)
        self.upright, self.upright_rate = float(upright), float(upright_rate)
        self.reach = int(reach)
        self.advantage = 0.0  # running mean of the estimate's relative score gain over 0
        self.omega = 0.0  # smoothed turn per frame, degrees
        self.angles = torch.arange(0.0, 360.0, self.step, dtype=torch.float64)
        self.bank: torch.Tensor | None = None  # [K, C*G, h, w], unit norm per angle
        self.head, self.head_gain = head, float(head_gain)
        self.template: torch.Tensor | None = None  # [1, C*G, h, w], the head's reference
        self.angle = 0.0

    @torch.no_grad()
    def set_template(self, big: torch.Tensor, size: int) -> None:
        """Build the bank from ``big`` ``[1, 3, L, L]`` (RGB 0..255, the template region with
        margin, L >= size * sqrt(2)), whose centre ``size`` x ``size`` crop is the template."""
        self.bank = self._bank(big, size)
        if self.head is not None:
            o = (big.size(-1) - size) // 2
            z = self.backbone.group_features(big[..., o:o + size, o:o + size]).flatten(1, 2)
            if tuple(z.shape[1:]) != (self.head.in_channels, self.head.size, self.head.size):
                raise ConfigError(f"model.angle_head was trained on [{self.head.in_channels}, "
                                  f"{self.head.size}, {self.head.size}] template features; "
                                  f"this template gives {list(z.shape[1:])} (another "
                                  f"tracking.exemplar_size?)")
            self.template = z
        self.angle = 0.0
        self.omega = 0.0
        self.advantage = 0.0
        self.belief = self._point_belief()

    def _point_belief(self) -> torch.Tensor:
        """``[T, 360]`` (turn rate x angle) all belief on 0 degrees (the first frame's angle),
        the turn rate by its prior."""
        b = torch.zeros(len(self.turns), len(self.grid), dtype=torch.float64)
        b[:, 180] = self.turn_prior
        return b

    def _predict(self) -> torch.Tensor:
        """The belief one frame on: every angle moved by its turn rate and diffused by the
        angle noise (a circular convolution per rate, by FFT), the rates mixed with their
        neighbours."""
        spectrum = torch.fft.rfft(self.belief, dim=1) * self.motion
        moved = torch.fft.irfft(spectrum, n=self.belief.size(1), dim=1).clamp_min(0.0)
        if len(self.turns) > 1:
            mixed = 0.9 * moved
            mixed[1:] += 0.05 * moved[:-1]
            mixed[:-1] += 0.05 * moved[1:]
            mixed[0] += 0.05 * moved[0]  # the end bins keep what would leave the range
            mixed[-1] += 0.05 * moved[-1]
            moved = mixed
        return moved

    @torch.no_grad()
    def refresh(self, big: torch.Tensor, size: int, rate: float) -> None:
        """Blend the bank towards one built from ``big`` (as in :meth:`set_template`, cropped
        turned by the current estimate, so the target stands as in the first frame): each
        angle's entry becomes ``(1 - rate) * old + rate * new``, renormalized. Follows the
        target's changing appearance without moving the angle reference."""
        fresh = self._bank(big, size)
        mixed = (1.0 - rate) * self.bank + rate * fresh
        self.bank = mixed / mixed.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1, 1)

    def _bank(self, big: torch.Tensor, size: int) -> torch.Tensor:
        """``[K, C*G, h, w]`` template features at every bank angle, unit norm per angle."""
        group = getattr(self.backbone, "group", None) if self.backbone.group_order > 1 else None
        o = (big.size(-1) - size) // 2
        base = [a for a in self.angles.tolist() if a < 90.0] if group else self.angles.tolist()
        crops = torch.cat([(rotate(big, a) if a else big)[..., o:o + size, o:o + size]
                           for a in base])
        feats = self.backbone.group_features(crops)  # [len(base), C, G, h, w]
        bank = {}
        for a, f in zip(base, feats):
            bank[a] = f
            if group is not None:
                for r in (1, 2, 3):  # quarter turns: the regular representation, exactly
                    bank[a + 90.0 * r] = group.act_regular(f, r, dim=1)
        stack = torch.stack([bank[a] for a in self.angles.tolist()]).flatten(1, 2)
        return stack / stack.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1, 1)

    def scores(self, x_group: torch.Tensor) -> torch.Tensor:
        """Correlation of every bank entry with search features ``x_group`` ``[1, C, G, H, W]``
        (one search crop): ``[K, H-h+1, W-w+1]``."""
        return F.conv2d(x_group.flatten(1, 2), self.bank.to(x_group.dtype))[0]

    def scores_near(self, x_group: torch.Tensor, cell: tuple[int, int]
                    ) -> tuple[torch.Tensor, tuple[int, int]]:
        """:meth:`scores` at the response cells within ``reach`` of ``cell`` only (the ones
        :meth:`update` reads): ``([K, a, b], cell's (row, col) in them)``, ``a, b <= 2 reach +
        1``. The same correlations to float rounding, on a window of the search features: the
        whole map cost 1.3 ms a frame (width-0.25 IEN, 285-pixel search), the window about 0.4."""
        h, w = self.bank.shape[-2:]
        oh, ow = x_group.size(-2) - h + 1, x_group.size(-1) - w + 1
        r, c, n = int(cell[0]), int(cell[1]), self.reach
        r0, r1 = max(r - n, 0), min(r + n + 1, oh)
        c0, c1 = max(c - n, 0), min(c + n + 1, ow)
        window = x_group.flatten(1, 2)[:, :, r0:r1 + h - 1, c0:c1 + w - 1]
        return F.conv2d(window, self.bank.to(window.dtype))[0], (r - r0, c - c0)

    @torch.no_grad()
    def observe(self, x_group: torch.Tensor, cell: tuple[int, int], offset: float = 0.0) -> float:
        """New angle estimate from one search crop's group features ``x_group`` ``[1, C, G, H,
        W]`` at response cell ``(row, col)``, the crop turned by ``offset`` degrees: the learned
        head where there is one, else the bank's scores (:meth:`scores`, :meth:`update`)."""
        if self.head is None:
            scores, near = self.scores_near(x_group, cell)
            return self.update(scores, near, offset)
        s = self.head.size
        r, c = int(cell[0]), int(cell[1])
        window = x_group.flatten(1, 2)[:, :, r:r + s, c:c + s]
        seen = float(vector_to_degrees(self.head(self.template.to(window.dtype), window))[0])
        change = (offset + seen - self.angle + 180.0) % 360.0 - 180.0
        change = max(-self.max_change, min(self.max_change, self.head_gain * change))
        self.angle = (self.angle + change + 180.0) % 360.0 - 180.0
        return self.angle

    def update(self, scores: torch.Tensor, cell: tuple[int, int], offset: float = 0.0) -> float:
        """New angle estimate (degrees CCW from the first frame, in ``[-180, 180)``) from
        ``scores`` ``[K, h, w]`` at the tracked response cell ``(row, col)`` of a search crop
        turned by ``offset`` degrees (the scores then measure the residual turn on top of it);
        respects ``max_change`` from the last estimate (with ``filter`` > 0 the histogram
        filter decides instead). The estimator owns :attr:`angle`."""
        r, c, n = int(cell[0]), int(cell[1]), self.reach
        # each angle's best score near the cell: a turned template peaks a cell or so off the
        # position the fused (windowed) response chose
        s = scores[:, max(r - n, 0):r + n + 1, max(c - n, 0):c + n + 1].amax(dim=(1, 2)).double()
        if self.filter > 0:
            self.angle = self._filtered(s, offset)
            return self.angle
        k = len(s)
        start = self.angle - offset
        centre = start + self.omega  # the motion model's prediction (the last angle without it)
        diff = (self.angles - centre + 180.0) % 360.0 - 180.0
        # the nearest bank angle always stays a candidate, even when max_change < step
        allowed = (diff.abs() <= self.max_change + 1e-9) | (diff.abs() == diff.abs().min())
        best = int(torch.argmax(torch.where(allowed, s, torch.full_like(s, -math.inf))))
        gated = False
        if self.min_gain > 0:
            here = int(torch.argmin(diff.abs()))
            gated = float(s[best] - s[here]) < self.min_gain * abs(float(s[here]))
        if gated:
            est = centre
        else:
            prev, nxt = s[(best - 1) % k], s[(best + 1) % k]
            curve = float(prev - 2 * s[best] + nxt)
            delta = 0.5 * float(prev - nxt) / curve if curve < 0 else 0.0
            est = centre + float(diff[best]) + max(-0.5, min(0.5, delta)) * self.step
            # the refinement may not step outside the allowed range either
            est = centre + max(-self.max_change, min(self.max_change, est - centre))
        if self.velocity > 0:
            change = (est - start + 180.0) % 360.0 - 180.0
            self.omega = (1.0 - self.velocity) * self.omega + self.velocity * change
        residual = (est + 180.0) % 360.0 - 180.0
        self.angle = (offset + residual + 180.0) % 360.0 - 180.0
        if self.upright > 0:
            # scores index the residual turn in a crop turned by offset: absolute 0 is -offset
            at = torch.tensor([-offset, residual], dtype=torch.float64)
            zero, here = periodic_interpolation(s, at).tolist()
            gain = (here - zero) / max(abs(here), 1e-12) if self.angle != 0.0 else 0.0
            r = self.upright_rate
            self.advantage = (1.0 - r) * self.advantage + r * gain
            if self.advantage < self.upright:
                self.angle, self.omega = 0.0, 0.0
        return self.angle

    def _filtered(self, s: torch.Tensor, offset: float) -> float:
        """One predict / update step of the histogram filter on bank scores ``s`` ``[K]`` of a
        search crop turned by ``offset`` degrees; returns the new estimate in ``[-180, 180)``."""
        curve = periodic_interpolation(s, self.grid - offset)
        # log-likelihood <= 0 (relative to the interpolated curve's own peak, which may
        # overshoot the samples), so exp never overflows
        scale = max(abs(float(s.max())), 1e-12)
        like = torch.exp(self.filter * (curve - curve.max()) / scale)
        # a floor of BELIEF_FLOOR of the mass spread evenly: every angle stays reachable by the
        # same amount on every platform (FFT round-off alone would leave ~1e-16, or exact zeros)
        prior = (1.0 - BELIEF_FLOOR) * self._predict() + BELIEF_FLOOR / self.belief.numel()
        belief = prior * like
        total = float(belief.sum())
        # a likelihood that underflows everywhere carries no usable evidence: keep the prior
        self.belief = belief / total if math.isfinite(total) and total > 0 else prior
        marginal = self.belief.sum(dim=0)  # [360] over the angle
        mode = int(torch.argmax(marginal))
        near = torch.arange(mode - 5, mode + 6) % len(self.grid)
        rad = torch.deg2rad(self.grid[near])
        wts = marginal[near]
        mean = math.degrees(math.atan2(float((wts * rad.sin()).sum()),
                                       float((wts * rad.cos()).sum())))
        return (mean + 180.0) % 360.0 - 180.0


def periodic_interpolation(samples: torch.Tensor, at_deg: torch.Tensor) -> torch.Tensor:
    """Trigonometric interpolation of ``samples`` ``[K]``, a periodic curve sampled at
    ``0, 360/K, ...`` degrees, evaluated at ``at_deg`` ``[N]`` degrees: the band-limited curve
    through the samples. Unlike linear interpolation its peak can sit between samples, so a
    target turned a few degrees off the bank's angles scores highest where it really is."""
    k = len(samples)
    coef = torch.fft.rfft(samples.double())  # [K // 2 + 1]
    weight = torch.full((len(coef),), 2.0 / k, dtype=torch.float64)
    weight[0] = 1.0 / k
    if k % 2 == 0:
        weight[-1] = 1.0 / k  # the Nyquist term appears once
    freq = torch.arange(len(coef), dtype=torch.float64)
    phase = torch.deg2rad(at_deg.double()).view(-1, 1) * freq.view(1, -1)  # [N, K // 2 + 1]
    return (torch.cos(phase) * coef.real - torch.sin(phase) * coef.imag) @ weight
