"""What each app adds to ``generate_bank`` and ``benchmark``, with its own command options.

The development tools know no app: every app's part is registered, in the order it must
run, from ``DevtoolsConfig.ready()`` (this app is installed in development and test
settings only, so nothing of it reaches the production process)::

    register_generation_step(
        "channels",
        "devtools.channels.generation.generate_channels",
        arguments=[Argument("--interactions-per-customer", type=int, default=0, minimum=0)],
    )

A generation step is called once per bank, inside the bank's one transaction, as the
tables' owner, with the new bank as the current tenant, after the steps registered before
it; it gets a ``devtools.generation.GenerationContext``. A benchmark section is called with
the tenant, the command's stdout and its options, prints its figures and returns how many
of them missed their target. Functions may be dotted paths, imported when they run (so a
``--help`` imports no generator). Each ``Argument`` is added to the command's parser; its
value reaches the step as ``context.options[dest]`` and the section as ``options[dest]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Argument:
    """One command-line option, as ``ArgumentParser.add_argument`` takes it.

    ``minimum``: the command refuses a smaller number ("--x must be at least 1." or, for 0,
    "--x cannot be negative.").
    """

    flag: str
    minimum: int | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def __init__(self, flag: str, *, minimum: int | None = None, **options: Any) -> None:
        object.__setattr__(self, "flag", flag)
        object.__setattr__(self, "minimum", minimum)
        object.__setattr__(self, "options", options)

    @property
    def dest(self) -> str:
        return self.options.get("dest") or self.flag.lstrip("-").replace("-", "_")

    @property
    def default(self) -> Any:
        if self.options.get("action") == "store_true":
            return self.options.get("default", False)
        return self.options.get("default")

    def add_to(self, parser) -> None:
        parser.add_argument(self.flag, **self.options)

    def refusal(self, value: Any) -> str | None:
        """Why ``value`` is refused, or None."""
        if self.minimum is None or value is None or value >= self.minimum:
            return None
        if self.minimum == 0:
            return f"{self.flag} cannot be negative."
        return f"{self.flag} must be at least {self.minimum}."


@dataclass(frozen=True)
class Part:
    """A generation step or a benchmark section of one app."""

    name: str
    function: Callable[..., Any] | str
    arguments: tuple[Argument, ...] = ()
    # Benchmark sections: the heading printed before the section's figures ("" for none),
    # and the tables whose size the command reports first.
    title: str = ""
    tables: tuple[str, ...] = ()

    def load(self) -> Callable[..., Any]:
        if isinstance(self.function, str):
            return import_string(self.function)
        return self.function


_steps: dict[str, Part] = {}
_sections: dict[str, Part] = {}


def register_generation_step(
    name: str, function: Callable[..., Any] | str, *, arguments: Iterable[Argument] = ()
) -> None:
    """Have ``generate_bank`` call ``function(context)``; registering a name again replaces it."""
    _steps[name] = Part(name, function, tuple(arguments))


def register_benchmark_section(
    name: str,
    function: Callable[..., Any] | str,
    *,
    title: str = "",
    arguments: Iterable[Argument] = (),
    tables: Iterable[str] = (),
) -> None:
    """Have ``benchmark`` call ``function(tenant, stdout=..., options=...)``, in this order."""
    _sections[name] = Part(name, function, tuple(arguments), title=title, tables=tuple(tables))


def generation_steps() -> list[Part]:
    return list(_steps.values())


def benchmark_sections() -> list[Part]:
    return list(_sections.values())


def arguments_of(parts: Sequence[Part]) -> list[Argument]:
    return [argument for part in parts for argument in part.arguments]


def with_defaults(parts: Sequence[Part], options: dict[str, Any]) -> dict[str, Any]:
    """``options`` completed with the default of every part's argument that it lacks."""
    return {
        **{argument.dest: argument.default for argument in arguments_of(parts)},
        **options,
    }
