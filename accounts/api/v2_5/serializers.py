from rest_framework import serializers

from accounts.models import User
from accounts.services import MAX_BATCHES
from testpress.api.fields import BoundedListField, UTCMicrosDateTimeField


class AdminUserSerializer(serializers.ModelSerializer):
    # Declared to leave out the model validator's pattern: its \w is any letter in Python ("asha_ü" is a
    # username) but only an ASCII one in the schema's ECMA-262 regex, so the schema refused real rows.
    username = serializers.CharField(read_only=True)
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


class AdminUserWriteSerializer(serializers.Serializer):
    """What staff send to enrol a student or change a user; the answer is an AdminUserSerializer.

    `batches` are names (created when new) and replace the user's batches; `password` is never printed.
    """

    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    batches = BoundedListField(
        child=serializers.CharField(max_length=150), max_length=MAX_BATCHES, required=False
    )


class AdminUserUpdateSerializer(AdminUserWriteSerializer):
    # Deactivating a user keeps their attempts and stops their logins.
    is_active = serializers.BooleanField(required=False)
