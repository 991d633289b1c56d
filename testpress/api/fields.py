"""The wire formats the seeds print, which the mobile clients parse literally."""

import copy
from datetime import UTC, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field({"type": "string", "nullable": True, "example": "0:30:30"})
class DurationStringField(serializers.Field):
    """A timedelta as Python prints it: "0:30:30", "2:47:53.076906"; null when unknown."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: timedelta | None):
        return None if value is None else str(value)


class BlankAsNullCharField(serializers.CharField):
    """A text the clients test for null: "" prints as null, as the seeds print a missing email."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None


class LocalDateTimeField(serializers.DateTimeField):
    """Exam schedule times: the deployment's local time to the second, "2013-08-02T17:25:22+05:30"."""

    def to_representation(self, value):
        if value is None:
            return None
        return timezone.localtime(value).replace(microsecond=0).isoformat()


class UTCMillisDateTimeField(serializers.DateTimeField):
    """Record times: UTC to the millisecond, "2015-07-14T05:16:12.086Z"."""

    def to_representation(self, value):
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class UTCMicrosDateTimeField(serializers.DateTimeField):
    """Record times in the v2.5 admin API: UTC to the microsecond, "2021-03-16T03:59:21.860924Z"."""

    def to_representation(self, value):
        if value is None:
            return None
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ScalarIntegerField(serializers.IntegerField):
    """An IntegerField that refuses a list or an object as it is: DRF's would str() it first, and
    printing a value nested hundreds of levels deep can itself raise RecursionError."""

    def to_internal_value(self, data):
        if isinstance(data, list | dict):
            self.fail("invalid")
        return super().to_internal_value(data)


class BoundedListField(serializers.ListField):
    """A ListField whose max_length is checked before any element is: a list of 200,000 ids sent where
    a few are allowed costs one len(), not 200,000 child validations (DRF checks the length last)."""

    def to_internal_value(self, data):
        if self.max_length is not None and isinstance(data, list) and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


def compact_number(value: Decimal | float | int, places: int = 2) -> int | float:
    """80 stays 80, 66.666… becomes 66.67: whole numbers print without a fraction, as the seeds do."""
    quantized = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return int(quantized) if quantized == quantized.to_integral_value() else float(quantized)


class ConstantField(serializers.Field):
    """A key the clients expect that this server always answers the same way."""

    def __init__(self, value, **kwargs):
        self.value = value
        super().__init__(read_only=True, source="*", **kwargs)

    def to_representation(self, instance):
        return copy.copy(self.value)


class ConstantFieldSchema(OpenApiSerializerFieldExtension):
    """The constant's own JSON type: 0 is an integer, [] an empty array."""

    target_class = ConstantField

    def map_serializer_field(self, auto_schema, direction):
        value = self.target.value
        if isinstance(value, list):
            return {"type": "array", "items": {}, "maxItems": len(value), "example": value}
        if isinstance(value, int):
            return {"type": "integer", "minimum": value, "maximum": value, "example": value}
        return {"type": "string", "example": value}
