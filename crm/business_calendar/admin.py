"""Each bank's administrators keep its calendar of holidays and make-up working days."""

from django.contrib import admin

from crm.business_calendar.models import CalendarDay
from crm.tenancy.admin_site import TenantScopedAdmin


@admin.register(CalendarDay)
class CalendarDayAdmin(TenantScopedAdmin[CalendarDay]):
    list_display = ["date", "name", "is_working_day"]
    list_filter = ["is_working_day"]
    search_fields = ["name"]
    date_hierarchy = "date"
    fields = ["tenant", "date", "name", "is_working_day"]
