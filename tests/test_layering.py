"""The apps depend on each other in one direction only, and only through public modules.

``crm`` is the shared layer; ``customers`` builds on it; ``channels`` on both. An app may
use a lower app's models, selectors, services and declared extension points (its
registries), never its pages, forms, API or other internals: what two apps share moves
down into ``crm``. ``devtools`` (generators and benchmarks, installed in development and
test settings only) sits on top of every app, through the same public modules, and no
product app imports it.
"""

import ast
from pathlib import Path

from django.conf import settings

LAYERS = ["crm", "customers", "channels", "devtools"]
PUBLIC_MODULES = {"models", "selectors", "services", "panels", "validators"}
# The project's wiring, which names every app by design.
WIRING = {"crm.settings", "crm.urls", "crm.api.urls", "crm.celery"}


def modules() -> dict[str, Path]:
    found = {}
    for layer in LAYERS:
        for path in (settings.BASE_DIR / layer).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            relative = path.relative_to(settings.BASE_DIR).with_suffix("")
            name = ".".join(relative.parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imported(path: Path, known: dict[str, Path]) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & known.keys()
            # "from customers import selectors" imports the module customers.selectors
            names.update(submodules or {node.module})
    return names


def layer_of(module: str) -> str | None:
    top = module.split(".")[0]
    return top if top in LAYERS else None


def test_every_import_between_apps_goes_down_and_through_a_public_module():
    found = modules()
    assert len(found) > 100  # the walk found the code
    wrong = []
    for module, path in sorted(found.items()):
        if module in WIRING or any(module.startswith(f"{w}.") for w in WIRING):
            continue
        own = layer_of(module)
        for target in sorted(imported(path, found)):
            other = layer_of(target)
            if other is None or other == own:
                continue
            if LAYERS.index(other) > LAYERS.index(own):
                wrong.append(f"{module} imports {target}: a lower layer uses a higher one")
            elif other != "crm":
                parts = target.split(".")
                if len(parts) > 1 and parts[1] not in PUBLIC_MODULES:
                    wrong.append(f"{module} imports {target}: not a public module of {other}")
    assert wrong == []


def test_no_product_app_imports_the_development_tools():
    found = modules()
    assert any(module.startswith("devtools.") for module in found)
    wrong = [
        f"{module} imports {target}"
        for module, path in sorted(found.items())
        if layer_of(module) != "devtools"
        for target in imported(path, found)
        if layer_of(target) == "devtools"
    ]
    assert wrong == []
