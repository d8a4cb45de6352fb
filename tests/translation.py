"""Messages as a zh-hans page shows them: tests compare pages with the catalogue's text."""

from django.utils import translation
from django.utils.translation import gettext


def zh(message: str, **params) -> str:
    """The message as a zh-hans page shows it."""
    with translation.override("zh-hans"):
        text = gettext(message)
    return text % params if params else text
