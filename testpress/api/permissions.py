"""Django's model permissions as the Django admin applies them: the admin API asks for the same ones."""

from rest_framework.permissions import DjangoModelPermissions

VIEW = "%(app_label)s.view_%(model_name)s"


class AdminModelPermissions(DjangoModelPermissions):
    """Reading needs view_<model>, POST add_<model>, PUT and PATCH change_<model>, DELETE delete_<model>.

    The model is the view's queryset's; a view's `extra_permissions` (app_label.codename) are needed too,
    for what it prints of other models. Superusers hold every permission.
    """

    perms_map = {**DjangoModelPermissions.perms_map, "GET": [VIEW], "HEAD": [VIEW], "OPTIONS": [VIEW]}

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        # A method the view does not serve is asked as a read: who may see the resource learns it is a
        # 405, who may not gets the 403 every other method gets.
        method = request.method if hasattr(view, request.method.lower()) else "GET"
        perms = self.get_required_permissions(method, self._queryset(view).model)
        return request.user.has_perms([*perms, *getattr(view, "extra_permissions", ())])
