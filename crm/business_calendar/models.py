"""A bank's exceptions to the working week: public holidays and make-up working days."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.tenancy.managers import ScopedManager


class CalendarDay(models.Model):
    """A day that differs from the plain week (Monday to Friday working).

    Chinese public holidays are announced each year with make-up working days (调休): a
    Saturday or Sunday on which banks work. A weekday holiday is a day here with
    ``is_working_day`` off; a make-up weekend day is one with it on.
    """

    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.PROTECT, related_name="+", verbose_name=_("tenant")
    )
    date = models.DateField(_("date"))
    is_working_day = models.BooleanField(
        _("working day"),
        default=False,
        help_text=_("Off for a holiday; on for a weekend day worked to make up for one."),
    )
    name = models.CharField(_("name"), max_length=100, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("business calendar")
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["tenant", "date"], name="calendar_day_once")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()
