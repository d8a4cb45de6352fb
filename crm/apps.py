from django.contrib.admin.apps import AdminConfig


class CRMAdminConfig(AdminConfig):
    default_site = "crm.tenancy.admin_site.CRMAdminSite"
