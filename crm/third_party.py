"""Names that django-axes and django-oauth-toolkit leave untranslatable, made translatable.

Axes names no app, the OAuth toolkit names its app and its admin's columns and actions
with plain strings, celery-beat names two columns after its properties, and Django derives
models' names from their class names: a Chinese administrator read them in English. These
app configurations name them with lazy translations.

Their translations live with the packages' own strings in the third-party catalogue
(``locale_third_party``), not in ours: ``third_party_text`` is ``gettext_lazy`` under a
name makemessages does not extract (tests/test_third_party_translations.py checks that
each of them is translated there).
"""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as third_party_text
from django_celery_beat.apps import BeatConfig
from oauth2_provider.apps import DOTConfig

__all__ = ["AxesConfig", "CeleryBeatConfig", "OAuthToolkitConfig", "third_party_text"]


class AxesConfig(AxesAppConfig):  # type: ignore[misc]  # untyped django-axes
    verbose_name = third_party_text("Login lockout")

    def ready(self) -> None:
        super().ready()
        from axes.admin import AccessAttemptAdmin

        AccessAttemptAdmin.status.short_description = third_party_text("Status")


class OAuthToolkitConfig(DOTConfig):  # type: ignore[misc]  # untyped oauth2_provider
    verbose_name = third_party_text("Partner API authorisation")

    def ready(self) -> None:
        super().ready()
        from oauth2_provider import admin as toolkit_admin
        from oauth2_provider import models

        names = {
            models.AccessToken: ("access token", "access tokens"),
            models.DeviceGrant: ("device grant", "device grants"),
            models.Grant: ("grant", "grants"),
            models.IDToken: ("ID token", "ID tokens"),
            models.RefreshToken: ("refresh token", "refresh tokens"),
        }
        for model, (singular, plural) in names.items():
            # Read by admin only; migrations take options from Meta (original_attrs).
            model._meta.verbose_name = third_party_text(singular)
            model._meta.verbose_name_plural = third_party_text(plural)
        descriptions = {
            toolkit_admin.AccessTokenAdmin.masked_token: "token",
            toolkit_admin.RefreshTokenAdmin.masked_token: "token",
            toolkit_admin.GrantAdmin.masked_code: "code",
            toolkit_admin.AccessTokenAdmin.revoke_tokens: "Revoke selected access tokens",
            toolkit_admin.RefreshTokenAdmin.revoke_tokens: "Revoke selected refresh tokens",
        }
        for function, description in descriptions.items():
            function.short_description = third_party_text(description)


class CeleryBeatConfig(BeatConfig):  # type: ignore[misc]  # untyped django-celery-beat
    def ready(self) -> None:
        super().ready()
        from django_celery_beat.models import CrontabSchedule, PeriodicTask

        # Admin reads a property column's name from its getter's short_description.
        CrontabSchedule.human_readable.fget.short_description = third_party_text("In words")
        PeriodicTask.scheduler.fget.short_description = third_party_text("Schedule type")
