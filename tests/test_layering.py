"""The apps depend on each other in one direction only, and only through public modules.

``crm`` is the shared layer; ``customers`` builds on it; ``channels`` on both. An app may
use a lower app's models, selectors, services and declared extension points (its
registries), never its pages, forms, API or other internals: what two apps share moves
down into ``crm``. ``marketing`` and ``risk`` (when they arrive) build on ``channels`` and
never import each other: what they share lives lower down. ``devtools`` (generators and
benchmarks, installed in development and test settings only) sits on top of every app,
through the same public modules, and no product app imports it.
"""

import ast
from pathlib import Path

from django.conf import settings

# Each app's height: an app imports only apps lower than itself; apps of one height never
# import each other.
RANK = {"crm": 0, "customers": 1, "channels": 2, "marketing": 3, "risk": 3, "devtools": 4}
# Registries are public too: other apps plug into them from their AppConfig.ready().
PUBLIC_MODULES = {
    "models",
    "selectors",
    "services",
    "validators",
    "panels",
    "personal_data",
    "list_columns",
    "handover",
    "search_providers",
    "contact_policy",  # channels' one rule for whether a customer may be contacted
}
# The project's wiring, which names every app by design.
WIRING = {"crm.settings", "crm.urls", "crm.api.urls", "crm.celery"}


def modules() -> dict[str, Path]:
    found = {}
    for layer in RANK:
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
    return top if top in RANK else None


def wrong_imports(found: dict[str, Path]) -> list[str]:
    wrong = []
    for module, path in sorted(found.items()):
        if module in WIRING or any(module.startswith(f"{w}.") for w in WIRING):
            continue
        own = layer_of(module)
        for target in sorted(imported(path, found)):
            other = layer_of(target)
            if other is None or other == own:
                continue
            if RANK[other] > RANK[own]:
                wrong.append(f"{module} imports {target}: a lower layer uses a higher one")
            elif RANK[other] == RANK[own]:
                wrong.append(f"{module} imports {target}: apps of one layer are independent")
            elif other != "crm":
                parts = target.split(".")
                if len(parts) > 1 and parts[1] not in PUBLIC_MODULES:
                    wrong.append(f"{module} imports {target}: not a public module of {other}")
    return wrong


def test_every_import_between_apps_goes_down_and_through_a_public_module():
    found = modules()
    assert len(found) > 100  # the walk found the code
    assert wrong_imports(found) == []


def test_the_check_catches_each_kind_of_wrong_import(tmp_path):
    sources = {
        "customers.views": "from channels import models",
        "channels.views": "from customers.forms import listing",
        "marketing.services": "from risk import selectors",
        "risk.services": "from customers import selectors\nfrom crm.forms import bootstrap",
    }
    found = {}
    for name, source in sources.items():
        path = tmp_path / f"{name}.py"
        path.write_text(source)
        found[name] = path
    found.update({name: tmp_path / "absent.py" for name in ("channels.models", "risk.selectors")})
    found.update({name: tmp_path / "absent.py" for name in ("customers.forms.listing",)})
    (tmp_path / "absent.py").write_text("")
    wrong = wrong_imports(found)
    assert [line.split(":")[0] for line in wrong] == [
        "channels.views imports customers.forms.listing",
        "customers.views imports channels.models",
        "marketing.services imports risk.selectors",
    ]


# Inside crm the arrows point one way too: the tenancy core (context, managers, models,
# row-level security, middleware, the database backend) knows nothing of the layers built
# on it, and nothing below the site shell (home page, widgets, menu, demo) knows the shell.
CRM_SHELL = "crm.shell"
CRM_CORE = ("crm.tenancy", "crm.db")
# Django admin of the organisation lists the scopes a partner application may be granted,
# which the API's registry holds. crm.http only names the request's type for annotations;
# crm.addresses (client addresses, address ranges) imports nothing of the project.
CRM_CORE_EXCEPTIONS = {"crm.tenancy.admin": {"crm.api.scopes"}}
CRM_CORE_SHARED = ("crm.http", "crm.addresses")


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def test_nothing_in_crm_below_the_shell_imports_the_shell():
    found = modules()
    crm_modules = {name: path for name, path in found.items() if layer_of(name) == "crm"}
    assert any(within(name, CRM_SHELL) for name in crm_modules)  # the shell is where we look
    wrong = [
        f"{module} imports {target}"
        for module, path in sorted(crm_modules.items())
        if not within(module, CRM_SHELL) and module not in WIRING
        for target in sorted(imported(path, found))
        if within(target, CRM_SHELL)
    ]
    assert wrong == []


def runtime_imports(path: Path, known: dict[str, Path]) -> set[str]:
    """What the module imports when it runs: ``if TYPE_CHECKING:`` blocks name types only."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                setattr(node, field, [n for n in block if not _type_checking_only(n)])
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & known.keys()
            names.update(submodules or {node.module})
    return names


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test) in {
        "TYPE_CHECKING",
        "typing.TYPE_CHECKING",
    }


def test_the_tenancy_core_imports_only_the_core():
    found = modules()
    core = {
        name: path
        for name, path in found.items()
        if any(within(name, package) for package in CRM_CORE)
    }
    assert "crm.tenancy.context" in core and "crm.tenancy.rls" in core
    wrong = []
    for module, path in sorted(core.items()):
        for target in sorted(runtime_imports(path, found)):
            if layer_of(target) is None or target in CRM_CORE_EXCEPTIONS.get(module, set()):
                continue
            if not any(within(target, package) for package in (*CRM_CORE, *CRM_CORE_SHARED)):
                wrong.append(f"{module} imports {target}")
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
