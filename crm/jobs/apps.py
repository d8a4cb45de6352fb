from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "crm.jobs"
    label = "jobs"
    verbose_name = _("Background jobs")

    def ready(self) -> None:
        from crm.jobs.names import register_job_name
        from crm.jobs.tasks import HOUSEKEEPING

        register_job_name(HOUSEKEEPING, _("Housekeeping: expired partner tokens"))
        register_job_name(f"{HOUSEKEEPING}.sessions", _("Housekeeping: expired sessions"))
