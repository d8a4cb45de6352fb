"""Enumerate every URL pattern of the project with concrete arguments."""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

CONVERTER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


@dataclass(frozen=True)
class Route:
    template: str  # e.g. "admin/tenancy/branch/{object_id}/change/"
    name: str | None
    arguments: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.template.startswith(("api/", "o/"))

    @property
    def is_admin(self) -> bool:
        return self.template.startswith("admin/")

    def admin_model(self) -> tuple[str, str] | None:
        match = re.match(r"admin/(\w+)/(\w+)/", self.template)
        return (match.group(1), match.group(2)) if match else None

    def build(self, **values) -> str:
        return "/" + self.template.format(**values)


def _normalise(pattern: str) -> tuple[str, list[str]]:
    names: list[str] = []

    def converter(match):
        names.append(match.group("name"))
        return "{" + match.group("name") + "}"

    # Regex groups first: their "<name>" would otherwise be taken for a path converter.
    text = REGEX_GROUP.sub(converter, pattern)
    text = CONVERTER.sub(converter, text)
    text = text.lstrip("^").replace("$", "").replace("\\Z", "").replace("\\", "")
    text = re.sub(r"\(\?:[^)]*\)\??", "", text)  # optional format suffixes
    return text, names


def iter_routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[Route]:
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        text, _names = _normalise(str(entry.pattern))
        if isinstance(entry, URLResolver):
            yield from iter_routes(entry, prefix + text)
        elif isinstance(entry, URLPattern):
            template = prefix + text
            yield Route(template=template, name=entry.name, arguments=_arguments(template))


def _arguments(template: str) -> tuple[str, ...]:
    return tuple(re.findall(r"{(\w+)}", template))
