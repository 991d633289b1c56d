"""The admin's Import and Export buttons, behind the model permissions the admin's own pages ask for."""

from import_export.admin import ImportExportMixin


class PermittedImportExportMixin(ImportExportMixin):
    """django-import-export lets any staff member import and export unless told otherwise: here an import
    adds and changes rows (add_ and change_<model>), an export reads them all (view_<model>)."""

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)
