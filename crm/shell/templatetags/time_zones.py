"""``{{ tenant.time_zone|time_zone_name }}``: a zone by the name staff use for it."""

from django import template

from crm.tenancy import time_zones

register = template.Library()
register.filter("time_zone_name", time_zones.time_zone_name)
