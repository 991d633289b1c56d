from django.urls import re_path
from rest_framework.routers import SimpleRouter

from testpress.api.schema import slashless_alias

from .v2_1.access_codes import AccessCodeExamsView
from .v2_1.views import AttemptViewSet, ExamAttemptsView, ExamViewSet

router = SimpleRouter()
router.register("exams", ExamViewSet, basename="exam")
router.register("attempts", AttemptViewSet, basename="attempt")

urlpatterns = [
    # Mobile clients request an exam's detail without the trailing slash. A separate pattern, not an
    # optional "/?" in the named one: reverse() would drop the optional slash from every link.
    re_path(
        r"^exams/(?P<slug>[^/.]+)$",
        slashless_alias(ExamViewSet).as_view({"get": "retrieve"}, basename="exam", detail=True),
    ),
    re_path(r"^exams/(?P<slug>[^/.]+)/attempts/$", ExamAttemptsView.as_view(), name="exam-attempts"),
    # As for the exam detail, clients may leave out the trailing slash; links keep it.
    re_path(r"^exams/(?P<slug>[^/.]+)/attempts$", slashless_alias(ExamAttemptsView).as_view()),
    re_path(
        r"^access_codes/(?P<code>[^/]+)/exams/$", AccessCodeExamsView.as_view(), name="access-code-exams"
    ),
    *router.urls,
]
