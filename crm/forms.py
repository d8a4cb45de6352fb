"""Form helpers shared by every app's pages: Bootstrap classes, invalid marks, labels."""

from typing import TYPE_CHECKING, Any

from django import forms
from django.forms.renderers import BaseRenderer
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import Branch, Staff


def bootstrap(form: forms.BaseForm) -> None:
    """Give each widget the Bootstrap class it needs."""
    for bound in form.visible_fields():
        widget = bound.field.widget
        if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


if TYPE_CHECKING:
    _FormMixinBase = forms.BaseForm  # what the mixin is combined with
else:
    _FormMixinBase = object


class MarksInvalidFields(_FormMixinBase):
    """Bootstrap's ``is-invalid`` on every widget whose field has an error."""

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                css = widget.attrs.get("class", "")
                if "is-invalid" not in css:
                    widget.attrs["class"] = f"{css} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


class ManyOptionsSelect(forms.Select):
    """A select of hundreds of options (a big bank's branches), its options written in Python.

    Django renders each option through two templates: for 331 branches, a fifth of the list
    page's time.
    """

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        chosen = set(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option, mark_safe(" selected") if str(option) in chosen else "", label)
                for option, label in self.choices
            ),
        )
        html_attrs = flatatt(self.build_attrs(self.attrs, attrs))
        return format_html('<select name="{}"{}>{}</select>', name, html_attrs, options)


def branch_label(branch: Branch, top_depth: int = 0) -> str:
    indent = "\u3000" * max(branch.depth - top_depth, 0)  # ideographic space
    return f"{indent}{branch.name}"


def manager_label(manager: Staff) -> str:
    label = (
        f"{manager.name} · {manager.branch.name}" if manager.branch is not None else manager.name
    )
    if not manager.is_active:
        label = _("%(manager)s (deactivated)") % {"manager": label}
    return label
