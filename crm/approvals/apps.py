from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "crm.approvals"
    label = "approvals"
    verbose_name = _("Approvals")

    def ready(self) -> None:
        from crm.approvals.models import Proposal
        from crm.approvals.tasks import EXPIRE
        from crm.audit.selectors import register_audited_model
        from crm.jobs.names import register_job_name
        from crm.notifications.kinds import NotificationKind, register_notification_kind

        register_job_name(EXPIRE, _("Approvals: expire overdue proposals"))
        register_audited_model(
            Proposal, ["action", "summary", "maker", "status", "decided_by", "reason", "result"]
        )
        for kind in (
            NotificationKind(
                "approvals.approved",
                _("Approved: %(summary)s"),
                _("%(approver)s approved your proposal. %(reason)s"),
            ),
            NotificationKind(
                "approvals.rejected",
                _("Rejected: %(summary)s"),
                _("%(approver)s rejected your proposal: %(reason)s"),
            ),
            NotificationKind(
                "approvals.expired",
                _("Expired: %(summary)s"),
                _("Nobody decided on your proposal in time; propose it again if still needed."),
            ),
        ):
            register_notification_kind(kind)
