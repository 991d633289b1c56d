from django.urls import re_path
from rest_framework.routers import SimpleRouter

from testpress.api.schema import slashless_alias

from .v2_1.views import ExamViewSet

router = SimpleRouter()
router.register("exams", ExamViewSet, basename="exam")

urlpatterns = [
    *router.urls,
    # Mobile clients request an exam's detail without the trailing slash. A separate pattern, not an
    # optional "/?" in the named one: reverse() would drop the optional slash from every link.
    re_path(
        r"^exams/(?P<slug>[^/.]+)$",
        slashless_alias(ExamViewSet).as_view({"get": "retrieve"}, basename="exam", detail=True),
    ),
]
