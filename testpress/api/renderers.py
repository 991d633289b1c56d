"""JSON out through orjson (drf-orjson-renderer): the same bytes as DRF's renderer, several times faster.

Exam day renders every answer save and heartbeat, and the admin lists 200 rows a page; json.dumps was
a large share of both. Whatever orjson does not print natively (Decimal, lazy strings, datetimes passed
through) goes to DRF's own encoder, so a value prints exactly as before.
"""

import orjson
from drf_orjson_renderer.renderers import ORJSONRenderer
from rest_framework.utils.encoders import JSONEncoder


class JSONRenderer(ORJSONRenderer):
    # Datetimes to DRF's encoder too: orjson's own format differs from DRF's (microseconds, "+00:00").
    # Keys that are not strings (a list field's errors are keyed by index) print as json.dumps does.
    options = ORJSONRenderer.options | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS

    @staticmethod
    def default(obj):
        return JSONEncoder().default(obj)
