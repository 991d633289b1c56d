"""DRF's body parsers, refusing with a 400 the shapes no client sends and the code below cannot take.

JSON nested too deeply for json.loads: it raises RecursionError near a thousand levels, which DRF
lets through as a 500. Nesting below that reaches the serializers, which refuse a list or an object
where they expect a value without walking into it. Form field names whose list index is longer than
MAX_INDEX_DIGITS: DRF's list fields int() the index (`selected_answers[12]`), and int() of more than
4,300 digits raises ValueError (a 500).
"""

import re

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# An index past a billion names no element of a form of at most DATA_UPLOAD_MAX_NUMBER_FIELDS fields.
MAX_INDEX_DIGITS = 9

LIST_INDEX = re.compile(rf"\[(\d{{{MAX_INDEX_DIGITS + 1},}})\]")


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - lists and objects are nested too deeply.") from None


def refuse_long_list_indexes(names) -> None:
    for name in names:
        if LIST_INDEX.search(name):
            shown = name if len(name) <= 40 else f"{name[:40]}…"
            raise ParseError(f"Form field {shown!r}: a list index has at most {MAX_INDEX_DIGITS} digits.")


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        refuse_long_list_indexes(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        refuse_long_list_indexes(parsed.data)
        refuse_long_list_indexes(parsed.files)
        return parsed
