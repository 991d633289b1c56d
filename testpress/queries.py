"""Query expressions the selectors share."""

from django.db.models import F, Func, IntegerField, QuerySet, Subquery
from django.db.models.functions import Coalesce


def subquery_count(queryset: QuerySet) -> Subquery:
    """COUNT(*) of a correlated queryset as one scalar subquery.

    A JOIN + Count() would multiply rows as soon as two counts sit on the same query; a subquery per
    count keeps each one exact and the page at one SELECT.
    """
    counted = queryset.order_by().annotate(_count=Func(F("pk"), function="COUNT")).values("_count")
    return Subquery(counted, output_field=IntegerField())


def subquery_sum(queryset: QuerySet, field: str) -> Coalesce:
    """SUM(field) of a correlated queryset as one scalar subquery; 0 when no row matches."""
    summed = queryset.order_by().annotate(_sum=Func(F(field), function="SUM")).values("_sum")
    return Coalesce(Subquery(summed, output_field=IntegerField()), 0)
