from rest_framework.routers import SimpleRouter

from .v2_5.views import AdminExamViewSet

router = SimpleRouter()
router.register("exams", AdminExamViewSet, basename="admin-exam")

urlpatterns = router.urls
