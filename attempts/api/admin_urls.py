from rest_framework.routers import SimpleRouter

from .v2_5.views import AdminAttemptViewSet

router = SimpleRouter()
# Names "admin-attempt-list", "admin-attempt-detail" and "admin-attempt-user-answers".
router.register("attempts", AdminAttemptViewSet, basename="admin-attempt")

urlpatterns = router.urls
