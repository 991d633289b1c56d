from django.urls import path

from .v2_1.views import MeView

urlpatterns = [path("me/", MeView.as_view(), name="me")]
