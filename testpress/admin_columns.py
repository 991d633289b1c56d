"""Changelist columns that count related rows from one annotated query, never a query per row."""

from django.contrib import admin
from django.db.models import Count


def count_of(relation: str, description: str):
    """A sortable list_display column: how many `relation` rows each object has.

    Needs CountColumnsMixin on the ModelAdmin, which adds the `<relation>__count` annotation.
    """

    @admin.display(description=description, ordering=f"{relation}__count")
    def column(obj):
        return getattr(obj, f"{relation}__count")

    column.counted_relation = relation
    return column


class CountColumnsMixin:
    def get_queryset(self, request):
        relations = [
            column.counted_relation for column in self.list_display if hasattr(column, "counted_relation")
        ]
        # distinct: another annotation or a filter join must not multiply the count.
        return (
            super()
            .get_queryset(request)
            .annotate(*(Count(relation, distinct=True) for relation in relations))
        )
