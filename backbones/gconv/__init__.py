"""Hand-written group convolutions (p4, p4m), group batch norm, pooling and attention."""
from .attention import GroupAttention
from .groups import GROUPS, Group, UnknownGroupError, get_group
from .layers import GroupBatchNorm2d, GroupConv2d, LiftingConv2d, TiedBatchNorm2d, group_pool

__all__ = ["GROUPS", "Group", "GroupAttention", "GroupBatchNorm2d", "GroupConv2d",
           "LiftingConv2d", "TiedBatchNorm2d", "UnknownGroupError", "get_group", "group_pool"]
