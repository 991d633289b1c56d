"""Query expressions the selectors share."""

from django.db.models import F, Func, IntegerField, QuerySet, Subquery


def subquery_count(queryset: QuerySet) -> Subquery:
    """COUNT(*) of a correlated queryset as one scalar subquery.

    A JOIN + Count() would multiply rows as soon as two counts sit on the same query; a subquery per
    count keeps each one exact and the page at one SELECT.
    """
    counted = queryset.order_by().annotate(_count=Func(F("pk"), function="COUNT")).values("_count")
    return Subquery(counted, output_field=IntegerField())
