"""The organisation tree: company (level 0) → division → department → team.

Its table, ``Unit``, is defined in ``atoll.people.models``: a person's unit points at it, and
people sit below org in the layers, so the people domain reads where someone sits without
importing upward. Org grows the tree, imports the chart and shows it; code above the people
layer knows the table by this name as well."""

from __future__ import annotations

from atoll.people.models import Unit

__all__ = ["Unit"]
