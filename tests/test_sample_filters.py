"""The sample filters (DSST's one-dimensional filter over scales, and over turns) on generated
frames."""
import cv2
import numpy as np
import pytest

from tracker.crops import area_square, crop_rect, crop_rects
from tracker.inference.handcrafted import cell_features, window_features
from tracker.inference.sample_filters import ScaleFilter, TurnFilter


def _zoomed(frame, center, zoom):
    m = cv2.getRotationMatrix2D((float(center[0]) - 0.5, float(center[1]) - 0.5), 0.0, zoom)
    return cv2.warpAffine(frame, m, frame.shape[1::-1], borderMode=cv2.BORDER_REFLECT)


@pytest.mark.parametrize("zoom", [1.0, 1.08, 1 / 1.08, 1.15, 1 / 1.15])
def test_scale_filter_reads_a_zoom_of_the_target_off_its_samples(easy_sequence, zoom):
    frame, box = easy_sequence.frames[0], easy_sequence.boxes[0]
    center, size = box[:2] + box[2:] / 2, box[2:]
    f = ScaleFilter(num=17, step=1.03)
    f.fit(f.samples(frame, center, size), 1.0)
    # the same size asked for on the zoomed scene: one estimate lands within a step of the
    # zoom, on its side of 1 (it leans towards no change, so the tracker converges over frames:
    # test_both_scale_searches_grow_and_shrink_the_box_with_the_target)
    got = f.estimate(f.samples(_zoomed(frame, center, zoom), center, size))
    assert abs(np.log(got / zoom)) < np.log(1.03), got
    if zoom == 1.0:
        assert abs(np.log(got)) < np.log(1.03) / 10, got
    else:
        assert np.sign(np.log(got)) == np.sign(np.log(zoom)), got


def test_scale_filter_follows_a_turned_target_when_sampled_at_its_angle(easy_sequence):
    frame, box = easy_sequence.frames[0], easy_sequence.boxes[0]
    center, size = box[:2] + box[2:] / 2, box[2:]
    f = ScaleFilter()
    f.fit(f.samples(frame, center, size), 1.0)
    m = cv2.getRotationMatrix2D((float(center[0]) - 0.5, float(center[1]) - 0.5), 30.0, 1.1)
    turned = cv2.warpAffine(frame, m, frame.shape[1::-1], borderMode=cv2.BORDER_REFLECT)
    got = f.estimate(f.samples(turned, center, size, angle=30.0))
    assert abs(np.log(got / 1.1)) < np.log(1.03) / 2, got


def test_window_features_of_a_batch_equal_each_windows_cell_features():
    rng = np.random.default_rng(0)
    wins = rng.integers(0, 256, (3, 34, 34, 3), dtype=np.uint8)
    batch = window_features(wins, 8, 4)
    assert batch.shape == (3, 12, 8, 8)
    for w, b in zip(wins, batch):
        np.testing.assert_array_equal(cell_features(w, 8, 4), b)


def test_scale_filter_rejects_bad_parameters_and_response_before_fit():
    with pytest.raises(ValueError, match="num must be odd"):
        ScaleFilter(num=4)
    with pytest.raises(RuntimeError, match="before fit"):
        ScaleFilter().response(np.zeros((17, 768), np.float32))


@pytest.mark.parametrize("antialias", [False, True, "once"])
@pytest.mark.parametrize("turn", [-9.0, -4.0, 4.0, 9.0])
def test_turn_filter_reads_a_turn_of_the_target_off_its_samples(easy_sequence, turn, antialias):
    frame, box = easy_sequence.frames[0], easy_sequence.boxes[0]
    center, size = box[:2] + box[2:] / 2, box[2:]
    # context 2: squares twice the target's side, which shrink the image and so are
    # antialiased when asked; "once": the region they cover is averaged once first
    f = TurnFilter(num=21, step=3.0, context=2.0 if antialias else 1.0,
                   antialias=bool(antialias), once=antialias == "once")
    f.fit(f.samples(frame, center, size), 1.0)
    m = cv2.getRotationMatrix2D((float(center[0]) - 0.5, float(center[1]) - 0.5), turn, 1.0)
    turned = cv2.warpAffine(frame, m, frame.shape[1::-1], borderMode=cv2.BORDER_REFLECT)
    # the samples about the old angle: the filter's peak is the turn, to half a step
    got = f.estimate(f.samples(turned, center, size))
    assert abs(got - turn) < 1.5, got
    # sampled about the true angle, it sees no turn
    assert abs(f.estimate(f.samples(turned, center, size, angle=turn))) < 1.0


def test_turn_samples_averaged_once_stay_near_those_averaged_each_and_need_antialias(
        easy_sequence):
    frame, box = easy_sequence.frames[0], easy_sequence.boxes[0]
    center = box[:2] + box[2:] / 2
    # a target three times the generated one: its squares shrink the image about 5x
    size = 3.0 * box[2:]
    each = TurnFilter(num=21, step=3.0, context=2.0, antialias=True)
    once = TurnFilter(num=21, step=3.0, context=2.0, antialias=True, once=True)
    plain = TurnFilter(num=21, step=3.0, context=2.0)
    x_each, x_once, x_plain = (f.samples(frame, center, size, 7.0) for f in (each, once, plain))
    # both average before sampling: they agree far better than either with bilinear sampling
    assert np.abs(x_once - x_each).mean() < 0.5 * np.abs(x_plain - x_each).mean()
    with pytest.raises(ValueError, match="once needs antialias"):
        TurnFilter(once=True)


def test_an_area_square_is_the_image_averaged_and_keeps_the_centre():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    region, c, scale = area_square(image, (80.0, 60.0), 30.0, 2.5, (0, 0, 0))
    assert region.shape[0] == region.shape[1] and scale == pytest.approx(61 / region.shape[0])
    # the centre maps to the same content: a crop of the region at the shrunk size equals,
    # to within the averaging, an area-averaged crop of the image
    a = crop_rects(region, c, [[24.0 / scale, 24.0 / scale]], (8, 8))[0].astype(float)
    b = cv2.resize(image[48:72, 68:92], (8, 8), interpolation=cv2.INTER_AREA).astype(float)
    assert np.abs(a - b).mean() < 12.0
    # past the image's edge: the border value
    region, _, _ = area_square(image, (2.0, 2.0), 20.0, 2.0, (255, 255, 255))
    assert (region[0, 0] == 255).all()


@pytest.mark.parametrize("shift", [1, 5, -13, 36])
def test_a_circle_of_samples_reads_a_cyclic_shift_as_exactly_that_many_steps(shift):
    # a turn of the target by k steps cycles a full circle of samples by k: the periodic
    # filter's answer moves by exactly k, with no pull towards its middle sample
    rng = np.random.default_rng(2)
    x = rng.normal(size=(72, 48)).astype(np.float32)
    f = TurnFilter(num=72, step=5.0, circle=True)
    f.fit(x, 1.0)
    rolled = np.roll(x, shift, axis=0)
    want = f.offset(x) + (shift + 36) % 72 - 36
    assert f.offset(rolled) == pytest.approx(want, abs=1e-6)


@pytest.mark.parametrize("turn", [-40.0, -12.0, 7.0, 25.0])
def test_a_circle_of_samples_reads_a_turn_of_the_target_without_falling_short(easy_sequence,
                                                                              turn):
    frame, box = easy_sequence.frames[0], easy_sequence.boxes[0]
    center, size = box[:2] + box[2:] / 2, box[2:]
    f = TurnFilter(num=72, step=5.0, circle=True)
    f.fit(f.samples(frame, center, size), 1.0)
    m = cv2.getRotationMatrix2D((float(center[0]) - 0.5, float(center[1]) - 0.5), turn, 1.0)
    turned = cv2.warpAffine(frame, m, frame.shape[1::-1], borderMode=cv2.BORDER_REFLECT)
    got = f.estimate(f.samples(turned, center, size))
    assert abs(got - turn) < 2.0, got
    # a reach of 20 degrees: a larger turn is answered at most that far
    bounded = TurnFilter(num=72, step=5.0, circle=True, reach=20.0)
    bounded.fit(bounded.samples(frame, center, size), 1.0)
    near = bounded.estimate(bounded.samples(turned, center, size))
    assert abs(near) <= 20.0 + 2.5 and (abs(turn) > 20.0 or abs(near - turn) < 2.0), near


def test_turn_filter_context_cuts_squares_that_many_times_wider(easy_sequence):
    frame, box = easy_sequence.frames[0], easy_sequence.boxes[0]
    center, size = box[:2] + box[2:] / 2, box[2:]
    wide, plain = TurnFilter(context=2.0), TurnFilter()
    np.testing.assert_array_equal(wide.samples(frame, center, size, 10.0),
                                  plain.samples(frame, center, 2.0 * size, 10.0))
    with pytest.raises(ValueError, match="context must be > 0, got 0"):
        TurnFilter(context=0.0)


def test_a_circle_of_samples_needs_them_to_close_the_circle():
    with pytest.raises(ValueError, match="num x step = 360 degrees, got 31 x 2.0"):
        TurnFilter(num=31, step=2.0, circle=True)


def test_crop_rects_cuts_each_of_many_angles_as_its_own_crop(easy_sequence):
    frame = easy_sequence.frames[0]
    angles = [-20.0, 0.0, 7.5, 90.0]
    many = crop_rects(frame, (150.3, 110.8), [[40.0, 40.0]], (34, 34), (1, 2, 3), angles)
    assert many.shape == (4, 34, 34, 3)
    for a, crop in zip(angles, many):
        np.testing.assert_array_equal(crop_rect(frame, (150.3, 110.8), (40.0, 40.0), (34, 34),
                                                (1, 2, 3), a), crop)


def test_an_anchored_filter_answers_with_its_first_fit_mixed_in():
    rng = np.random.default_rng(1)
    first, later, probe = (rng.normal(size=(21, 64)).astype(np.float32) for _ in range(3))
    anchored, online, fixed = TurnFilter(anchor=0.4), TurnFilter(), TurnFilter()
    for f in (anchored, online, fixed):
        f.fit(first, 1.0)
    for f in (anchored, online):
        f.fit(later, 0.5)
    np.testing.assert_allclose(anchored.response(probe),
                               0.6 * online.response(probe) + 0.4 * fixed.response(probe),
                               rtol=1e-6, atol=1e-9)
    with pytest.raises(ValueError, match="anchor must lie in"):
        TurnFilter(anchor=1.0)


def test_window_features_of_a_rectangular_grid_equal_those_of_its_square_parts():
    # a 6 x 3 grid is two 3 x 3 grids stacked: the gradient histograms of the cells away from
    # the seam, and every cell's colour, do not depend on the grid around them
    rng = np.random.default_rng(3)
    tall = rng.integers(0, 256, (1, 6 * 4 + 2, 3 * 4 + 2, 3), dtype=np.uint8)
    feats = window_features(tall, (6, 3), 4)
    assert feats.shape == (1, 12, 6, 3)
    top = window_features(np.ascontiguousarray(tall[:, :3 * 4 + 2]), 3, 4)
    bottom = window_features(np.ascontiguousarray(tall[:, 3 * 4:]), 3, 4)
    np.testing.assert_array_equal(feats[0, 9:, :3], top[0, 9:])
    np.testing.assert_array_equal(feats[0, 9:, 3:], bottom[0, 9:])
    # histograms are normalized over each cell's 3 x 3 neighbourhood: rows 0-1 and 4-5 have
    # the same neighbours in the tall grid as in its halves, rows 2-3 see across the seam
    np.testing.assert_allclose(feats[0, :9, :2], top[0, :9, :2], atol=1e-6)
    np.testing.assert_allclose(feats[0, :9, 4:], bottom[0, :9, 1:], atol=1e-6)
    assert not np.allclose(feats[0, :9, 2], top[0, :9, 2], atol=1e-6)
    with pytest.raises(ValueError, match="6 x 3 cells of 4 pixels"):
        window_features(tall[:, :-1], (6, 3), 4)


def test_a_scale_filter_with_the_targets_aspect_has_cells_shaped_like_it():
    assert ScaleFilter(cells=8).grid == (8, 8)
    tall = ScaleFilter(cells=8, aspect=0.4)
    assert tall.grid == (13, 5)  # 65 cells, about 8 x 8: 13 rows along its height, not 8
    assert ScaleFilter(cells=8, aspect=2.5).grid == (5, 13)
    assert ScaleFilter(cells=8, aspect=0.01).grid == (32, 2)  # bounded either way
    with pytest.raises(ValueError, match="aspect must be > 0, got 0"):
        ScaleFilter(aspect=0.0)


@pytest.mark.parametrize("zoom", [1.08, 1 / 1.08, 1.15, 1 / 1.15])
@pytest.mark.parametrize("options", [{"aspect": 0.35}, {"antialias": True},
                                     {"aspect": 0.35, "antialias": True}])
def test_scale_filter_options_read_a_zoom_of_a_tall_target(easy_sequence, zoom, options):
    # the easy target's middle third as a tall target of aspect 0.35; every filter falls a
    # little short of a zoom (the Hann weight over its samples): the square grid of 8 x 8
    # cells by 1.05 steps at 1.15 on this target, so the bound is one and a half steps
    frame, box = easy_sequence.frames[0], easy_sequence.boxes[0]
    center, size = box[:2] + box[2:] / 2, np.array([0.35 * box[3], box[3]])
    f = ScaleFilter(num=17, step=1.03, **options)
    f.fit(f.samples(frame, center, size), 1.0)
    got = f.estimate(f.samples(_zoomed(frame, center, zoom), center, size))
    assert np.sign(np.log(got)) == np.sign(np.log(zoom)), got
    assert abs(np.log(got / zoom)) < 1.5 * np.log(1.03), got


def test_an_antialiased_crop_averages_what_a_bilinear_one_skips():
    # pixel noise shrunk 3x: bilinear sampling keeps most of its contrast (it reads about one
    # pixel in nine), area averaging over 3 x 3 blocks takes two thirds of it away
    noise = np.random.default_rng(4).integers(0, 256, (120, 120, 3), dtype=np.uint8)
    plain = crop_rects(noise, (60.0, 60.0), [[96.0, 96.0]], (32, 32)).astype(float)
    smooth = crop_rects(noise, (60.0, 60.0), [[96.0, 96.0]], (32, 32),
                        antialias=True).astype(float)
    assert smooth.std() < 0.45 * plain.std(), (plain.std(), smooth.std())
    assert abs(smooth.mean() - plain.mean()) < 3
    # a crop that does not shrink the image is the bilinear one
    np.testing.assert_array_equal(
        crop_rects(noise, (60.3, 50.8), [[20.0, 30.0]], (32, 32), angle=15.0, antialias=True),
        crop_rects(noise, (60.3, 50.8), [[20.0, 30.0]], (32, 32), angle=15.0))


def test_an_antialiased_crop_of_a_large_target_is_the_block_mean_of_the_image():
    # a crop 6x bigger than its output: the image is averaged over 3 x 3 blocks once, then
    # the crop over 2 x 2 of those; a crop aligned with the blocks is their 6 x 6 means,
    # wherever it lies, the border included (both crops reach past the image's edges)
    noise = np.random.default_rng(5).integers(0, 256, (150, 160, 3), dtype=np.uint8)
    for cx, cy in ((60.0, 60.0), (87.0, 36.0)):
        got = crop_rects(noise, (cx, cy), [[192.0, 192.0]], (32, 32), (7, 7, 7), antialias=True)
        padded = cv2.copyMakeBorder(noise, 120, 120, 120, 120, cv2.BORDER_CONSTANT,
                                    value=(7, 7, 7))
        x0, y0 = int(cx - 96) + 120, int(cy - 96) + 120
        want = cv2.resize(padded[y0:y0 + 192, x0:x0 + 192], (32, 32),
                          interpolation=cv2.INTER_AREA)
        assert np.abs(got[0].astype(int) - want.astype(int)).max() <= 1


def test_an_antialiased_crop_through_the_block_mean_stays_near_one_warped_at_the_full_multiple():
    # a turned crop about a fractional centre, 9x smaller than its region: averaged over
    # 4 x 4 blocks first, then warped at 3x the output and averaged again. Two box filters
    # in a row blur a little more than one warp at 9x the output averaged over 9 x 9, so on a
    # smooth scene they differ by about a grey level, against 4.6 for bilinear sampling
    rng = np.random.default_rng(6)
    scene = cv2.GaussianBlur(rng.integers(0, 256, (400, 420, 3), dtype=np.uint8), (0, 0), 2.0)
    center, size, angle = (201.3, 197.8), (260.0, 280.0), 20.0
    # 288 pixels hold the region without shrinking it: a plain bilinear warp
    big = crop_rects(scene, center, [size], (288, 288), (0, 0, 0), angle)[0]
    want = cv2.resize(big, (32, 32), interpolation=cv2.INTER_AREA).astype(int)
    got = crop_rects(scene, center, [size], (32, 32), (0, 0, 0), angle, antialias=True)[0]
    plain = crop_rects(scene, center, [size], (32, 32), (0, 0, 0), angle)[0]
    diff, plain_diff = np.abs(got - want), np.abs(plain - want)
    assert diff.mean() < 1.5 and diff.max() <= 6 and plain_diff.mean() > 3, (
        diff.mean(), diff.max(), plain_diff.mean())


def test_an_antialiased_crop_does_not_blur_the_axis_that_does_not_shrink():
    # 40 x 200 pixels into 34 x 34: only the height shrinks, so vertical stripes 4 pixels
    # apart keep their contrast across the width
    stripes = np.zeros((300, 300, 3), np.uint8)
    stripes[:, (np.arange(300) // 2) % 2 == 0] = 255
    plain = crop_rects(stripes, (150.0, 150.0), [[40.0, 200.0]], (34, 34)).astype(float)
    smooth = crop_rects(stripes, (150.0, 150.0), [[40.0, 200.0]], (34, 34),
                        antialias=True).astype(float)
    assert smooth.std() > 0.8 * plain.std(), (plain.std(), smooth.std())



def test_antialiased_crops_of_several_multiples_equal_each_cut_alone():
    # sizes that shrink 1x, 2x, 3x and 2x again: the batch groups crops by their warp
    # multiple and averages each group with one resize, which must change nothing
    noise = np.random.default_rng(6).integers(0, 256, (140, 150, 3), dtype=np.uint8)
    sizes = [[30.0, 30.0], [60.0, 58.0], [95.0, 90.0], [64.0, 66.0]]
    angles = [0.0, 12.5, -40.0, 3.0]
    many = crop_rects(noise, (70.4, 66.2), sizes, (32, 32), (9, 8, 7), angles, antialias=True)
    for size, a, crop in zip(sizes, angles, many):
        alone = crop_rects(noise, (70.4, 66.2), [size], (32, 32), (9, 8, 7), a, antialias=True)
        np.testing.assert_array_equal(alone[0], crop)


def test_window_features_colour_cells_are_each_windows_area_mean():
    # the colour channels of a batch come from one resize of the stacked windows; each must be
    # the mean of its own cells, never of a neighbouring window's rows
    rng = np.random.default_rng(7)
    wins = rng.integers(0, 256, (5, 26, 42, 3), dtype=np.uint8)
    feats = window_features(wins, (6, 10), 4)
    for w, f in zip(wins, feats):
        cells = w[1:-1, 1:-1].astype(float).reshape(6, 4, 10, 4, 3).mean(axis=(1, 3)) / 255.0
        r, g, b = cells[..., 0], cells[..., 1], cells[..., 2]
        # uint8 rounding of the mean: at most half a level
        np.testing.assert_allclose(f[9], (r + g + b) / 3.0 - 0.5, atol=0.6 / 255)
        np.testing.assert_allclose(f[10], 0.5 * (r - g), atol=0.6 / 255)


@pytest.mark.parametrize("half", [30.0, 30.4, 41.7, 55.2])
def test_an_area_square_averages_by_no_less_than_asked(half):
    image = np.random.default_rng(8).integers(0, 256, (160, 160, 3), dtype=np.uint8)
    for factor in (1.7, 2.0, 2.6, 3.3):
        region, _, scale = area_square(image, (80.0, 80.0), half, factor, (0, 0, 0))
        # no less than asked, and by less than one more pixel of the region's side
        assert factor <= scale < factor * (1.0 + 1.0 / region.shape[0])


def _turn_warp_sides(monkeypatch, filt, frame, center, size):
    """The output sides of every warp one call of ``filt.samples`` makes."""
    import tracker.crops as crops

    sides, warp = [], crops._warp
    monkeypatch.setattr(crops, "_warp", lambda img, a, out, border, dst=None:
                        sides.append(out[0]) or warp(img, a, out, border, dst))
    filt.samples(frame, center, size, 4.0)
    monkeypatch.setattr(crops, "_warp", warp)
    return set(sides)


def test_turn_samples_averaged_once_warp_at_twice_their_side_whatever_the_size(
        easy_sequence, monkeypatch):
    # targets whose averaged regions' sides fall either side of a whole number: every sample
    # is warped at exactly twice its 34 pixels and averaged 2 x 2 (rounding the region's side
    # to nearest warped about half of them at 3x, 102 pixels, twice the work)
    frame, box = easy_sequence.frames[0], easy_sequence.boxes[0]
    center = box[:2] + box[2:] / 2
    for grow in np.linspace(2.0, 4.0, 9):
        f = TurnFilter(num=21, step=3.0, context=2.0, antialias=True, once=True)
        assert _turn_warp_sides(monkeypatch, f, frame, center, grow * box[2:]) == {68}
