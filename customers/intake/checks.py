"""Checks of every row of an import file, before anything is written.

The same checks run for the preview (in the reader's language) and again in the background
job just before writing, so that a file checked yesterday cannot write what today's data
refuses. A row's reasons name the field and what is wrong with it; duplicates are looked
for inside the file and against the bank (identity and phone through the blind index).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import bounds, pii
from crm.sheets import Column
from crm.tenancy.context import require_tenant
from crm.tenancy.models import Branch, BranchQuerySet, Staff
from customers import rules, selectors
from customers.intake.models import ImportJob
from customers.models import Consent, Customer, Holding, Product

LOOKUP_BATCH = 1000
# What a checked customer row gives ``customers.services.customer_build``.
RECORD_VALUES = (
    "number",
    "kind",
    "name",
    "status",
    "id_type",
    "id_number",
    "phone",
    "birth_date",
    "gender",
    "occupation",
    "address",
    "industry",
    "legal_representative",
    "home_branch_id",
    "relationship_manager_id",
)

CUSTOMER_COLUMNS = (
    Column("number", gettext_lazy("customer number"), True, ("客户号", "客户编号", "customerno")),
    Column("kind", gettext_lazy("customer type"), True, ("type", "类型", "客户类型", "客户类别")),
    Column("name", gettext_lazy("name"), True, ("姓名", "名称", "客户名称", "customername")),
    Column("id_type", gettext_lazy("ID type"), False, ("证件类型",)),
    # An ID number or a mobile number (customers.rules): neither column is required alone.
    Column(
        "id_number", gettext_lazy("ID number"), False, ("证件号", "证件号码", "身份证号", "idno")
    ),
    Column(
        "phone",
        gettext_lazy("mobile phone"),
        False,
        ("phone", "手机", "手机号", "手机号码", "电话"),
    ),
    Column("birth_date", gettext_lazy("birth date"), False, ("出生日期", "birthday")),
    Column("gender", gettext_lazy("gender"), False, ("性别", "sex")),
    Column(
        "home_branch",
        gettext_lazy("home branch code"),
        True,
        ("branch", "机构号", "机构代码", "归属机构", "归属机构代码"),
    ),
    Column(
        "relationship_manager",
        gettext_lazy("relationship manager username"),
        False,
        ("rm", "客户经理", "客户经理用户名"),
    ),
    Column("status", gettext_lazy("status"), False, ("状态",)),
    Column("occupation", gettext_lazy("occupation"), False, ("职业",)),
    Column("address", gettext_lazy("address"), False, ("地址",)),
    Column("industry", gettext_lazy("industry"), False, ("行业",)),
    Column("legal_representative", gettext_lazy("legal representative"), False, ("法人",)),
)

# A customer's consents as the bank collected them on paper or in the old system: one column
# per purpose and channel, "yes" or "no", empty for no answer (no answer means no).
CONSENT_COLUMNS = {
    "consent_marketing_sms": (Consent.Purpose.MARKETING, Consent.Channel.SMS),
    "consent_marketing_phone": (Consent.Purpose.MARKETING, Consent.Channel.PHONE),
    "consent_marketing_any": (Consent.Purpose.MARKETING, Consent.Channel.ANY),
    "consent_personalised_offers": (Consent.Purpose.PERSONALISED_OFFERS, Consent.Channel.ANY),
    "consent_data_sharing": (Consent.Purpose.DATA_SHARING, Consent.Channel.ANY),
}
CUSTOMER_COLUMNS += (
    Column(
        "consent_marketing_sms",
        gettext_lazy("marketing consent: SMS"),
        False,
        ("短信营销授权", "短信营销"),
    ),
    Column(
        "consent_marketing_phone",
        gettext_lazy("marketing consent: phone"),
        False,
        ("电话营销授权", "电话营销"),
    ),
    Column(
        "consent_marketing_any",
        gettext_lazy("marketing consent: any channel"),
        False,
        ("营销授权", "营销同意"),
    ),
    Column(
        "consent_personalised_offers",
        gettext_lazy("personalised offers consent"),
        False,
        ("个性化推荐授权", "个性化推荐"),
    ),
    Column(
        "consent_data_sharing",
        gettext_lazy("data sharing consent"),
        False,
        ("数据共享授权", "数据共享"),
    ),
)
CONSENT_LABELS = {
    column.key: column.label for column in CUSTOMER_COLUMNS if column.key in CONSENT_COLUMNS
}
YES_WORDS = frozenset({"是", "同意", "授权", "已授权", "y", "yes", "true", "1"})
NO_WORDS = frozenset({"否", "不同意", "拒绝", "未授权", "撤回", "n", "no", "false", "0"})

HOLDING_COLUMNS = (
    Column(
        "account_number", gettext_lazy("account number"), True, ("账号", "账户", "账户号", "卡号")
    ),
    Column(
        "customer_number", gettext_lazy("customer number"), True, ("客户号", "客户编号", "customer")
    ),
    Column("product_code", gettext_lazy("product code"), True, ("产品代码", "产品编号", "product")),
    Column("opened_on", gettext_lazy("opened on"), True, ("开户日期", "opened", "opendate")),
    Column("status", gettext_lazy("status"), False, ("状态", "账户状态")),
    Column("balance", gettext_lazy("balance (CNY)"), True, ("balance", "余额", "余额（元）")),
)

# Words branch staff write in these columns besides the choices' own labels.
KIND_WORDS = {
    "个人": Customer.Kind.INDIVIDUAL,
    "对私": Customer.Kind.INDIVIDUAL,
    "个人客户": Customer.Kind.INDIVIDUAL,
    "公司": Customer.Kind.CORPORATE,
    "对公": Customer.Kind.CORPORATE,
    "企业": Customer.Kind.CORPORATE,
    "公司客户": Customer.Kind.CORPORATE,
    "单位": Customer.Kind.CORPORATE,
}
ID_TYPE_WORDS = {
    "身份证": Customer.IdType.RESIDENT_ID,
    "居民身份证": Customer.IdType.RESIDENT_ID,
    "护照": Customer.IdType.PASSPORT,
    "统一社会信用代码": Customer.IdType.USCC,
    "营业执照": Customer.IdType.USCC,
}
GENDER_WORDS = {"男": "male", "女": "female", "m": "male", "f": "female"}
STATUS_WORDS = {"正常": "active", "久悬": "dormant", "休眠": "dormant", "销户": "closed"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y-%m-%d %H:%M:%S")


@dataclass
class RowProblem:
    line: int
    reasons: list[str]


@dataclass
class ImportCheck:
    """The outcome of checking a file: what is wrong, and the values to write if nothing is."""

    kind: str
    total: int
    problems: list[RowProblem] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)
    existing: int = 0  # rows that update what the bank already has (holdings)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def valid_rows(self) -> int:
        return self.total - len(self.problems)

    @property
    def new_rows(self) -> int:
        return self.valid_rows - self.existing


class RowReasons:
    """Collects reasons per line, in file order."""

    def __init__(self):
        self._by_line: dict[int, list[str]] = {}

    def add(self, line: int, reason: str) -> None:
        self._by_line.setdefault(line, []).append(reason)

    def __contains__(self, line: int) -> bool:
        return line in self._by_line

    def problems(self) -> list[RowProblem]:
        return [RowProblem(line, self._by_line[line]) for line in sorted(self._by_line)]


def _word(text: str) -> str:
    """A choice as written, compared without spaces or case ("Resident identity card")."""
    return "".join(text.split()).lower()


def _choice_words(choices, extra: dict[str, str]) -> dict[str, str]:
    words = {_word(value): value for value in choices.values}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            words.update({_word(str(label)): value for value, label in choices.choices})
    words.update({_word(word): value for word, value in extra.items()})
    return words


def _choice(text: str, words: dict[str, str]) -> str | None:
    return words.get(_word(text))


def _date(text: str) -> date | None:
    if not bounds.is_plain_date(text):  # strptime reads full-width and Arabic-Indic digits
        return None
    for date_format in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), date_format).date()
        except ValueError:
            continue
    return None


def _amount(text: str) -> Decimal | None:
    cleaned = text.replace(",", "").replace("¥", "").replace("￥", "").strip()
    if not bounds.is_plain_number(cleaned):  # Decimal reads "１２３", "1e9" and "NaN" too
        return None
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        return None
    return amount.quantize(Decimal("0.01"))


def _in_batches(values: list, size: int = LOOKUP_BATCH) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _too_long(text: str, limit: int, label) -> str | None:
    if len(text) > limit:
        return _("%(field)s is longer than %(limit)d characters.") % {
            "field": label,
            "limit": limit,
        }
    return None


def _first_lines(rows: list[dict], key: Callable[[dict], object]) -> dict[int, int]:
    """For each row repeating an earlier row's value, the line of that earlier row."""
    seen: dict[object, int] = {}
    repeats = {}
    for row in rows:
        value = key(row)
        if not value:
            continue
        if value in seen:
            repeats[row["line"]] = seen[value]
        else:
            seen[value] = row["line"]
    return repeats


# Customers ------------------------------------------------------------------------------


def check_customer_rows(rows: list[dict], *, actor: Staff) -> ImportCheck:
    """Check every row of a customers file; return the problems and the values to create."""
    tenant_id = require_tenant().pk
    reasons = RowReasons()
    kinds = _choice_words(Customer.Kind, KIND_WORDS)
    id_types = _choice_words(Customer.IdType, ID_TYPE_WORDS)
    genders = _choice_words(Customer.Gender, GENDER_WORDS)
    statuses = _choice_words(Customer.Status, STATUS_WORDS)
    branches = dict(home_branches(actor).values_list("code", "id"))  # hundreds at most
    managers = _relationship_managers(
        {row.get("relationship_manager", "") for row in rows}, actor=actor
    )

    records = []
    for row in rows:
        line = row["line"]
        record = _check_customer_row(
            row,
            add=lambda reason, line=line: reasons.add(line, reason),
            kinds=kinds,
            id_types=id_types,
            genders=genders,
            statuses=statuses,
            branches=branches,
            managers=managers,
        )
        if record.get("id_number"):
            record["id_number_index"] = pii.blind_index(
                "id_number", record["id_number"], tenant_id=tenant_id
            )
        if record.get("phone"):
            record["phone_index"] = pii.blind_index("phone", record["phone"], tenant_id=tenant_id)
        records.append(record)

    _refuse_repeats_in_file(records, reasons)
    _refuse_existing_customers(records, reasons)
    check = ImportCheck(kind="customers", total=len(rows), problems=reasons.problems())
    if check.ok:
        check.records = records
    return check


def home_branches(actor: Staff) -> BranchQuerySet:
    """The branches ``actor`` may import customers into (also listed in the template)."""
    return Branch.objects.in_scope(actor).active()


def _relationship_managers(usernames: set[str], *, actor: Staff) -> dict[str, int]:
    """The managers named in the file that ``actor`` may give customers to (by username)."""
    usernames = {name.strip() for name in usernames if name and name.strip()}
    if not usernames:
        return {}
    managers = rules.managers_within_reach(actor).filter(username__in=usernames)
    return dict(managers.values_list("username", "id"))


def _check_customer_row(row, *, add, kinds, id_types, genders, statuses, branches, managers):
    record: dict = {"line": row["line"]}
    number = row.get("number", "").strip()
    if not number:
        add(_("The customer number is missing."))
    elif problem := _too_long(number, 32, _("The customer number")):
        add(problem)
    record["number"] = number

    kind = _choice(row.get("kind", ""), kinds)
    if kind is None:
        add(
            _("The customer type must be “%(individual)s” or “%(corporate)s”.")
            % {
                "individual": Customer.Kind.INDIVIDUAL.label,
                "corporate": Customer.Kind.CORPORATE.label,
            }
        )
    record["kind"] = kind

    name = row.get("name", "").strip()
    if not name:
        add(_("The name is missing."))
    elif problem := _too_long(name, 200, _("The name")):
        add(problem)
    record["name"] = name

    record.update(_check_record(row, kind=kind, add=add, id_types=id_types, genders=genders))

    code = row.get("home_branch", "").strip()
    record["home_branch_id"] = branches.get(code)
    if not code:
        add(_("The home branch code is missing."))
    elif record["home_branch_id"] is None:
        add(
            _("No active branch in your scope has the code “%(code)s”.")
            % {"code": bounds.shown(code)}
        )

    username = row.get("relationship_manager", "").strip()
    record["relationship_manager_id"] = managers.get(username) if username else None
    if username and record["relationship_manager_id"] is None:
        add(
            _("“%(username)s” is not an active relationship manager of your branches.")
            % {"username": bounds.shown(username)}
        )

    status_text = row.get("status", "").strip()
    record["status"] = _choice(status_text, statuses) if status_text else Customer.Status.ACTIVE
    if record["status"] is None:
        add(_("The status “%(status)s” is not one of: %(choices)s.") % _status_hint(status_text))

    for key, limit in (
        ("occupation", 100),
        ("address", 300),
        ("industry", 100),
        ("legal_representative", 100),
    ):
        text = row.get(key, "").strip()
        if problem := _too_long(text, limit, Customer._meta.get_field(key).verbose_name):
            add(problem)
        record[key] = text
    record["consents"] = _check_consents(row, add=add)
    return record


def _check_consents(row, *, add) -> list[tuple[str, str, bool]]:
    """(purpose, channel, granted) of each consent column answered on the row."""
    answers = []
    for key, (purpose, channel) in CONSENT_COLUMNS.items():
        text = row.get(key, "").strip()
        if not text:
            continue
        word = text.casefold()
        if word in YES_WORDS or word == str(_("Yes")).casefold():
            answers.append((purpose, channel, True))
        elif word in NO_WORDS or word == str(_("No")).casefold():
            answers.append((purpose, channel, False))
        else:
            add(
                _("“%(text)s” in the column “%(column)s” is not yes or no (是 / 否).")
                % {"text": bounds.shown(text), "column": CONSENT_LABELS[key]}
            )
    return answers


def _status_hint(text: str) -> dict:
    return {
        "status": bounds.shown(text),
        "choices": _(", ").join(str(label) for label in Customer.Status.labels),
    }


def _check_record(row, *, kind, add, id_types, genders) -> dict:
    """Read the identity, phone, birth date and gender, and apply the record's rules."""
    values = {
        "kind": kind,
        "id_type": "",
        "id_number": row.get("id_number", "").strip(),
        "phone": row.get("phone", "").strip(),
        "birth_date": None,
        "gender": "",
    }
    type_text = row.get("id_type", "").strip()
    if type_text:
        values["id_type"] = _choice(type_text, id_types)
        if values["id_type"] is None:
            add(_("The ID type “%(type)s” is not known.") % {"type": bounds.shown(type_text)})
            values["id_type"] = ""
            values["id_number"] = ""  # not checked against an unknown type
    birth_text = row.get("birth_date", "").strip()
    if birth_text:
        values["birth_date"] = _date(birth_text)
        if values["birth_date"] is None:
            add(
                _("The birth date “%(text)s” is not a date (use YYYY-MM-DD).")
                % {"text": bounds.shown(birth_text)}
            )
    gender_text = row.get("gender", "").strip()
    if gender_text:
        values["gender"] = _choice(gender_text, genders)
        if values["gender"] is None:
            add(_("The gender “%(text)s” is not known.") % {"text": bounds.shown(gender_text)})
            values["gender"] = ""
    if kind is None:
        return values
    try:
        return rules.clean_record(values)
    except rules.RecordRefused as refused:
        for message in dict.fromkeys(error.message for error in refused.errors):
            add(message)
        return values


def _refuse_repeats_in_file(records: list[dict], reasons: RowReasons) -> None:
    checks = (
        ("number", _("The customer number is also on line %(line)d.")),
        ("id_number_index", _("The same ID number is also on line %(line)d.")),
        ("phone_index", _("The same mobile phone number is also on line %(line)d.")),
    )
    for key, message in checks:
        for line, first in _first_lines(records, lambda record, key=key: record.get(key)).items():
            reasons.add(line, message % {"line": first})


def _refuse_existing_customers(records: list[dict], reasons: RowReasons) -> None:
    """Refuse rows whose number, ID or phone already belongs to a customer of the bank."""
    numbers = sorted({record["number"] for record in records if record.get("number")})
    taken = {number for batch in _in_batches(numbers) for number in rules.numbers_taken(batch)}
    for record in records:
        if record.get("number") in taken:
            reasons.add(record["line"], rules.NumberTaken().message)
    checks = (
        (
            "id_number_index",
            "id_number_index",
            _("A customer with this ID number already exists: %(value)s."),
        ),
        (
            "phone_index",
            "phone_index",
            _("A customer with this mobile phone number already exists: %(value)s."),
        ),
    )
    for key, column, message in checks:
        values = sorted({record[key] for record in records if record.get(key)})
        existing: dict = {}
        for batch in _in_batches(values):
            for value, number in Customer.objects.filter(**{f"{column}__in": batch}).values_list(
                column, "number"
            ):
                existing[bytes(value) if isinstance(value, memoryview) else value] = number
        for record in records:
            number = existing.get(record.get(key))
            if number is not None:
                reasons.add(record["line"], message % {"value": bounds.shown(number)})


# Holdings -------------------------------------------------------------------------------


def check_holding_rows(rows: list[dict], *, actor: Staff) -> ImportCheck:
    """Check every row of a holdings file; return the problems and the values to upsert."""
    reasons = RowReasons()
    statuses = _choice_words(Holding.Status, STATUS_WORDS)
    customers = _lookup(
        Customer.objects.in_scope(actor), "number", {r.get("customer_number", "") for r in rows}
    )
    products = _lookup(
        Product.objects.filter(is_active=True), "code", {r.get("product_code", "") for r in rows}
    )
    accounts = {
        number: customer_id
        for batch in _in_batches(sorted({r.get("account_number", "").strip() for r in rows}))
        for number, customer_id in Holding.objects.filter(account_number__in=batch).values_list(
            "account_number", "customer_id"
        )
    }
    today = timezone.localdate()
    records = []
    existing = 0
    for row in rows:
        line = row["line"]

        def add(reason, line=line):
            reasons.add(line, reason)

        account = row.get("account_number", "").strip()
        if not account:
            add(_("The account number is missing."))
        elif problem := _too_long(account, 40, _("The account number")):
            add(problem)

        number = row.get("customer_number", "").strip()
        customer_id = customers.get(number)
        if not number:
            add(_("The customer number is missing."))
        elif customer_id is None:
            add(
                _("No customer in your scope has the number “%(number)s”.")
                % {"number": bounds.shown(number)}
            )

        code = row.get("product_code", "").strip()
        product_id = products.get(code)
        if not code:
            add(_("The product code is missing."))
        elif product_id is None:
            add(_("No active product has the code “%(code)s”.") % {"code": bounds.shown(code)})

        opened_text = row.get("opened_on", "").strip()
        opened_on = _date(opened_text) if opened_text else None
        if not opened_text:
            add(_("The opening date is missing."))
        elif opened_on is None:
            add(
                _("The opening date “%(text)s” is not a date (use YYYY-MM-DD).")
                % {"text": bounds.shown(opened_text)}
            )
        elif opened_on > today:
            add(_("The opening date is in the future."))
        elif opened_on < bounds.EARLIEST_DATE:
            add(_("The opening date is before 1900."))

        status_text = row.get("status", "").strip()
        status = _choice(status_text, statuses) if status_text else Holding.Status.ACTIVE
        if status is None:
            add(
                _("The status “%(status)s” is not one of: %(choices)s.")
                % {
                    "status": bounds.shown(status_text),
                    "choices": _(", ").join(str(label) for label in Holding.Status.labels),
                }
            )

        balance_text = row.get("balance", "").strip()
        balance = _amount(balance_text) if balance_text else None
        if not balance_text:
            add(_("The balance is missing."))
        elif balance is None:
            add(
                _("The balance “%(text)s” is not an amount in yuan with at most two decimals.")
                % {"text": bounds.shown(balance_text)}
            )
        elif not 0 <= balance <= bounds.MAX_AMOUNT:
            add(
                _("The balance must be zero or more and at most %(largest)s yuan.")
                % {"largest": f"{bounds.MAX_AMOUNT:,.0f}"}
            )

        holder = accounts.get(account)
        if holder is not None:
            if customer_id is not None and holder != customer_id:
                add(
                    _("Account %(account)s belongs to another customer.")
                    % {"account": bounds.shown(account)}
                )
            elif line not in reasons:
                existing += 1
        records.append(
            {
                "line": line,
                "account_number": account,
                "customer_id": customer_id,
                "product_id": product_id,
                "opened_on": opened_on,
                "status": status,
                "balance": balance,
            }
        )
    for line, first in _first_lines(records, lambda record: record["account_number"]).items():
        reasons.add(line, _("The account number is also on line %(line)d.") % {"line": first})
    _refuse_customers_over_total(records, reasons)
    check = ImportCheck(
        kind="holdings", total=len(rows), problems=reasons.problems(), existing=existing
    )
    if check.ok:
        check.records = records
    return check


def _refuse_customers_over_total(records: list[dict], reasons: RowReasons) -> None:
    """Refuse the rows that would take their customer's balances past the bound."""
    found = [r for r in records if r["customer_id"] is not None and r["balance"] is not None]
    over = selectors.customers_over_total(
        (r["account_number"], r["customer_id"], r["balance"]) for r in found
    )
    for record in found:
        if record["customer_id"] in over:
            reasons.add(record["line"], selectors.customer_total_refusal())


def _lookup(queryset, key: str, values: set[str]) -> dict[str, int]:
    wanted = sorted({value.strip() for value in values if value and value.strip()})
    found = {}
    for batch in _in_batches(wanted):
        found.update(queryset.filter(**{f"{key}__in": batch}).values_list(key, "id"))
    return found


CHECKS = {"customers": check_customer_rows, "holdings": check_holding_rows}
COLUMNS = {"customers": CUSTOMER_COLUMNS, "holdings": HOLDING_COLUMNS}


def check_job(job: ImportJob, *, actor: Staff) -> ImportCheck:
    """Check every row of the job's file as ``actor`` would import it."""
    return CHECKS[job.kind](job.get_rows(), actor=actor)
