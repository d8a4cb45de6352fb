from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "channels"
    verbose_name = _("Channels")

    def ready(self) -> None:
        # customers imports nothing from channels: channels plugs into its registries, here
        # and nowhere else (importing a module of channels registers nothing).
        from channels import (
            audit,
            demo,
            follow_ups,
            handover,
            list_columns,
            panels,
            personal_data,
            preference_panel,
            search,
            widgets,
        )
        from channels.rollup import JOB as ROLLUP_JOB
        from crm.api.scopes import register_scope
        from crm.jobs.names import register_job_name
        from crm.shell.demo import register_demo_loader
        from crm.shell.navigation import NavItem, register_nav_item
        from customers.handover import register_handover_participant
        from customers.panels import register_panel
        from customers.search_providers import register_search_provider

        audit.register()
        register_job_name(ROLLUP_JOB, _("Channel analytics: daily roll-up"))
        widgets.register()
        personal_data.register()
        list_columns.register()
        register_search_provider(search.SERVICE_REQUESTS)
        register_handover_participant("service_requests", handover.move_open_requests)
        register_handover_participant("follow_ups", follow_ups.move_open_follow_ups)
        register_panel(panels.TIMELINE_PANEL)
        register_panel(preference_panel.PREFERENCE_PANEL)
        register_panel(panels.FOLLOW_UPS_PANEL)
        register_demo_loader(demo.load_channels)
        register_scope(
            "interactions:write",
            _("Load customers' contacts from any channel (call center, app...)"),
        )
        register_scope(
            "service_requests:read", _("Read service requests, their status and their steps")
        )
        register_scope(
            "service_requests:write",
            _("Open service requests and move them to their next step"),
        )
        register_nav_item(
            NavItem(
                _("Service requests"),
                "channels:requests",
                permission="channels.view_servicerequest",
                order=20,
            )
        )
        register_nav_item(
            NavItem(
                _("My follow-ups"),
                "channels:follow_ups",
                permission="channels.change_followup",
                order=15,
            )
        )
        register_nav_item(
            NavItem(
                _("Team follow-ups"),
                "channels:follow_ups_team",
                permission="channels.reassign_followup",
                order=16,
            )
        )
        register_nav_item(
            NavItem(
                _("Channel analytics"),
                "channels:analytics",
                permission="channels.view_channel_analytics",
                order=30,
            )
        )
