"""The house: wings import only downward, every name table is one Registry, the backbone
contract describes its stages."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch

from backbones import backbone_names, build_backbone
from backbones.registry import Registry, UnknownBackboneError
from tracker.data.sampler import SOURCES
from tracker.errors import ConfigError, InputError
from tracker.evaluation.baselines import BASELINES
from tracker.evaluation.benchmarks import BENCHMARKS
from tracker.inference.build import TRACKERS
from tracker.model.build import HEADS

ROOT = Path(__file__).resolve().parents[1]
# bottom to top; a module may import its own wing and any wing below it
WINGS = ["backbones", "tracker", "tracker.data", "tracker.model", "tracker.inference",
         "tracker.evaluation", "tracker.training", "tracker.commands"]


def _wing(module: str) -> int:
    best = -1
    for rank, wing in enumerate(WINGS):
        if module == wing or module.startswith(wing + "."):
            best = rank  # the longest matching prefix wins (tracker.data over tracker)
    return best


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in ``path``, function-level ones included."""
    out = []
    package = _module(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                out.append((node.lineno, ".".join(base + ([node.module] if node.module else []))))
            else:
                out.append((node.lineno, node.module or ""))
    return out


def test_every_wing_imports_only_its_own_wing_and_the_wings_below():
    upward = []
    for path in sorted([*ROOT.glob("tracker/**/*.py"), *ROOT.glob("backbones/**/*.py")]):
        here = _wing(_module(path))
        for line, target in _imports(path):
            if target.split(".")[0] in ("tracker", "backbones") and _wing(target) > here:
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not upward, "\n".join(upward)


def test_no_library_module_or_test_imports_a_tool():
    offenders = [f"{p.relative_to(ROOT)}:{line}"
                 for p in [*ROOT.glob("tracker/**/*.py"), *ROOT.glob("tests/*.py")]
                 for line, target in _imports(p) if target.split(".")[0] == "tools"]
    assert not offenders, offenders


@pytest.mark.parametrize("registry, error", [
    (HEADS, ConfigError), (TRACKERS, ConfigError), (BASELINES, ConfigError),
    (BENCHMARKS, InputError), (SOURCES, InputError)])
def test_every_name_table_is_a_registry_whose_unknown_names_list_the_known_ones(registry, error):
    assert isinstance(registry, Registry) and len(registry) >= 2
    with pytest.raises(error, match=f"unknown {registry.kind} 'nope'; known .*: "
                                    f"{registry.names()[0]}, {registry.names()[1]}"):
        registry.get("nope")


def test_backbone_registry_refuses_an_argument_its_constructor_does_not_take():
    with pytest.raises(UnknownBackboneError, match="known backbones: .*resnet22"):
        build_backbone("nope")
    with pytest.raises(TypeError, match="backbone 'resnet22' takes no argument 'depth'"):
        build_backbone("resnet22", depth=3)


@pytest.mark.parametrize("name", backbone_names())
def test_stage_shapes_describe_the_stage_outputs_of_every_backbone(name):
    torch.manual_seed(0)
    net = build_backbone(name, width=0.25).eval()
    shapes = net.stage_shapes()
    with torch.no_grad():
        small = net.stages(torch.rand(1, 3, 127, 127) * 255)
        large = net.stages(torch.rand(1, 3, 255, 255) * 255)
    assert list(shapes) == list(small) == list(large)
    for stage, shape in shapes.items():
        a, b = small[stage], large[stage]
        group = () if shape.group_order == 1 else (shape.group_order,)
        assert a.shape[1:-2] == (shape.channels, *group), stage
        # 128 more input pixels give 128 / stride more cells
        assert (b.shape[-1] - a.shape[-1]) * shape.stride == 128, stage
    last = list(shapes.values())[-1]
    assert (last.channels, last.stride, last.group_order) == \
        (net.out_channels, net.stride, net.group_order)
