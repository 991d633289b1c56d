from rest_framework.routers import SimpleRouter

from .v2_5.views import AdminAttemptViewSet

router = SimpleRouter()
# Names "admin-attempt-list" and, once the viewset can retrieve, "admin-attempt-detail".
router.register("attempts", AdminAttemptViewSet, basename="admin-attempt")

urlpatterns = router.urls
