"""Adding a kind of shared item is one registry entry plus its table: a test-only kind
(« Courriers », its own table created here) registered in a fixture shows up in the
firm's dossier page and form, the client's home tile, category list and dossier tab,
and the share notice email — with no other code touched."""
from __future__ import annotations

import email
import email.policy
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import Field, SQLModel, select

from espace.config import settings
from espace.db import get_engine, session_scope
from espace.domain import french
from espace.domain import items as registry
from espace.models import ShareNotice, User
from espace.services.client import dossier_view, home, lists
from espace.services.firm import dossier_page, sharing
from espace.services.mail import outbox, share_notices

LUCE = "academy@secib.fr"


class Courrier(SQLModel, table=True):
    """A test-only table: the columns every shared kind has (dossier_id, shared_at)."""

    __tablename__ = "test_courrier"
    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    date: date
    subject: str
    shared_at: datetime | None = None


# The other tests' databases do not get this table: it is created by the fixture only.
SQLModel.metadata.remove(Courrier.__table__)

COURRIERS = registry.ItemKind(
    "courriers", "Courriers", "courrier", "courriers", Courrier, "date",
    lambda c: registry.ItemView(french.fdate(c.date), c.subject, "Lettre recommandée"),
    form=registry.AddForm(
        "courrier", "Ajouter un courrier", "Ajouter le courrier",
        (registry.FormField("date", "Date", "date"), registry.FormField("objet", "Objet", max_length=200)),
        lambda v, ctx: Courrier(dossier_id=ctx.dossier_id, date=v["date"], subject=v["objet"]),
        "Le courrier a été ajouté et partagé avec le client.", "Le courrier a été ajouté (non partagé)."),
)


@pytest.fixture
def courriers(demo):
    Courrier.__table__.create(get_engine(), checkfirst=True)
    registry.register(COURRIERS)
    yield COURRIERS
    registry.unregister(COURRIERS.key)


def _user(user_id: int) -> User:
    with session_scope() as s:
        return s.get(User, user_id)


def _share_emails_to(address: str) -> list[email.message.EmailMessage]:
    with session_scope() as s:  # the grouping window has passed
        for n in s.exec(select(ShareNotice).where(ShareNotice.notified_at.is_(None))).all():
            n.created_at = n.created_at - timedelta(minutes=settings.share_group_minutes + 1)
            s.add(n)
        s.commit()
    outbox.run_once()
    files = sorted(settings.outbox_dir.glob("*-share_notice.eml"), key=lambda p: p.stat().st_mtime_ns)
    msgs = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]
    return [m for m in msgs if str(m["To"]) == address]


def test_a_registered_kind_is_added_shared_listed_and_announced(courriers, demo):
    lawyer, luce = _user(demo["lawyer_id"]), _user(demo["client_user_id"])
    did = demo["dossier_ids"][0]

    # The firm's form: the registry's fields, read and checked by the registry.
    assert "courriers" in sharing.addable()
    ok, errors, _ = sharing.add_item(lawyer, did, "courriers", {"date": "31/02/2027", "objet": " "})
    assert not ok and errors == {"date": registry.BAD_DATE, "objet": registry.REQUIRED}
    ok, errors, cid = sharing.add_item(lawyer, did, "courriers", {"date": "05/01/2027", "objet": "Mise en demeure"})
    assert ok and errors == {} and cid is not None
    ok, _, hidden = sharing.add_item(lawyer, did, "courriers", {"date": "06/01/2027", "objet": "Brouillon"},
                                     share_now=False)
    assert ok

    # The firm's dossier page: its own tab, shared or not.
    overview = dossier_page.dossier_overview(lawyer, did, "courriers")
    assert [(r.name, r.date, r.state) for r in overview.page.rows] == [
        ("Brouillon", "06/01/2027", "Non partagé"), ("Mise en demeure", "05/01/2027", "Partagé")]
    assert overview.counts["courriers"] == 2

    # The client: a home tile, a category list, a dossier tab — only what is shared.
    shown = home.home(luce)
    assert ("Courriers", 1) in [(t.label, t.count) for t in shown.tiles]
    listed = lists.list_category(luce, "courriers")
    assert listed.label == "Courriers" and [(r.name, r.detail) for r in listed.rows] == [
        ("Mise en demeure", "Lettre recommandée")]
    view = dossier_view.dossier(luce, did)
    assert ("courriers", "Courriers", 1) in [(t.key, t.label, t.count) for t in view.tabs]
    assert [r.name for r in dossier_view.dossier_tab(luce, did, "courriers").rows] == ["Mise en demeure"]

    # Sharing later and taking back go through the same registry.
    assert sharing.share(lawyer, "courriers", hidden) is True
    assert sharing.unshare(lawyer, "courriers", hidden) is True
    assert lists.list_category(luce, "courriers").total == 1

    # The share notice names the new kind in French, singular.
    assert share_notices.count_label("courriers", 2) == "2 courriers"
    [msg] = _share_emails_to(LUCE)
    assert "- 1 courrier" in msg.get_body(("plain",)).get_content()


def test_a_registered_kind_has_its_tab_and_form_on_the_firm_page(courriers):
    from espace.web.firm.dossier import page, state

    assert "courriers" in state.tab_keys()
    assert ("courriers", "Courriers") in page._tab_labels()
    rendered = str(page._item_tab(courriers).render())
    for text in ("Ajouter un courrier", "courrier_date", "courrier_objet", "courrier_partager", "Ajouter le courrier",
                 "Courriers du dossier"):
        assert text in rendered, text


def test_the_registry_refuses_a_key_twice(courriers):
    with pytest.raises(ValueError):
        registry.register(courriers)
    assert [k.key for k in registry.kinds()] == ["documents", "rdv", "factures", "taches", "temps-passes", "frais",
                                                 "courriers"]


def test_every_view_reads_a_plain_row_as_an_orm_object(demo):
    """The client's lists read plain rows (Core selects of the table's columns): each
    kind's view shows the same from one as from the ORM object."""
    import sqlalchemy as sa

    seen = 0
    with session_scope() as s:
        for kind in registry.kinds():
            for item in s.exec(select(kind.model)).all():
                row = s.connection().execute(sa.select(*kind.model.__table__.c)
                                             .where(kind.model.__table__.c.id == item.id)).one()
                assert kind.view(row) == kind.view(item), (kind.key, item.id)
                seen += 1
    assert seen > 50


def test_cached_formatting_is_babels():
    from decimal import Decimal

    from babel.dates import format_date, format_datetime
    from babel.numbers import format_currency

    for _ in range(2):  # the second time from the caches
        for d in (date(2024, 1, 8), date(1999, 12, 31), date(2027, 3, 15)):
            assert french.fdate(d) == format_date(d, "dd/MM/yyyy", locale="fr_FR")
        at = datetime(2027, 3, 15, 13, 30, tzinfo=french.TZ)
        assert french.fdatetime(at) == "15/03/2027 13:30" == format_datetime(
            at, "dd/MM/yyyy HH:mm", tzinfo=french.TZ, locale="fr_FR")
        assert french.fdate(datetime(2024, 1, 7, 23, 30, tzinfo=french.TZ)) == "07/01/2024"
        for cents in (0, 5, 144000, 123456789):
            assert french.fmoney(cents) == format_currency(Decimal(cents) / 100, "EUR", locale="fr_FR")
        assert french.fduration(90) == "1 h 30" and french.fsize(1331) == "1,3\u00a0Ko"
