"""Paging a list that may hold a million rows."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedCountPaginator(Paginator):
    """Counts at most `cap` + 1 rows. An exact count of a filtered million reads every row
    that matches (seconds); past the cap the list says "more than" and its filters narrow it.
    The pages shown are those of the first `cap` rows."""

    cap = 10_000
    capped = False

    @cached_property
    def count(self) -> int:
        counted = self.object_list.order_by().values("pk")[: self.cap + 1].count()
        self.capped = counted > self.cap
        return min(counted, self.cap)
