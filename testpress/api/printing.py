"""Serializers that print their fields through plain functions instead of DRF's field objects.

DRF builds every field of a serializer (a deep copy of each declared one, and for a ModelSerializer
each model field mapped again) every time a serializer is made, before printing a single value: for
an attempt with its exam, 60 fields, several times what printing their values costs. On exam day that
happens on every heartbeat, save and start. A PlainPrinting serializer keeps its declared fields (the
schema, and the reference tests/api/test_plain_printing.py checks the printers against) and prints
`Meta.fields`, in their order, each through `printers[name](serializer, instance)`.
"""

import re
from collections.abc import Callable
from operator import attrgetter

from django.urls import get_script_prefix
from rest_framework import serializers
from rest_framework.reverse import reverse

from testpress.api.fields import LocalDateTimeField, UTCMillisDateTimeField

Printer = Callable[[serializers.BaseSerializer, object], object]


class PlainPrinting:
    """Mixed into a serializer before its DRF base: `printers` covers every name in Meta.fields."""

    printers: dict[str, Printer] = {}

    def to_representation(self, instance) -> dict:
        return self.printed(instance)

    def printed(self, instance) -> dict:
        printers = self.printers
        return {name: printers[name](self, instance) for name in self.Meta.fields}

    def printed_many(self, instances) -> list[dict]:
        return [self.printed(instance) for instance in instances]


def attribute(path: str) -> Printer:
    """The value at `path` ("course.name") as it is: an int, a bool or a str column."""
    get = attrgetter(path)
    return lambda serializer, instance: get(instance)


def method(name: str) -> Printer:
    """The serializer's get_<name>, as a SerializerMethodField calls it."""
    getter = attrgetter(f"get_{name}")
    return lambda serializer, instance: getter(serializer)(instance)


def constant(value) -> Printer:
    return lambda serializer, instance: value


def optional(path: str, convert: Callable) -> Printer:
    """`convert` of the value at `path`; None when it is None (as DRF prints a None attribute)."""
    get = attrgetter(path)

    def printer(serializer, instance):
        value = get(instance)
        return None if value is None else convert(value)

    return printer


def decimal_text(max_digits: int, decimal_places: int = 2) -> Callable[[object], str]:
    """A decimal as DRF's DecimalField prints it: "1.50"."""
    return serializers.DecimalField(max_digits=max_digits, decimal_places=decimal_places).to_representation


def decimal(path: str, max_digits: int, decimal_places: int = 2) -> Printer:
    """The decimal at `path` as DRF's DecimalField prints it; None stays None."""
    return optional(path, decimal_text(max_digits, decimal_places))


def utc_millis(path: str) -> Printer:
    return optional(path, UTCMillisDateTimeField().to_representation)


def local_time(path: str) -> Printer:
    return optional(path, LocalDateTimeField().to_representation)


def timedelta_text(path: str) -> Printer:
    """A timedelta as Python prints it ("0:30:30"); None stays None."""
    return optional(path, str)


def link(view_name: str, lookup: str = "pk", url_kwarg: str | None = None) -> Printer:
    """The absolute URL of `view_name` for the instance, as HyperlinkedIdentityField prints it."""
    get = attrgetter(lookup)
    kwarg = url_kwarg or lookup

    def printer(serializer, instance):
        return absolute_url(serializer.context, view_name, **{kwarg: get(instance)})

    return printer


# An id, or a slug as SlugField allows it: a value that reverse() would print unchanged.
_PLAIN_VALUE = re.compile(r"[-a-zA-Z0-9_]+")
_URL_TEMPLATES: dict[tuple, tuple[str, re.Pattern, dict]] = {}
_MOST_TEMPLATES = 10_000


def _url_mark(position: int, digits: bool) -> str:
    """What stands for the URL's `position`th value in a reversed pattern (digits where the pattern
    wants an id): no host, version or path holds it, and no two have one inside the other."""
    return f"9080706050403020{position}" if digits else f"0url{position}mark0"


def _request_url_parts(request) -> tuple:
    """The parts of the request a URL is made of, read once a request: get_host() checks the host
    against ALLOWED_HOSTS on every call, a tenth of the heartbeat's time when each printed URL asked."""
    parts = getattr(request, "_url_parts", None)
    if parts is None:
        parts = (request.version, request.scheme, request.get_host(), get_script_prefix())
        request._url_parts = parts
    return parts


def absolute_url(context: dict, view_name: str, **kwargs) -> str:
    """reverse(view_name, kwargs=kwargs) as an absolute URL for the context's request.

    Reversing costs a tenth of a millisecond, and a page of exams prints two URLs an exam: each
    pattern is reversed once per view, API version, scheme, host and script prefix (the parts of the
    request a URL is made of), with a mark in each value's place, and the values put in after.
    """
    request, url_format = context["request"], context.get("format")
    texts = {kwarg: str(value) for kwarg, value in kwargs.items()}
    if url_format or len(texts) > 9 or not all(_PLAIN_VALUE.fullmatch(text) for text in texts.values()):
        return reverse(view_name, kwargs=kwargs, request=request, format=url_format)
    shape = tuple((kwarg, text.isdigit()) for kwarg, text in texts.items())
    key = (view_name, shape, *_request_url_parts(request))
    found = _URL_TEMPLATES.get(key)
    if found is None:
        if len(_URL_TEMPLATES) >= _MOST_TEMPLATES:  # hosts are bounded by ALLOWED_HOSTS; stay bounded anyway
            _URL_TEMPLATES.clear()
        marks = {_url_mark(n, digits): kwarg for n, (kwarg, digits) in enumerate(shape, start=1)}
        template = reverse(view_name, kwargs={kwarg: mark for mark, kwarg in marks.items()}, request=request)
        found = _URL_TEMPLATES[key] = (template, re.compile("|".join(marks)), marks)
    template, pattern, marks = found
    # One pass: a value put in is never read again for a mark.
    return pattern.sub(lambda match: texts[marks[match.group()]], template)
