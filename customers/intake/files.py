"""The files an import hands to staff: the template to fill in, the file of rows with errors.

Both are import files themselves. The template's note and example rows start with
``crm.sheets.NOTE_START``, which reading skips, so an unchanged template (or one whose
examples were left in) creates no customer. The error file is the uploaded rows as they were
read, with each row's reasons in a first column that reading skips: staff correct that very
file and upload it again. It is built only for the person who uploaded the file, only while
the upload waits to be applied (its rows are deleted after that, or after a day), and it is
not cached (``views._download``): the same reach as the preview page that lists the reasons.
"""

from __future__ import annotations

from django.utils.text import capfirst
from django.utils.translation import gettext as _

from crm.sheets import NOTE_START, Table, build_error_file, build_import_template
from crm.tenancy.models import Branch, Staff
from customers import rules
from customers.intake.checks import COLUMNS, ImportCheck, home_branches
from customers.intake.models import ImportJob
from customers.models import Customer, Holding, Product

# Valid numbers (a woman born 1990-01-01 in Beijing; a credit code often used in examples),
# so that an example row shows a number the checks accept.
EXAMPLE_RESIDENT_ID = "110101199001010023"
EXAMPLE_BIRTH_DATE = "1990-01-01"
EXAMPLE_CREDIT_CODE = "91350100M000100Y43"
EXAMPLE_CUSTOMER_NUMBERS = ("C000001", "C000002")


def _note() -> str:
    return _(
        "Lines whose first cell starts with %(mark)s are not imported (this note and the "
        "example rows under it): write your rows below them or over them."
    ) % {"mark": NOTE_START}


def _verbose(model: type, name: str) -> str:
    return str(capfirst(model._meta.get_field(name).verbose_name))


def _customer_sheets(actor: Staff) -> tuple[list[dict[str, str]], list[Table]]:
    """Example rows valid for ``actor``, and the branch codes and managers they may use."""
    branches = list(home_branches(actor).tree_order())
    managers = list(
        rules.managers_within_reach(actor)
        .select_related("branch")
        .order_by("branch__path", "username")
    )
    branch = next((b for b in branches if b.pk == actor.branch_id), None)
    branch = branch or (branches[0] if branches else None)
    manager = next((m for m in managers if branch and m.branch_id == branch.pk), None)
    manager = manager or (managers[0] if managers else None)
    branch_code = branch.code if branch else ""
    examples = [
        {
            "number": EXAMPLE_CUSTOMER_NUMBERS[0],
            "kind": str(Customer.Kind.INDIVIDUAL.label),
            "name": "张三",
            "id_type": str(Customer.IdType.RESIDENT_ID.label),
            "id_number": EXAMPLE_RESIDENT_ID,
            "phone": "13800000000",
            "birth_date": EXAMPLE_BIRTH_DATE,
            "gender": str(Customer.Gender.FEMALE.label),
            "home_branch": branch_code,
            "relationship_manager": manager.username if manager else "",
            "status": str(Customer.Status.ACTIVE.label),
            "occupation": _("Teacher"),
            "consent_marketing_sms": _("Yes"),
            "consent_personalised_offers": _("No"),
        },
        {
            "number": EXAMPLE_CUSTOMER_NUMBERS[1],
            "kind": str(Customer.Kind.CORPORATE.label),
            "name": _("Example Technology Co., Ltd."),
            "id_type": str(Customer.IdType.USCC.label),
            "id_number": EXAMPLE_CREDIT_CODE,
            "home_branch": branch_code,
            "status": str(Customer.Status.ACTIVE.label),
            "industry": _("Manufacturing"),
            "legal_representative": "李四",
        },
    ]
    references = [
        Table(
            str(capfirst(Branch._meta.verbose_name_plural)),
            [_verbose(Branch, "code"), _verbose(Branch, "name"), _verbose(Branch, "kind")],
            [[b.code, b.name, b.get_kind_display()] for b in branches],
        ),
        Table(
            _("Relationship managers"),
            [
                _verbose(Staff, "username"),
                _verbose(Staff, "name"),
                _("Branch code"),
                _("Branch name"),
            ],
            [[m.username, m.name, m.branch.code, m.branch.name] for m in managers],
        ),
    ]
    return examples, references


def _holding_sheets(actor: Staff) -> tuple[list[dict[str, str]], list[Table]]:
    """An example row, and the bank's active products (their codes go in the file)."""
    products = list(Product.objects.filter(is_active=True).order_by("code"))
    examples = [
        {
            "account_number": "6222000000000001",
            "customer_number": EXAMPLE_CUSTOMER_NUMBERS[0],
            "product_code": products[0].code if products else "",
            "opened_on": "2024-01-15",
            "status": str(Holding.Status.ACTIVE.label),
            "balance": "10000.00",
        }
    ]
    references = [
        Table(
            str(capfirst(Product._meta.verbose_name_plural)),
            [_verbose(Product, "code"), _verbose(Product, "name"), _verbose(Product, "category")],
            [[p.code, p.name, p.get_category_display()] for p in products],
        )
    ]
    return examples, references


SHEETS = {ImportJob.Kind.CUSTOMERS: _customer_sheets, ImportJob.Kind.HOLDINGS: _holding_sheets}


def import_template(*, kind: str, actor: Staff, file_format: str) -> bytes:
    """The template of an import of ``kind`` in the reader's language, for ``actor``.

    Under the header row, a note and example rows that are not imported. The XLSX template
    adds sheets of the codes ``actor`` may use; a CSV file holds one table only.
    """
    columns = COLUMNS[kind]
    examples, references = SHEETS[ImportJob.Kind(kind)](actor)
    return build_import_template(
        title=str(ImportJob.Kind(kind).label),
        headers=[str(column.label) for column in columns],
        note=_note(),
        examples=[[example.get(column.key, "") for column in columns] for example in examples],
        references=references,
        file_format=file_format,
    )


def error_file(*, job: ImportJob, check: ImportCheck, file_format: str) -> bytes:
    """Every row of the job's file as read, each with its reasons (if any) in front.

    The columns are those of the upload that the import reads, in the upload's order,
    under their names in the reader's language; columns the import ignored were never
    stored, so they are not in it.
    """
    rows = job.get_rows()
    reasons = {problem.line: " ".join(problem.reasons) for problem in check.problems}
    labels = {column.key: str(column.label) for column in COLUMNS[job.kind]}
    keys = [key for key in rows[0] if key in labels] if rows else list(labels)
    return build_error_file(
        title=str(job.get_kind_display()),
        headers=[labels[key] for key in keys],
        rows=[(reasons.get(row["line"], ""), [row.get(key, "") for key in keys]) for row in rows],
        file_format=file_format,
    )
