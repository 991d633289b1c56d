"""The one Django admin site, named for the product on every page (header, browser title, home).

Installed in place of django.contrib.admin (INSTALLED_APPS names BrandedAdminConfig), so
`admin.site`, which every app registers its models with, is this site: there is no second site.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class BrandedAdminSite(admin.AdminSite):
    # The header of every admin page, the login page's included.
    site_header = "Testpress exams"
    # The end of every page's <title>.
    site_title = "Testpress exams"
    # The home page's heading.
    index_title = "Exams, students and results"


class BrandedAdminConfig(AdminConfig):
    default_site = "testpress.admin_site.BrandedAdminSite"
