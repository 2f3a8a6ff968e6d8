"""The analytics computations, one import away: the value matrix and its journey, network
measures, adoption figures, and the rebuild of new ties from the log."""

from __future__ import annotations

from atoll.analytics.adoption import adoption
from atoll.analytics.matrix import value_matrix
from atoll.analytics.network import network
from atoll.analytics.ties import rebuild_ties

__all__ = ["adoption", "network", "rebuild_ties", "value_matrix"]
