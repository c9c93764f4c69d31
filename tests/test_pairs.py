"""Training-pair pipeline: sources, SiamFC crops, augmentation, determinism, bad input."""
from __future__ import annotations

import dataclasses
import json
import logging
import math
import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from tracker.data.layouts import read_object_annotations
from tracker.data.sampler import (
    PairBatches,
    PairSampler,
    build_sources,
    measure_pairs_per_second,
    parse_data_spec,
)
from tracker.data.sources import FolderSource, GOT10kSource, LaSOTSource, SyntheticSource, VOTSource
from tracker.data.stills import ObjectSource
from tracker.data.synthetic import (
    SequenceSpec,
    generate_sequence,
    write_got10k,
    write_otb,
    write_vot,
)
from tracker.errors import InputError

SHARED = Path("/work/shared/data")
DARK, BRIGHT = 20, 230
# a calm generated sequence: no distractors, occlusion, blur, light change or noise
CALM = SequenceSpec(num_frames=12, width=200, height=150, object_size=(40, 28), distractors=0,
                    occlusion=False, illumination=0.0, blur=False, noise=0.0,
                    rotation_speed=0.0, scale_range=0.0, max_speed=2.0)


# ----------------------------------------------------------------------------------------------
# generated data


def bright_frame(box, width=160, height=120, value=BRIGHT) -> np.ndarray:
    """A dark RGB frame with a bright rectangle exactly covering the integer box (xywh)."""
    f = np.full((height, width, 3), DARK, np.uint8)
    x, y, w, h = (int(v) for v in box)
    f[y:y + h, x:x + w] = value
    return f


def bright_boxes(n: int) -> np.ndarray:
    return np.array([[40 + 3 * i, 30 + 2 * i, 30, 20] for i in range(n)], dtype=float)


def write_jpg(path: Path, rgb: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                       [cv2.IMWRITE_JPEG_QUALITY, 100])


def write_bright_otb(root: Path, name: str = "bright", n: int = 8) -> Path:
    """OTB layout, 1-based ground truth, like real OTB files."""
    boxes = bright_boxes(n)
    for i, b in enumerate(boxes, start=1):
        write_jpg(root / name / "img" / f"{i:04d}.jpg", bright_frame(b))
    np.savetxt(root / name / "groundtruth_rect.txt", boxes + [1, 1, 0, 0], fmt="%g",
               delimiter=",")
    return root / name


def write_bright_got(root: Path, n: int = 8, absent: int = 2) -> np.ndarray:
    """GOT-10k layout (0-based) with frame ``absent`` flagged in absence.label."""
    boxes = bright_boxes(n)
    seq = root / "brightgot"
    for i, b in enumerate(boxes, start=1):
        write_jpg(seq / f"{i:08d}.jpg", bright_frame(b))
    np.savetxt(seq / "groundtruth.txt", boxes, fmt="%g", delimiter=",")
    np.savetxt(seq / "absence.label", (np.arange(n) == absent).astype(int), fmt="%d")
    (root / "list.txt").write_text("brightgot\n")
    return boxes


def write_objects(root: Path, boxes, size=(160, 120)) -> Path:
    """``root/objects/boxes.json`` + images (one bright box each) and dark ``root/photos``."""
    objects = root / "objects"
    table = {}
    for k, b in enumerate(boxes):
        write_jpg(objects / "images" / f"img{k}.jpg", bright_frame(b, *size))
        table[f"img{k}"] = [[*map(float, b), "thing"]]
    (objects / "boxes.json").write_text(json.dumps(table))
    for k in range(2):
        ramp = np.linspace(DARK, 45, 200, dtype=np.float32)[None, :, None]
        write_jpg(root / "photos" / f"p{k}.jpg",
                  np.broadcast_to(ramp, (150, 200, 3)).astype(np.uint8))
    return objects


def centroid(crop: np.ndarray, level: float = 100.0) -> tuple[np.ndarray, np.ndarray]:
    """Centroid (continuous crop coordinates) and the weights of the bright pixels."""
    gray = crop.astype(np.float64).mean(axis=2)
    w = np.clip(gray - level, 0, None)
    ys, xs = np.mgrid[0:gray.shape[0], 0:gray.shape[1]] + 0.5
    return np.array([(w * xs).sum(), (w * ys).sum()]) / w.sum(), w


def orientation(weights: np.ndarray) -> float:
    """Long-axis angle of a blob, degrees CCW on screen (y down), in [-90, 90)."""
    ys, xs = np.mgrid[0:weights.shape[0], 0:weights.shape[1]]
    m = weights.sum()
    cx, cy = (weights * xs).sum() / m, (weights * ys).sum() / m
    mu20 = (weights * (xs - cx) ** 2).sum()
    mu02 = (weights * (ys - cy) ** 2).sum()
    mu11 = (weights * (xs - cx) * (ys - cy)).sum()
    return -0.5 * math.degrees(math.atan2(2 * mu11, mu20 - mu02))


def angle_diff(a: float, b: float, period: float = 180.0) -> float:
    return (a - b + period / 2) % period - period / 2


def check_bright_pair(p, sz: int = 127, sx: int = 255, tol: float = 1.0) -> None:
    """The bright target sits at the template centre and at ``target`` in the search crop."""
    cz, _ = centroid(p.z)
    np.testing.assert_allclose(cz, [sz / 2, sz / 2], atol=tol)
    cx, _ = centroid(p.x)
    np.testing.assert_allclose(cx, sx / 2 + p.target[:2], atol=tol)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict:
    """Every kind of generated dataset the tests use, written once."""
    root = tmp_path_factory.mktemp("pairs")
    write_bright_otb(root / "otb")
    got_boxes = write_bright_got(root / "got")
    calm = generate_sequence(CALM, seed=4, name="calm")
    write_otb(calm, root / "gen_otb")
    write_got10k([calm, generate_sequence(CALM, seed=5, name="calm2")], root / "gen_got",
                 subset="train")
    objects = write_objects(root, [[50, 50, 40, 16], [60, 40, 44, 18], [30, 60, 36, 14],
                                   [70, 52, 40, 16]])
    return {"root": root, "otb": root / "otb", "got": root / "got", "got_boxes": got_boxes,
            "calm": calm, "gen_otb": root / "gen_otb", "gen_got": root / "gen_got",
            "objects": objects, "photos": root / "photos"}


# ----------------------------------------------------------------------------------------------
# geometry: crops centred on the target, target where the sampler says


@pytest.mark.parametrize("rotation", [0.0, 30.0])
def test_folder_otb_crops_put_the_target_where_target_says(data, rotation):
    sampler = PairSampler([FolderSource(data["otb"], max_gap=3)], max_shift=64,
                          scale_jitter=0.1, rotation=rotation, seed=1)
    for i in range(12):
        p = sampler.pair(0, i)
        check_bright_pair(p)
        # the extent of an axis-aligned box in a turned crop: its rotated bounding box
        _, w = centroid(p.x)
        cols, rows = np.flatnonzero(w.sum(0) > 0), np.flatnonzero(w.sum(1) > 0)
        assert abs((cols[-1] - cols[0] + 1) - p.target[2]) <= 3
        assert abs((rows[-1] - rows[0] + 1) - p.target[3]) <= 3
        if rotation:
            assert -rotation <= p.angle <= rotation
        else:
            assert p.angle == 0.0


def test_the_own_size_of_a_target_ignores_the_turn_of_the_crop(data):
    upright = PairSampler([FolderSource(data["otb"], max_gap=3)], max_shift=64,
                          scale_jitter=0.1, seed=1)
    turned = PairSampler([FolderSource(data["otb"], max_gap=3)], max_shift=64,
                         scale_jitter=0.1, rotation=40.0, seed=1)
    grown = 0
    for i in range(12):
        a, b = upright.pair(0, i), turned.pair(0, i)
        # same draw of frames and crop scale: an upright crop's extent is the own size, and the
        # turned crop keeps that size while its extent grows with the turn
        np.testing.assert_allclose(a.size, a.target[2:], atol=1e-9)
        np.testing.assert_allclose(b.size, a.size, atol=1e-9)
        assert np.all(b.target[2:] >= b.size - 1e-9)
        grown += bool(abs(b.angle) > 10 and b.target[2:].prod() > 1.1 * b.size.prod())
    assert grown >= 3


def test_folder_got_layout_uses_zero_based_boxes_and_skips_absent_frames(data):
    source = FolderSource(data["got"], max_gap=10)
    absent = data["got_boxes"][2]
    rng = np.random.default_rng(0)
    for _ in range(60):
        pair = source.sample(rng)
        assert not np.allclose(pair.z_box, absent) and not np.allclose(pair.x_box, absent)
    sampler = PairSampler([source], max_shift=40, seed=2)
    for i in range(6):
        check_bright_pair(sampler.pair(0, i))


def test_generated_otb_and_got10k_layouts_read_back_in_zero_based_coordinates(data):
    calm = data["calm"]
    otb = FolderSource(data["gen_otb"])  # write_otb writes 1-based files
    np.testing.assert_allclose(otb.tracks[0].boxes, calm.boxes, atol=1e-3)
    got = GOT10kSource(data["gen_got"], subset="train")
    assert len(got.tracks) == 2
    np.testing.assert_allclose(got.tracks[0].boxes, calm.boxes, atol=1e-3)
    same = FolderSource(data["gen_got"] / "train")  # list.txt: GOT-10k layout detected
    np.testing.assert_allclose(same.tracks[0].boxes, calm.boxes, atol=1e-3)
    # a GOT-10k subset folder is accepted as the root too
    assert len(GOT10kSource(data["gen_got"] / "train").tracks) == 2


def test_vot_polygons_become_boxes_of_the_same_area_around_the_turned_target(tmp_path):
    import shutil

    turning = generate_sequence(dataclasses.replace(CALM, rotation_speed=6.0), seed=6,
                                name="turn")
    write_vot([turning], tmp_path / "vot")
    boxes = VOTSource(tmp_path / "vot").tracks[0].boxes
    r = turning.rotated
    assert np.ptp(r[:, 4]) > 30  # the polygons really are turned
    np.testing.assert_allclose(boxes[:, 2] * boxes[:, 3], r[:, 2] * r[:, 3], rtol=1e-3)
    np.testing.assert_allclose(boxes[:, :2] + boxes[:, 2:] / 2, r[:, :2], atol=1e-2)
    # the VOT toolkit's newer layout keeps the frames in color/
    seq = tmp_path / "vot" / "turn"
    (seq / "color").mkdir()
    for f in seq.glob("*.jpg"):
        shutil.move(f, seq / "color" / f.name)
    again = VOTSource(tmp_path / "vot").tracks[0]
    np.testing.assert_allclose(again.boxes, boxes)
    assert again.folder.endswith("color")
    (seq / "groundtruth.txt").write_text("m1,2,3\n")
    with pytest.raises(InputError, match="line 1: expected 4 values.*masks"):
        VOTSource(tmp_path / "vot")


def write_lasot(root: Path, name: str, seq, hidden: list[int]) -> Path:
    d = root / name.split("-")[0] / name
    write_otb(dataclasses.replace(seq, name=name), root / "tmp")
    d.parent.mkdir(parents=True, exist_ok=True)
    (root / "tmp" / name).rename(d)
    (d / "groundtruth_rect.txt").rename(d / "groundtruth.txt")
    flags = ["1" if i in hidden else "0" for i in range(len(seq.frames))]
    (d / "full_occlusion.txt").write_text(",".join(flags))
    (d / "out_of_view.txt").write_text(",".join(["0"] * len(seq.frames)))
    return d


def test_lasot_uses_its_split_one_based_boxes_and_skips_hidden_frames(data, tmp_path):
    calm = data["calm"]
    write_lasot(tmp_path, "airplane-10", calm, hidden=[3, 4])   # LaSOT train split
    write_lasot(tmp_path, "airplane-1", calm, hidden=[])        # LaSOT test split
    train = LaSOTSource(tmp_path, subset="train")
    assert [t.name for t in train.tracks] == ["airplane-10"]
    np.testing.assert_allclose(train.tracks[0].boxes, calm.boxes, atol=1e-3)
    assert 3 not in train.tracks[0].usable and 4 not in train.tracks[0].usable
    assert len(train.tracks[0].usable) == len(calm.frames) - 2
    assert len(LaSOTSource(tmp_path, subset="all").tracks) == 2
    (tmp_path / "airplane" / "airplane-10" / "out_of_view.txt").write_text("0,1")
    with pytest.raises(InputError, match="out_of_view.txt: 2 values but 12 frames"):
        LaSOTSource(tmp_path)
    with pytest.raises(InputError, match="no LaSOT train sequence"):
        LaSOTSource(tmp_path / "airplane")


def test_got10k_without_meta_files_and_pairs_within_max_gap(data, tmp_path):
    import shutil

    root = tmp_path / "nometa"
    shutil.copytree(data["gen_got"], root)
    for seq in (p for p in (root / "train").iterdir() if p.is_dir()):
        for name in ("meta_info.ini", "absence.label", "cover.label", "cut_by_image.label"):
            (seq / name).unlink(missing_ok=True)
    source = GOT10kSource(root, max_gap=2)
    assert len(source.tracks) == 2
    rng = np.random.default_rng(3)
    for _ in range(40):
        pair = source.sample(rng)
        # each generated box is unique: find the frame indices back
        (t, i), = [(t, i) for t in source.tracks for i in range(len(t.boxes))
                   if np.array_equal(t.boxes[i], pair.z_box)]
        j = next(j for j in range(len(t.boxes)) if np.array_equal(t.boxes[j], pair.x_box))
        assert 1 <= abs(i - j) <= 2


def match_target(p, sz=127, sx=255) -> np.ndarray:
    """Where the template's central target patch best matches the search crop (crop coords of
    the patch centre, continuous)."""
    patch = p.z[sz // 2 - 12:sz // 2 + 13, sz // 2 - 12:sz // 2 + 13]
    score = cv2.matchTemplate(p.x, patch, cv2.TM_CCOEFF_NORMED)
    y, x = np.unravel_index(int(np.argmax(score)), score.shape)
    assert score.max() > 0.8
    return np.array([x + 12.5, y + 12.5])


@pytest.mark.parametrize("kind", ["synthetic", "gen_otb", "gen_got"])
def test_generated_targets_match_between_template_and_search(data, kind):
    if kind == "synthetic":
        source = SyntheticSource(CALM, pool=2, max_gap=2)
    elif kind == "gen_otb":
        source = FolderSource(data["gen_otb"], max_gap=2)
    else:
        source = GOT10kSource(data["gen_got"], max_gap=2)
    # no scale jitter and a calm target: the template's centre reappears unscaled in the search
    sampler = PairSampler([source], max_shift=48, scale_jitter=0.0, seed=3)
    for i in range(8):
        p = sampler.pair(1, i)
        np.testing.assert_allclose(match_target(p), 127.5 + p.target[:2], atol=1.5)
        assert abs(p.angle) < 3.0


def test_synthetic_angle_is_the_exact_turn_between_frames():
    source = SyntheticSource(SequenceSpec(num_frames=10, width=160, height=120,
                                          object_size=(40, 20), rotation_speed=6.0), pool=1)
    seq = source._sequence(0)
    rng = np.random.default_rng(1)
    for _ in range(10):
        pair = source.sample(rng)
        i = next(k for k, f in enumerate(seq.frames) if f is pair.z_image)
        j = next(k for k, f in enumerate(seq.frames) if f is pair.x_image)
        assert pair.angle == pytest.approx(angle_diff(seq.rotated[j, 4] - seq.rotated[i, 4], 0,
                                                      360))


def test_object_pairs_put_the_turned_object_where_target_and_angle_say(data):
    source = ObjectSource(data["objects"], data["photos"], max_rotation=40, distractors=0,
                          blur=0.0, recolor=0.0)
    sampler = PairSampler([source], max_shift=40, scale_jitter=0.05, rotation=20, seed=4)
    angles = []
    for i in range(12):
        p = sampler.pair(0, i)
        check_bright_pair(p, tol=1.2)
        _, w = centroid(p.x)
        assert abs(angle_diff(orientation(w), p.angle)) < 3.0
        _, wz = centroid(p.z)
        assert abs(angle_diff(orientation(wz), 0.0)) < 1.0  # the template is upright
        angles.append(p.angle)
    assert np.ptp(angles) > 30  # really turned, both ways


def test_object_source_pastes_scaled_turned_object_with_its_box_and_angle(data):
    source = ObjectSource(data["objects"], data["photos"], max_rotation=45, distractors=0,
                          blur=0.0, recolor=0.0)
    rng = np.random.default_rng(5)
    for _ in range(8):
        pair = source.sample(rng)
        assert pair.x_image.dtype == np.uint8 and pair.x_image.ndim == 3
        c, w = centroid(pair.x_image)
        cx, cy = pair.x_box[:2] + pair.x_box[2:] / 2
        np.testing.assert_allclose(c, [cx, cy], atol=0.6)
        area = w.sum() / (BRIGHT - 100)  # bright pixels ~ pasted area (scaled box)
        assert area == pytest.approx(pair.x_rotated[2] * pair.x_rotated[3], rel=0.12)
        assert abs(angle_diff(orientation(w), pair.angle)) < 2.0
        assert abs(pair.angle) <= 45


def test_object_source_without_photos_and_with_distractors_runs(data):
    source = ObjectSource(data["objects"], None, max_rotation=10, distractors=2)
    sampler = PairSampler([source], grayscale=0.5, color_jitter=0.3, blur=0.5, seed=6)
    b = sampler.batch(0, 6)
    assert b["x"].shape == (6, 3, 255, 255)


# ----------------------------------------------------------------------------------------------
# batches: shapes, determinism, workers, weights


@pytest.fixture(scope="module")
def mixed(data) -> PairSampler:
    sources = [(FolderSource(data["otb"]), 1.0), (ObjectSource(data["objects"], data["photos"],
                                                               max_rotation=30), 1.0),
               (SyntheticSource(CALM, pool=2), 1.0)]
    return PairSampler(sources, max_shift=64, scale_jitter=0.05, rotation=15, grayscale=0.3,
                       color_jitter=0.2, blur=0.3, seed=7)


def test_batch_shapes_and_dtypes(mixed):
    b = mixed.batch(0, 5)
    assert set(b) == {"z", "x", "target", "angle", "size"}
    assert b["z"].shape == (5, 3, 127, 127) and b["z"].dtype == torch.float32
    assert b["x"].shape == (5, 3, 255, 255) and b["x"].dtype == torch.float32
    assert b["target"].shape == (5, 4) and b["target"].dtype == torch.float32
    assert b["angle"].shape == (5,) and b["angle"].dtype == torch.float32
    assert b["size"].shape == (5, 2) and torch.all(b["size"] > 0)
    assert 0 <= float(b["x"].min()) and float(b["x"].max()) <= 255
    assert torch.all(b["target"][:, :2].abs() <= 64) and torch.all(b["target"][:, 2:] > 0)


def assert_batches_equal(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_same_step_same_batch_other_step_or_rank_differs(mixed, data):
    a = mixed.batch(3, 4)
    assert_batches_equal(a, mixed.batch(3, 4))
    # stateless: a fresh sampler that never drew batches 0..2 gives the same batch 3
    fresh = pickle.loads(pickle.dumps(mixed))
    assert_batches_equal(a, fresh.batch(3, 4))
    assert not torch.equal(a["x"], mixed.batch(4, 4)["x"])
    r0, r1 = mixed.batch(3, 2, rank=0, world=2), mixed.batch(3, 2, rank=1, world=2)
    assert not torch.equal(r0["x"], r1["x"])
    # the ranks' halves make up the single-process batch
    assert_batches_equal(a, {k: torch.cat([r0[k], r1[k]]) for k in a})


def test_dataloader_workers_build_the_same_batches(mixed):
    data = PairBatches(mixed, batch_size=3, start_step=5, steps=4)
    assert len(data) == 4
    loader = torch.utils.data.DataLoader(data, batch_size=None, num_workers=2)
    got = list(loader)
    assert len(got) == 4
    for k, b in enumerate(got):
        assert_batches_equal(b, mixed.batch(5 + k, 3))
    with pytest.raises(IndexError):
        data[4]


def test_sampler_pickles_small_without_caches(mixed):
    mixed.batch(0, 4)
    assert len(pickle.dumps(mixed)) < 200_000


def test_sources_are_drawn_by_weight(data):
    sampler = PairSampler([(FolderSource(data["otb"]), 3.0), (FolderSource(data["got"]), 1.0)],
                          seed=8)
    rng_pairs = [sampler.pair(0, i).source for i in range(400)]
    share = rng_pairs.count(0) / len(rng_pairs)
    assert 0.68 < share < 0.82


def test_augmentations_are_applied(data):
    base = dict(sources=[FolderSource(data["otb"])], seed=9)
    plain = PairSampler(**base).pair(0, 0)
    gray = PairSampler(**base, grayscale=1.0).pair(0, 0)
    assert np.array_equal(gray.x[:, :, 0], gray.x[:, :, 1])
    assert np.array_equal(gray.z[:, :, 0], gray.z[:, :, 2])
    blurred = PairSampler(**base, blur=1.0).pair(0, 0)
    np.testing.assert_array_equal(blurred.z, plain.z)  # motion blur hits the search crop only
    assert not np.array_equal(blurred.x, plain.x)
    jitter = PairSampler(**base, color_jitter=0.5).pair(0, 0)
    assert not np.array_equal(jitter.z, plain.z)


def test_measure_pairs_per_second(data):
    sampler = PairSampler([FolderSource(data["otb"])])
    assert measure_pairs_per_second(sampler, 2, 2) > 0


# ----------------------------------------------------------------------------------------------
# specs and formats


def test_parse_data_spec():
    assert parse_data_spec("folder:/data/train:2") == {"type": "folder", "root": "/data/train",
                                                       "weight": 2.0}
    assert parse_data_spec("got10k:/g") == {"type": "got10k", "root": "/g", "weight": 1.0}
    assert parse_data_spec("synthetic") == {"type": "synthetic", "weight": 1.0}
    assert parse_data_spec("synthetic:0.5") == {"type": "synthetic", "weight": 0.5}
    assert parse_data_spec("objects:/o:1:photos=/p:max_rotation=30") == {
        "type": "objects", "root": "/o", "weight": 1.0, "photos": "/p", "max_rotation": 30}
    for bad, words in [("video:/x", "unknown source type 'video'"), ("folder", "needs a folder"),
                       ("folder:/x:abc", "not a number"), ("folder:/x:-1", "positive"),
                       ("folder:/x:1:2", "expected")]:
        with pytest.raises(InputError, match=words):
            parse_data_spec(bad)


def test_build_sources_from_specs_and_strings(data):
    built = build_sources([{"type": "folder", "root": str(data["otb"]), "weight": 2},
                           f"objects:{data['objects']}:0.5",
                           {"type": "synthetic", "pool": 2},
                           f"got10k:{data['gen_got']}:1:max_gap=5"])
    kinds = [type(s).__name__ for s, _ in built]
    assert kinds == ["FolderSource", "ObjectSource", "SyntheticSource", "GOT10kSource"]
    assert [w for _, w in built] == [2.0, 0.5, 1.0, 1.0]
    assert built[1][0].photos  # the photos folder next to the objects folder
    assert built[3][0].max_gap == 5
    no_photos = build_sources([f"objects:{data['objects']}:1:photos=none"])[0][0]
    assert no_photos.photos == []


def test_coco_and_voc_annotations(tmp_path):
    img = bright_frame([10, 10, 20, 20])
    write_jpg(tmp_path / "coco" / "images" / "a.jpg", img)
    coco = {"images": [{"id": 1, "file_name": "a.jpg"}],
            "annotations": [{"image_id": 1, "bbox": [10.5, 10, 20, 20], "iscrowd": 0},
                            {"image_id": 1, "bbox": [0, 0, 50, 50], "iscrowd": 1}],
            "categories": [{"id": 1, "name": "thing"}]}
    (tmp_path / "coco" / "instances.json").write_text(json.dumps(coco))
    (entry,) = read_object_annotations(tmp_path / "coco")
    assert entry[0].endswith("a.jpg")
    np.testing.assert_allclose(entry[1], [[10.5, 10, 20, 20]])
    # the JSON file itself works too
    assert len(read_object_annotations(tmp_path / "coco" / "instances.json")) == 1

    voc = tmp_path / "voc"
    write_jpg(voc / "JPEGImages" / "b.jpg", img)
    (voc / "Annotations").mkdir()
    (voc / "Annotations" / "b.xml").write_text(
        "<annotation><filename>b.jpg</filename>"
        "<object><name>dog</name><difficult>0</difficult><bndbox><xmin>11</xmin><ymin>11</ymin>"
        "<xmax>30</xmax><ymax>30</ymax></bndbox></object>"
        "<object><name>cat</name><difficult>1</difficult><bndbox><xmin>1</xmin><ymin>1</ymin>"
        "<xmax>5</xmax><ymax>5</ymax></bndbox></object></annotation>")
    (entry,) = read_object_annotations(voc)
    np.testing.assert_allclose(entry[1], [[10, 10, 20, 20]])  # 1-based inclusive -> 0-based
    source = ObjectSource(voc, min_size=12)
    assert len(source) == 1


# ----------------------------------------------------------------------------------------------
# bad input


def test_bad_specs_and_missing_datasets(tmp_path):
    cases = [
        ({"type": "video", "root": "x"}, "unknown source type 'video'"),
        ({"type": "folder", "root": str(tmp_path / "nope")}, "nope"),
        ({"type": "got10k", "root": str(tmp_path / "gone")}, "gone"),
        ({"type": "objects", "root": str(tmp_path / "noobj")}, "noobj"),
        ({"type": "folder"}, "needs a root"),
        ({"type": "synthetic", "root": "x"}, "takes no folder"),
        ({"type": "folder", "root": str(tmp_path), "speed": 3}, "unknown option 'speed'"),
        ({"type": "synthetic", "pool": 1.5}, "integer"),
    ]
    for spec, words in cases:
        with pytest.raises(InputError, match=words):
            build_sources([spec])
    with pytest.raises(InputError, match="no training data"):
        build_sources([])


def test_empty_folder_and_bad_layouts(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no OTB-layout or GOT-10k-layout sequence in"):
        FolderSource(tmp_path / "empty")
    (tmp_path / "gotroot" / "train").mkdir(parents=True)
    (tmp_path / "gotroot" / "train" / "list.txt").write_text("a\n")
    with pytest.raises(InputError, match="got10k:"):
        FolderSource(tmp_path / "gotroot")
    with pytest.raises(InputError, match="names sequence 'a'"):
        FolderSource(tmp_path / "gotroot" / "train")
    (tmp_path / "objs").mkdir()
    with pytest.raises(InputError, match="no object annotations"):
        ObjectSource(tmp_path / "objs")
    with pytest.raises(InputError, match="subset 'test'"):
        GOT10kSource(tmp_path / "gotroot", subset="test")


def test_ground_truth_not_matching_frames_names_the_file(tmp_path):
    seq = write_bright_otb(tmp_path / "otb", n=5)
    (seq / "img" / "0005.jpg").unlink()
    with pytest.raises(InputError, match=r"groundtruth_rect\.txt: 5 ground-truth lines but 4"):
        FolderSource(tmp_path / "otb")
    calm = generate_sequence(SequenceSpec(num_frames=4, width=80, height=60,
                                          object_size=(20, 14)), seed=1, name="s")
    base = write_got10k([calm], tmp_path / "got", subset="train")
    (base / "s" / "00000004.jpg").unlink()
    with pytest.raises(InputError, match=r"groundtruth\.txt: 4 ground-truth lines but 3"):
        GOT10kSource(tmp_path / "got")
    with pytest.raises(InputError, match=r"groundtruth\.txt: 4 ground-truth lines but 3"):
        FolderSource(base)


def test_corrupt_frame_is_skipped_with_a_warning(tmp_path, caplog):
    seq = write_bright_otb(tmp_path / "otb", n=4)
    (seq / "img" / "0002.jpg").write_bytes(b"this is not a jpeg")
    sampler = PairSampler([FolderSource(tmp_path / "otb", max_gap=1)], seed=10)
    with caplog.at_level(logging.WARNING):
        b = sampler.batch(0, 16)
    assert b["x"].shape[0] == 16
    assert any("0002.jpg" in r.getMessage() for r in caplog.records)
    for i in range(16):
        check_bright_pair(sampler.pair(0, i))


def test_a_source_with_only_corrupt_images_fails_clearly(tmp_path):
    seq = write_bright_otb(tmp_path / "otb", n=3)
    for f in (seq / "img").iterdir():
        f.write_bytes(b"broken")
    sampler = PairSampler([FolderSource(tmp_path / "otb")])
    with pytest.raises(InputError, match="corrupt"):
        sampler.batch(0, 1)


# ----------------------------------------------------------------------------------------------
# the real data, when this machine has it


def test_shared_training_data_loads_and_batches():
    if not (SHARED / "train").is_dir() or not (SHARED / "objects" / "boxes.json").is_file():
        pytest.skip("no /work/shared/data here")
    sources = build_sources([f"folder:{SHARED / 'train'}", f"objects:{SHARED / 'objects'}"])
    folder, objects = sources[0][0], sources[1][0]
    # every sequence folder becomes one track (the set grew from 16 to 44 sequences)
    expected = [d for d in (SHARED / "train").iterdir() if (d / "groundtruth_rect.txt").is_file()]
    assert len(folder.tracks) == len(expected) >= 16
    assert len(objects) > 6000 and objects.photos  # photos/ next to objects/
    sampler = PairSampler(sources, rotation=10, grayscale=0.1, color_jitter=0.2, blur=0.1)
    b = sampler.batch(0, 4)
    assert b["z"].shape == (4, 3, 127, 127) and b["x"].shape == (4, 3, 255, 255)
    assert torch.isfinite(b["target"]).all()
