from django.urls import re_path
from rest_framework.routers import SimpleRouter

from testpress.api.schema import slashless_alias

from .v2_1.views import AttemptViewSet, ExamAttemptsView

router = SimpleRouter()
router.register("attempts", AttemptViewSet, basename="attempt")

urlpatterns = [
    re_path(r"^exams/(?P<slug>[^/.]+)/attempts/$", ExamAttemptsView.as_view(), name="exam-attempts"),
    # As for the exam detail, clients may leave out the trailing slash; links keep it.
    re_path(r"^exams/(?P<slug>[^/.]+)/attempts$", slashless_alias(ExamAttemptsView).as_view()),
    *router.urls,
]
