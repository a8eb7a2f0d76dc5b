"""One way to open a person's place in a firm (services/firm/membership.py): /admin's
« Nouveau client », a colleague's invitation and the command line's create-client /
create-lawyer make the same rows, and the command line refuses what /admin refuses,
with /admin's French message."""
from __future__ import annotations

import pytest
from sqlmodel import select

from espace.__main__ import main
from espace.db import session_scope
from espace.models import Account, Client, User
from espace.services.firm import clients as firm_clients
from espace.services.firm import team
from tests.admin_helpers import user
from tests.services.accounts.step_up_helpers import session_for

CLIENT = {"nom": "DURAND", "prenom": "Paul", "adresse": "3 rue de la Loge", "code_postal": "34 000",
          "ville": "MONTPELLIER", "tel": "04 67 00 00 00", "mobile": "06 12 34 56 78"}
CLIENT_OPTIONS = {"nom": "--nom", "prenom": "--prenom", "adresse": "--adresse", "code_postal": "--code-postal",
                  "ville": "--ville", "tel": "--tel", "mobile": "--mobile"}
# Addresses with an « @ » (the command line's old only check) that /admin refuses.
REFUSED = ["paul@", "paul@durand", "paul durand@example.com", "paul@@example.com", "paul@example..com",
           "paul@exemple.test"]
# What differs by design: the row's identity and dates, and how the person gets in
# (the command line sets the password given or shown; /admin sends an invitation).
OWN = {"id", "email", "account_id", "user_id", "created_at"}
ACCESS = {"password_hash", "password_changed_at", "activated_at"}


def cli_args(command: str, firm_id: int, email: str, values: dict[str, str]) -> list[str]:
    args = [command, "--firm-id", str(firm_id), "--email", email, "--password", "Durand-Paul-2025"]
    for key, value in values.items():
        args += [CLIENT_OPTIONS.get(key, f"--{key}"), value]
    return args


def rows(email: str) -> dict[str, dict[str, object]]:
    """The membership, account and client record of `email` (one of each), their columns."""
    with session_scope() as s:
        member = s.exec(select(User).where(User.email == email)).one()
        account = s.get(Account, member.account_id)
        client = s.exec(select(Client).where(Client.user_id == member.id)).first()
        found = {"user": member, "account": account, "client": client}
        return {name: {key: value for key, value in row.model_dump().items() if key not in OWN | ACCESS}
                for name, row in found.items() if row is not None}


@pytest.mark.parametrize("address", REFUSED)
def test_the_command_line_refuses_the_addresses_admin_refuses_with_its_message(demo, capsys, address):
    lawyer = user(demo["lawyer_id"])
    by_admin = firm_clients.create_client(lawyer, {**CLIENT, "email": address})
    assert not by_admin.ok and "email" in by_admin.errors
    assert main(cli_args("create-client", lawyer.firm_id, address, CLIENT)) == 2
    assert f"--email : {by_admin.errors['email']}" in capsys.readouterr().err

    by_admin = team.invite_colleague(lawyer, {"nom": "DURAND", "prenom": "Léa", "email": address, "role": "staff"})
    assert not by_admin.ok and "email" in by_admin.errors
    colleague = {"nom": "DURAND", "prenom": "Léa", "role": "staff"}
    assert main(cli_args("create-lawyer", lawyer.firm_id, address, colleague)) == 2
    assert f"--email : {by_admin.errors['email']}" in capsys.readouterr().err
    with session_scope() as s:
        assert s.exec(select(User).where(User.email == address.lower())).first() is None


def test_the_command_line_refuses_what_admin_refuses_in_a_client_s_details(demo, capsys):
    lawyer = user(demo["lawyer_id"])
    bad = {**CLIENT, "code_postal": "3400", "tel": "12"}
    by_admin = firm_clients.create_client(lawyer, {**bad, "email": "paul.durand@example.com"})
    assert not by_admin.ok and set(by_admin.errors) == {"code_postal", "tel"}
    assert main(cli_args("create-client", lawyer.firm_id, "paul.durand@example.com", bad)) == 2
    err = capsys.readouterr().err
    assert f"--code-postal : {by_admin.errors['code_postal']}" in err
    assert f"--tel : {by_admin.errors['tel']}" in err


def test_a_client_made_by_the_command_line_is_the_rows_admin_makes(demo, capsys):
    lawyer = user(demo["lawyer_id"])
    assert firm_clients.create_client(lawyer, {**CLIENT, "email": "  Paul.Admin@Example.com "}).ok
    assert main(cli_args("create-client", lawyer.firm_id, "  Paul.Cli@Example.com ", CLIENT)) == 0
    by_admin, by_cli = rows("paul.admin@example.com"), rows("paul.cli@example.com")
    assert set(by_admin) == set(by_cli) == {"user", "account", "client"}
    assert by_cli == by_admin
    assert by_cli["client"]["code_postal"] == "34000"  # read as /admin reads it


def test_a_colleague_made_by_the_command_line_is_the_rows_admin_makes(demo, capsys):
    lawyer = user(demo["lawyer_id"])
    colleague = {"nom": "DURAND", "prenom": "Léa", "role": "staff"}
    assert team.invite_colleague(lawyer, {**colleague, "email": "lea.admin@example.com"}, token=session_for(lawyer)).ok
    assert main(cli_args("create-lawyer", lawyer.firm_id, "Lea.Cli@Example.com", colleague)) == 0
    by_admin, by_cli = rows("lea.admin@example.com"), rows("lea.cli@example.com")
    assert set(by_admin) == set(by_cli) == {"user", "account"}
    assert by_cli == by_admin
