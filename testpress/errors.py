"""The domain's refusals: plain exceptions with a stable code and a message, no HTTP in sight.

Services and selectors raise them; the API maps each kind to a status once
(testpress/api/exceptions.py) and the admin shows the message (testpress/admin_messages.py).
A class per cause, so clients and staff can tell causes apart by `code`.
"""


class DomainError(Exception):
    """A rule said no. `code` is what clients branch on; `extra` is merged into the API's body."""

    code = "invalid"
    message = "This cannot be done."

    def __init__(self, message: str | None = None, **extra):
        self.message = message or self.message
        self.extra = extra
        super().__init__(self.message)

    @property
    def messages(self) -> list[str]:
        """Everything the refusal says, for a page that lists it (the admin)."""
        return [self.message]


class NotFound(DomainError):
    """What was asked for does not exist, or the asker may not know that it does."""

    code = "not_found"
    message = "Not found."


class Forbidden(DomainError):
    """It exists, but this user may not do this to it."""

    code = "permission_denied"
    message = "You do not have permission to perform this action."


class Conflict(DomainError):
    """The request is fine but the thing's state forbids it now (an ended attempt, say)."""

    code = "conflict"
    message = "The request conflicts with the current state of the resource."


class Invalid(DomainError):
    """Input that breaks a rule: {"<field>": ["<message>", ...], ...} in the API.

    Raised about one field (`field`, the message) or about several at once (`fields`, each field's
    messages), as a form's validation would.
    """

    code = "invalid"
    field = "non_field_errors"
    message = "Invalid value."

    def __init__(self, message: str | None = None, *, fields: dict[str, list[str]] | None = None, **extra):
        super().__init__(message or _first(fields), **extra)
        self.fields = fields or {self.field: [self.message]}

    @property
    def messages(self) -> list[str]:
        return [message for messages in self.fields.values() for message in messages]


def _first(fields: dict[str, list[str]] | None) -> str | None:
    return next((messages[0] for messages in (fields or {}).values() if messages), None)
