"""The signed-in user as the student API prints it (v2.1, also served at v2.2, v2.2.1 and v2.3)."""

from rest_framework import serializers
from rest_framework.reverse import reverse

from accounts.models import User
from accounts.services import PROFILE_FIELDS


class MeSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    display_name = serializers.SerializerMethodField()
    # There are no profile photos in this product; the clients take null.
    photo = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "url",
            "username",
            "display_name",
            "first_name",
            "last_name",
            "email",
            "phone",
            "photo",
        ]
        read_only_fields = fields

    def get_url(self, user: User) -> str:
        return reverse("me", request=self.context["request"])

    def get_display_name(self, user: User) -> str:
        return user.full_name or user.username

    def get_photo(self, user: User) -> str | None:
        return None


class MeUpdateSerializer(serializers.Serializer):
    """A PATCH of /me/: the contact fields only, each optional; other keys (username, password) are ignored.

    Types and lengths are checked here; the service checks the rest (a valid email).
    """

    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)

    class Meta:
        fields = PROFILE_FIELDS
