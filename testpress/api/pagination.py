"""Page-number pagination with the Testpress body: count, next, previous, per_page, results."""

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


class TestpressPagination(PageNumberPagination):
    page_size_query_param = "per_page"

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "per_page": self.page.paginator.per_page,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["per_page"] = {"type": "integer", "example": self.page_size}
        paginated["required"] = ["count", "next", "previous", "per_page", "results"]
        return paginated


class StudentPagination(TestpressPagination):
    # The v2.1 student API's page size, and the most a client may ask for with ?per_page=.
    page_size = 20
    max_page_size = 100


class AdminPagination(TestpressPagination):
    page_size = 200
    max_page_size = 1000
