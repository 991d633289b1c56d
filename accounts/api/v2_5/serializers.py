from rest_framework import serializers

from accounts.models import User
from testpress.api.fields import UTCMicrosDateTimeField


class AdminUserSerializer(serializers.ModelSerializer):
    batches = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    date_joined = UTCMicrosDateTimeField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "phone",
            "batches",
            "is_active",
            "is_staff",
            "date_joined",
        ]
