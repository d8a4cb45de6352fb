"""The console shows each event once, with the request's context."""

import logging

from django.conf import settings


def handlers_reached(logger: logging.Logger) -> list[logging.Handler]:
    """The configured handlers a record of ``logger`` reaches (not pytest's own)."""
    reached = []
    while logger is not None:
        reached += [h for h in logger.handlers if not type(h).__module__.startswith("_pytest")]
        logger = logger.parent if logger.propagate else None
    return reached


def test_a_404_warning_is_printed_once_also_with_debug_on(settings):
    settings.DEBUG = True  # Django's own console handler prints only then
    logger = logging.getLogger("django.request")
    record = logger.makeRecord(logger.name, logging.WARNING, __file__, 1, "Not Found: /x", (), None)
    printing = [
        handler
        for handler in handlers_reached(logger)
        if record.levelno >= handler.level and handler.filter(record)
    ]
    assert len(printing) == 1


def test_the_embedded_broker_names_a_host():
    """kombu warns 'No hostname was supplied' three times at start otherwise."""
    from kombu import Connection

    from crm.embedded import embedded_broker

    url, options = embedded_broker()
    assert Connection(url, transport_options=options).hostname == "localhost"
    assert settings.CELERY_BROKER_URL  # set either way
