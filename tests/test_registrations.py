"""Every registration happens in an AppConfig.ready(), never when a module is imported.

Importing a module for one of its functions must not plug anything into a registry (a
panel, a widget, a scope, an audited model...): what is registered, and in which order, is
read in the apps' ready() methods. Django's own import-time mechanisms stay: admin's
``@admin.register`` (run by admin's autodiscovery), a router's URLs, template libraries.
"""

import ast

from tests.test_layering import modules

# Module-level calls Django itself expects at import.
ALLOWED = {"admin.register", "router.register", "register.filter", "register.simple_tag"}


def called_name(call: ast.Call) -> str:
    function = call.func
    if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name):
        return f"{function.value.id}.{function.attr}"
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else ""


def is_registration(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return name not in ALLOWED and (
        last.startswith("register") or last in {"connect", "disconnect", "receiver"}
    )


def module_level_calls(tree: ast.Module):
    """Calls run when the module is imported: outside functions, with class bodies and
    decorators included."""
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            pending.extend(node.decorator_list)
            continue
        if isinstance(node, ast.ClassDef):
            pending.extend(node.decorator_list)
            pending.extend(node.body)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Call):
            yield node
        pending.extend(ast.iter_child_nodes(node))


def test_no_module_registers_anything_when_imported():
    found = modules()
    wrong = []
    for module, path in sorted(found.items()):
        tree = ast.parse(path.read_text(), filename=str(path))
        for call in module_level_calls(tree):
            name = called_name(call)
            if is_registration(name):
                wrong.append(f"{module}:{call.lineno} calls {name}() at import")
    assert wrong == []


def test_the_check_would_notice_a_registration_at_import():
    tree = ast.parse("from x import register_panel\nregister_panel(PANEL)\n")
    assert [called_name(c) for c in module_level_calls(tree)] == ["register_panel"]
    tree = ast.parse("@receiver(signal)\ndef f():\n    register_widget(W)\n")
    assert [called_name(c) for c in module_level_calls(tree)] == ["receiver"]
    assert is_registration("receiver") and not is_registration("admin.register")
