import pytest
import torch

from tracker.checkpoint import load_checkpoint, save_checkpoint
from tracker.config import config_from_dict, config_to_dict, load_config
from tracker.errors import CheckpointError, ConfigError
from tracker.inference.build import build_tracker
from tracker.model.build import CONFIG_DIR, DEFAULT_CONFIG, build_model, load_model


def test_every_shipped_config_loads_and_builds():
    files = sorted(CONFIG_DIR.glob("*.yaml"))
    assert DEFAULT_CONFIG in files
    for path in files:
        cfg = load_config(path, ["model.backbone_args.width=0.25"])
        build_model(cfg)


def test_unknown_key_is_an_error_naming_it(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("tracking:\n  scale_stepp: 1.1\n")
    with pytest.raises(ConfigError, match=r"tracking\.scale_stepp"):
        load_config(p)


def test_set_overrides_nested_values():
    cfg = load_config(DEFAULT_CONFIG, ["tracking.scale_lr=0.3", "model.backbone=alexnet"])
    assert cfg.tracking.scale_lr == 0.3 and cfg.model.backbone == "alexnet"


def test_override_of_unknown_key_is_an_error():
    with pytest.raises(ConfigError, match="tracking.nope"):
        load_config(DEFAULT_CONFIG, ["tracking.nope=1"])


@pytest.mark.parametrize("override,match", [
    ("tracking.scale_num=abc", "integer"),
    ("tracking.scale_num=2", "odd"),
    ("tracking.window_influence=3", "window_influence"),
    ("model.backbone=5", "string"),
    ("tracking.min_size=.inf", "finite"),
    ("tracking.scale_step=.nan", "finite"),
    ("train.lr=-.inf", "finite"),
    ("tracking.instance_size=100000", "instance_size must be <= 1024"),
    ("tracking.response_up=100000", "response_up must lie in 1..64"),
    ("train.workers=1000", "train.workers must lie in 0..64"),
    ("tracking.scale_filter_num=4", "scale_filter_num must be odd in 3..65, got 4"),
    ("tracking.scale_filter_step=1", "scale_filter_step must lie in \\(1, 1.5\\], got 1"),
    ("tracking.scale_filter_rate=0", "scale_filter_rate must lie in \\(0, 1\\]"),
    ("tracking.rotation_search=compass", "rotation_search must be one of bank, turn_filter, "
                                         "got 'compass'"),
    ("tracking.turn_filter_step=45", "turn_filter_step must lie in \\(0, 30\\] degrees, got 45"),
    ("tracking.turn_filter_passes=0", "turn_filter_passes must lie in 1..5, got 0"),
    ("tracking.turn_filter_circle=true", "turn_filter_circle needs turn_filter_num x "
                                         "turn_filter_step = 360 degrees, got 21 x 3.0"),
    ("tracking.turn_filter_reach=200", "turn_filter_reach must lie in \\[0, 180\\] degrees, "
                                       "got 200"),
    ("tracking.turn_filter_num=72", "turn_filter_num must be odd in 3..65, got 72"),
    ("tracking.turn_filter_context=0.1", "turn_filter_context must lie in \\[0.5, 4\\], got 0.1"),
    ("tracking.turn_filter_upright=1", "turn_filter_upright must lie in \\[0, 1\\), got 1"),
    ("tracking.turn_filter_antialias_once=true", "turn_filter_antialias_once needs "
                                                 "tracking.turn_filter_antialias"),
    ("tracking.turn_filter_deadzone=-1", "turn_filter_deadzone must lie in \\[0, 45\\] degrees, "
                                          "got -1"),
    ("tracking.turn_filter_upright_rate=0", "turn_filter_upright_rate must lie in \\(0, 1\\], "
                                            "got 0"),
])
def test_bad_values_are_errors(override, match):
    with pytest.raises(ConfigError, match=match):
        load_config(DEFAULT_CONFIG, [override])


def test_the_upright_hypothesis_and_the_dead_zone_exclude_each_other():
    with pytest.raises(ConfigError, match="turn_filter_upright and tracking.turn_filter_deadzone "
                                          "exclude each other: set one of them to 0"):
        load_config(DEFAULT_CONFIG, ["tracking.turn_filter_upright=0.01",
                                     "tracking.turn_filter_deadzone=5"])


def test_exponent_numbers_without_a_dot_are_numbers():
    cfg = load_config(DEFAULT_CONFIG, ["tracking.min_size=1e-3", "tracking.context=5E-1"])
    assert cfg.tracking.min_size == 0.001 and cfg.tracking.context == 0.5


def test_yaml_alias_bombs_are_refused_without_expanding(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi"))
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb)
    with pytest.raises(ConfigError, match="aliases"):  # refused while parsing, never expanded
        load_config(path)
    with pytest.raises(ConfigError, match="aliases"):
        load_config(DEFAULT_CONFIG, ["tracking.context=" + "[&x 1, *x]"])


def test_unknown_backbone_in_config_is_a_config_error():
    with pytest.raises(ConfigError, match="known backbones"):
        build_model(config_from_dict({"model": {"backbone": "vgg"}}))


def test_checkpoint_round_trip_loads_with_weights_only(tmp_path, tiny_tracker_config):
    model = build_model(tiny_tracker_config)
    path = tmp_path / "m.pt"
    save_checkpoint(path, model, tiny_tracker_config, step=3)
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == "eqtrack" and raw["step"] == 3
    loaded, cfg = load_model(path)
    assert cfg == tiny_tracker_config
    for k, v in model.state_dict().items():
        assert torch.equal(v, loaded.state_dict()[k])
    assert config_to_dict(cfg) == raw["config"]


def test_checkpoint_with_damaged_weights_is_refused(tmp_path, tiny_tracker_config):
    model = build_model(tiny_tracker_config)
    path = tmp_path / "m.pt"
    save_checkpoint(path, model, tiny_tracker_config)
    raw = torch.load(path, weights_only=True)
    name = next(k for k, v in raw["model"].items() if v.numel() > 100)
    raw["model"][name].view(-1)[:50] += 1.0  # what flipped bytes inside a tensor amount to
    torch.save(raw, path)
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(path)


def test_checkpoint_whose_config_does_not_match_weights(tmp_path, tiny_tracker_config):
    path = tmp_path / "m.pt"
    other = config_from_dict({"model": {"backbone": "alexnet", "backbone_args": {"width": 0.5}}})
    save_checkpoint(path, build_model(other), tiny_tracker_config)
    with pytest.raises(CheckpointError, match="do not match"):
        load_model(path)


def test_file_that_is_not_our_checkpoint(tmp_path):
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(CheckpointError, match="not an eqtrack checkpoint"):
        load_checkpoint(foreign)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a torch file at all")
    with pytest.raises(CheckpointError, match="cannot be loaded"):
        load_checkpoint(junk)
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt")


def test_tracker_from_checkpoint_keeps_model_section(tmp_path, tiny_tracker_config):
    path = tmp_path / "m.pt"
    save_checkpoint(path, build_model(tiny_tracker_config), tiny_tracker_config)
    t = build_tracker(checkpoint=path, overrides=["tracking.scale_lr=0.2"])
    assert t.cfg.scale_lr == 0.2
    with pytest.raises(ConfigError, match="model section"):
        build_tracker(checkpoint=path, overrides=["model.backbone=resnet22"])
