"""Feature extractors for Siamese trackers, all following :class:`backbones.base.Backbone`."""
from . import gresnet, ien, resnet  # noqa: F401  (register the networks)
from .base import Backbone
from .registry import UnknownBackboneError, backbone_names, build_backbone, register_backbone

__all__ = ["Backbone", "UnknownBackboneError", "backbone_names", "build_backbone",
           "register_backbone"]
