"""What one injected statement could do on the application's own database connection.

Each test opens a connection exactly as web and worker processes do (the runtime login
role), sets a valid claim for bank A as the backend would, then tries a way out: another
role, another bank's claim, a bare setting, the server's files. None may show a row of
bank B or raise the connection's privileges.
"""

import time

import psycopg
import pytest
from django.conf import settings
from django.test import Client
from psycopg import errors

from crm.db.claims import claim_key, platform_claim, tenant_claim
from crm.db.roles import role_problems
from crm.tenancy.sessions import stored_key
from tests.database import owner_dsn, runtime_dsn

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def attacker(bank_a, bank_b):
    """A connection of the application in bank A's transaction; both banks committed."""
    with psycopg.connect(runtime_dsn()) as raw:
        raw.execute("SELECT set_config('app.claim', %s, true)", [tenant_claim(bank_a.tenant.pk)])
        yield raw


def bank_b_rows(raw, bank_b) -> int:
    (count,) = raw.execute(
        "SELECT (SELECT count(*) FROM customers_customer WHERE tenant_id = %(b)s)"
        " + (SELECT count(*) FROM tenancy_staff WHERE tenant_id = %(b)s)"
        " + (SELECT count(*) FROM tenancy_tenant WHERE id = %(b)s)",
        {"b": bank_b.tenant.pk},
    ).fetchone()
    return count


def test_the_valid_claim_shows_its_own_bank_and_nothing_else(attacker, bank_a, bank_b):
    (own,) = attacker.execute(
        "SELECT count(*) FROM customers_customer WHERE tenant_id = %s", [bank_a.tenant.pk]
    ).fetchone()
    assert own == 2
    assert bank_b_rows(attacker, bank_b) == 0


def test_reset_role_changes_nothing(attacker, bank_b):
    attacker.execute("RESET ROLE")
    (user,) = attacker.execute("SELECT current_user").fetchone()
    assert user == settings.DATABASE_APP_ROLE
    assert bank_b_rows(attacker, bank_b) == 0


def every_other_role() -> list[str]:
    with psycopg.connect(owner_dsn()) as owner:
        rows = owner.execute(
            "SELECT rolname FROM pg_roles WHERE rolname <> %s", [settings.DATABASE_APP_ROLE]
        ).fetchall()
    return [name for (name,) in rows]


def test_no_role_can_be_assumed(bank_a, bank_b):
    roles = every_other_role()
    assert settings.DATABASE_OWNER["USER"] in roles
    name = psycopg.sql.Identifier
    for role in roles:
        for statement in (
            psycopg.sql.SQL("SET ROLE {}").format(name(role)),
            psycopg.sql.SQL("SET SESSION AUTHORIZATION {}").format(name(role)),
            psycopg.sql.SQL("SELECT set_config('role', {}, true)").format(
                psycopg.sql.Literal(role)
            ),
        ):
            refused = pytest.raises(errors.InsufficientPrivilege)
            with psycopg.connect(runtime_dsn()) as raw, refused:
                raw.execute(statement)


def test_a_bare_setting_picks_no_bank(attacker, bank_b):
    attacker.execute(f"SET LOCAL app.tenant_id = {int(bank_b.tenant.pk)}")
    attacker.execute("SELECT set_config('app.tenant_id', %s, false)", [str(bank_b.tenant.pk)])
    assert bank_b_rows(attacker, bank_b) == 0


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda a, b: a.replace(f"t{a.split('.')[0][1:]}.", f"t{b}.", 1), id="edited"),
        pytest.param(lambda a, b: f"t{b}.{int(time.time()) + 600}.{'0' * 64}", id="unsigned"),
        pytest.param(lambda a, b: f"t{b}", id="bare-id"),
        pytest.param(lambda a, b: "platform.9999999999.abc", id="platform"),
    ],
)
def test_a_forged_claim_raises(attacker, bank_a, bank_b, forge):
    forged = forge(tenant_claim(bank_a.tenant.pk), bank_b.tenant.pk)
    attacker.execute("SELECT set_config('app.claim', %s, true)", [forged])
    with pytest.raises(errors.InsufficientPrivilege, match="invalid row-level security claim"):
        bank_b_rows(attacker, bank_b)


def test_a_claim_signed_with_another_key_raises(attacker, bank_b, settings):
    settings.SECRET_KEY = "not-the-key-the-database-holds"
    assert claim_key() != b""
    attacker.execute("SELECT set_config('app.claim', %s, true)", [platform_claim()])
    with pytest.raises(errors.InsufficientPrivilege, match="invalid"):
        bank_b_rows(attacker, bank_b)


def test_an_expired_claim_raises(attacker, bank_b):
    expired = tenant_claim(bank_b.tenant.pk, now=time.time() - 24 * 60 * 60)
    attacker.execute("SELECT set_config('app.claim', %s, true)", [expired])
    with pytest.raises(errors.InsufficientPrivilege, match="expired"):
        bank_b_rows(attacker, bank_b)


def test_the_claim_key_cannot_be_read(attacker):
    with pytest.raises(errors.InsufficientPrivilege):
        attacker.execute("SELECT * FROM crm_claim_key")


def test_server_files_and_programs_are_out_of_reach(bank_a):
    for statement in (
        "SELECT pg_read_file('/etc/passwd')",
        "SELECT pg_ls_dir('.')",
        "COPY (SELECT 1) TO PROGRAM 'true'",
        "CREATE TEMP TABLE f (line text); COPY f FROM '/etc/passwd'",
    ):
        with psycopg.connect(runtime_dsn()) as raw, pytest.raises(errors.InsufficientPrivilege):
            raw.execute(statement)


def test_row_level_security_cannot_be_switched_off(bank_a):
    for statement in (
        "ALTER TABLE customers_customer DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE customers_customer NO FORCE ROW LEVEL SECURITY",
        "DROP POLICY tenant_isolation ON customers_customer",
        "ALTER POLICY tenant_isolation ON customers_customer USING (true)",
        "CREATE OR REPLACE FUNCTION app_current_tenant() RETURNS bigint "
        "LANGUAGE sql AS 'SELECT 1::bigint'",
        "SET row_security = off",
    ):
        refused = pytest.raises((errors.InsufficientPrivilege, errors.InvalidParameterValue))
        with psycopg.connect(runtime_dsn()) as raw, refused:
            raw.execute(statement)
            # row_security = off is accepted, then refuses any query RLS would filter.
            raw.execute("SELECT count(*) FROM customers_customer")


def test_the_runtime_role_is_safe_as_the_owner_sees_it(db):
    with psycopg.connect(owner_dsn()) as owner, owner.cursor() as cursor:
        assert role_problems(cursor, settings.DATABASE_APP_ROLE) == []


def test_session_keys_are_stored_hashed(bank_a, client_for):
    client = client_for(bank_a["relationship_manager"])
    assert client.get("/").status_code == 200
    browser_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    with psycopg.connect(runtime_dsn()) as raw:
        stored = [key for (key,) in raw.execute("SELECT session_key FROM django_session")]
    assert stored_key(browser_key) in stored
    assert browser_key not in stored
    # What the table holds, presented as a cookie, opens nothing.
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stored_key(browser_key)
    assert replay.get("/").status_code == 302


def test_a_bank_can_neither_read_nor_schedule_periodic_tasks(attacker):
    """Beat's schedule says what workers run, with which bank's id: platform code only."""
    (count,) = attacker.execute("SELECT count(*) FROM django_celery_beat_periodictask").fetchone()
    assert count == 0
    with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
        attacker.execute(
            "INSERT INTO django_celery_beat_intervalschedule (every, period) VALUES (1, 'seconds')"
        )


def test_a_bank_cannot_change_the_roles_every_bank_shares(attacker):
    for statement in (
        "INSERT INTO auth_group (name) VALUES ('root')",
        "INSERT INTO auth_group_permissions (group_id, permission_id) "
        "SELECT g.id, p.id FROM auth_group g, auth_permission p LIMIT 1",
        "DELETE FROM auth_group_permissions",
        "UPDATE auth_permission SET codename = codename",
        "DELETE FROM django_migrations",
    ):
        attacker.execute("SAVEPOINT attempt")
        with pytest.raises(errors.InsufficientPrivilege):
            attacker.execute(statement)
        attacker.execute("ROLLBACK TO SAVEPOINT attempt")


def test_beat_reads_its_schedule_as_platform_code(db):
    """The scheduler sees the schedule under row-level security, from its own thread."""
    import contextvars

    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from crm.celery import app
    from crm.jobs.beat import PlatformScheduler
    from crm.tenancy.context import platform_wide

    with platform_wide():
        every_minute = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.MINUTES)
        PeriodicTask.objects.create(
            name="housekeeping test", task="crm.jobs.tasks.housekeeping", interval=every_minute
        )

    def scheduled_tasks() -> set[str]:
        scheduler = PlatformScheduler(app=app, lazy=True)
        return {entry.task for entry in scheduler.all_as_schedule().values()}

    # Its own context, as beat's thread: the platform scope it takes stays there.
    assert "crm.jobs.tasks.housekeeping" in contextvars.copy_context().run(scheduled_tasks)


def test_a_bank_cannot_read_anyones_login_attempts(bank_a, bank_b):
    """Usernames and addresses of every bank's staff: platform code only."""
    Client().post(
        "/accounts/login/", {"username": bank_b["teller"].username, "password": "wrong-guess-1"}
    )
    with psycopg.connect(owner_dsn()) as owner:
        (recorded,) = owner.execute("SELECT count(*) FROM axes_accessattempt").fetchone()
    assert recorded == 1  # the attempt was recorded...
    with psycopg.connect(runtime_dsn()) as raw:
        raw.execute("SELECT set_config('app.claim', %s, true)", [tenant_claim(bank_a.tenant.pk)])
        for table in ("axes_accessattempt", "axes_accessfailurelog", "axes_accesslog"):
            (count,) = raw.execute(f"SELECT count(*) FROM {table}").fetchone()
            assert count == 0, table  # ...and no bank sees it


def test_django_admins_change_log_stays_in_the_authors_bank(bank_a, bank_b, client_for):
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.db.utils import ProgrammingError

    from crm.tenancy.models import Branch

    with bank_a.scope():
        LogEntry.objects.log_actions(
            bank_a["tenant_admin"].pk, Branch.objects.filter(pk=bank_a.branch.pk), CHANGE
        )
    with bank_b.scope(), pytest.raises(ProgrammingError, match="row-level security"):
        # Bank B cannot write an entry in the name of bank A's administrator either.
        LogEntry.objects.log_actions(
            bank_a["tenant_admin"].pk, Branch.objects.filter(pk=bank_b.branch.pk), CHANGE
        )
    with psycopg.connect(runtime_dsn()) as raw:
        seen = {}
        for bank in (bank_a, bank_b):
            raw.execute("SELECT set_config('app.claim', %s, true)", [tenant_claim(bank.tenant.pk)])
            (seen[bank.marker],) = raw.execute("SELECT count(*) FROM django_admin_log").fetchone()
            raw.rollback()
    assert seen == {"AAA": 1, "ZZZ": 0}
    history = client_for(bank_a["tenant_admin"]).get(
        f"/admin/tenancy/branch/{bank_a.branch.pk}/history/"
    )
    assert history.status_code == 200
    assert bank_a["tenant_admin"].username in history.content.decode()
