from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Generators and benchmarks: installed in the development and test settings only.

    Each app's generation step and benchmark sections are registered here, in the order
    they run (an app's step may use what the steps before it made), as dotted paths: they
    are imported when a bank is generated or measured, not when a command starts.
    """

    name = "devtools"

    def ready(self) -> None:
        from devtools.channels import options as channels
        from devtools.customers import options as customers
        from devtools.marketing import options as marketing
        from devtools.registry import register_benchmark_section, register_generation_step

        register_generation_step(
            "customers",
            "devtools.customers.generation.generate_customers",
            arguments=customers.GENERATION_ARGUMENTS,
        )
        register_generation_step(
            "channels",
            "devtools.channels.generation.generate_channels",
            arguments=channels.GENERATION_ARGUMENTS,
        )
        register_generation_step(
            "channels: contact preferences",
            "devtools.channels.contact_policy.generate_contact_preferences",
        )
        register_generation_step(
            "marketing",
            "devtools.marketing.generation.generate_marketing",
            arguments=marketing.GENERATION_ARGUMENTS,
        )
        register_benchmark_section(
            "customers",
            "devtools.customers.benchmark.benchmark_section",
            arguments=customers.BENCHMARK_ARGUMENTS,
            tables=customers.BENCHMARK_TABLES,
        )
        register_benchmark_section(
            "channels: ingest",
            "devtools.channels.ingest_rate.benchmark_section",
            title="partner API: interactions ingested per second",
            arguments=channels.INGEST_ARGUMENTS,
        )
        register_benchmark_section(
            "channels: timeline",
            "devtools.channels.timeline_benchmark.benchmark_section",
            title="timeline of a customer with 10,000 contacts",
        )
        register_benchmark_section(
            "channels: contact policy",
            "devtools.channels.contact_policy.benchmark_section",
            title="contact policy: the contactable among every customer, counted",
            tables=("channels_channelpreference", "channels_contacthold", "customers_consent"),
        )
        register_benchmark_section(
            "marketing: scoring",
            "devtools.marketing.benchmark.benchmark_section",
            title="scoring and tiering a month of the whole bank",
            tables=("marketing_customervalue", "marketing_contribution", "marketing_tierchange"),
        )
