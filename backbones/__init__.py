"""Feature extractors for Siamese trackers, all following :class:`backbones.base.Backbone`."""
from .base import Backbone
from .registry import UnknownBackboneError, backbone_names, build_backbone, register_backbone
from . import resnet  # noqa: F401  (registers the plain networks)

__all__ = ["Backbone", "UnknownBackboneError", "backbone_names", "build_backbone",
           "register_backbone"]
