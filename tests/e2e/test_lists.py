"""Search, the dossier filter, the list layout and the dossier tabs, as a client and as
a lawyer see them, at 1280 and 375 px."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import LAWYER, LUCE, assert_no_horizontal_scroll, sign_in

AGENCE = "2017IIDOS/1529 - ALEXANDER / AGENCE IMMO"


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None
    return box


def _tabs_in_one_row(page) -> None:
    tabs = page.get_by_role("tab")
    expect(tabs.first).to_be_visible()
    boxes = [_box(tabs.nth(i)) for i in range(tabs.count())]
    assert len(boxes) >= 5
    assert len({round(b["y"]) for b in boxes}) == 1, boxes  # one row, nothing wraps
    assert len({round(b["height"]) for b in boxes}) == 1, boxes  # no label on two lines
    assert_no_horizontal_scroll(page)  # the tab bar scrolls, not the page


def test_client_searches_filters_and_reads_lists_on_any_width(page, server, viewport):
    phone = viewport == "mobile"
    sign_in(page, server, *LUCE)
    page.get_by_role("link", name="Documents (45)").click()
    expect(page.get_by_role("heading", name="Documents (45)")).to_be_visible()
    # Full width, actions at the right of their own row, >= 44 px on a phone.
    rows = page.get_by_role("listitem")
    expect(rows).to_have_count(45)
    main, rows_box = _box(page.locator("main")), _box(page.locator("ul.rows"))
    assert rows_box["width"] >= main["width"] - 2 * 24 - 2
    rights = set()
    for i in range(4):
        row, action = rows.nth(i), rows.nth(i).get_by_role("link", name=re.compile("^Télécharger "))
        r, a = _box(row), _box(action)
        assert r["y"] <= a["y"] and a["y"] + a["height"] <= r["y"] + r["height"] + 1  # beside its item
        rights.add(round(a["x"] + a["width"]))
        assert a["height"] >= (44 if phone else 30) and a["width"] >= 44
    assert len(rights) == 1  # aligned
    assert_no_horizontal_scroll(page)

    # The dossier filter, kept in the URL; a dossier that is not hers is no filter.
    page.get_by_role("combobox", name="Dossier").click()
    page.get_by_role("option", name=AGENCE).click()
    expect(page).to_have_url(re.compile(r"/documents/?\?dossier=\d+$"))
    heading = page.get_by_role("heading", name=re.compile(r"^Documents \((\d+)\)$"))
    expect(heading).not_to_have_text("Documents (45)")
    count = int(re.search(r"\((\d+)\)", heading.inner_text()).group(1))
    expect(rows).to_have_count(count)
    for i in range(count):
        expect(rows.nth(i)).to_contain_text("Dossier : ALEXANDER / AGENCE IMMO")
    page.reload()
    expect(page.get_by_role("heading", name=f"Documents ({count})")).to_be_visible()
    expect(page.get_by_role("combobox", name="Dossier")).to_contain_text(AGENCE)
    for hostile in ("999999", "1%20OR%201=1", "%3Cscript%3E"):
        page.goto(f"/documents?dossier={hostile}")
        expect(page.get_by_role("heading", name="Documents (45)")).to_be_visible()

    # /dossiers: reference and interlocutor, no empty date column.
    page.goto("/dossiers")
    expect(page.get_by_role("heading", name="Dossiers (4)")).to_be_visible()
    agence = page.get_by_role("listitem").filter(has_text="ALEXANDER / AGENCE IMMO")
    expect(agence).to_contain_text("2017IIDOS/1529 · Interlocuteur : Fabien DELMAS")
    name = agence.get_by_role("link", name="ALEXANDER / AGENCE IMMO")
    assert _box(name)["x"] - _box(agence)["x"] < 2
    if phone:
        assert _box(name)["height"] >= 44

    # Search, from the header; what is typed is text, never markup; nothing of others.
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Rechercher").click()
    page.locator("form[role=search][data-pret='true']").wait_for()
    box = page.get_by_role("searchbox", name="Rechercher dans mon espace")
    box.fill("lettre au client")
    page.get_by_role("button", name="Rechercher", exact=True).click()
    expect(page).to_have_url(re.compile(r"/recherche/?\?q=lettre%20au%20client$"))
    expect(page.get_by_role("status")).to_contain_text("pour « lettre au client ».")
    expect(page.get_by_role("heading", name=re.compile(r"^Documents \(\d+\)$"))).to_be_visible()
    expect(page.get_by_role("link", name="Lettre au client AR dossier Appelant (CA 09-17)", exact=True)).to_be_visible()
    page.get_by_role("searchbox", name="Rechercher dans mon espace").fill("2017IIDOS/1529")
    page.get_by_role("button", name="Rechercher", exact=True).click()
    expect(page.get_by_role("heading", name="Dossiers (1)")).to_be_visible()
    expect(page.get_by_role("link", name="ALEXANDER / AGENCE IMMO", exact=True).first).to_be_visible()
    for text in ("<img src=x onerror=window.__xss=1>", "BERTRAND", "%%"):
        page.get_by_role("searchbox", name="Rechercher dans mon espace").fill(text)
        page.get_by_role("button", name="Rechercher", exact=True).click()
        expect(page.get_by_role("status")).to_have_text(f"Aucun résultat pour « {text} ».")
        expect(page.get_by_role("searchbox", name="Rechercher dans mon espace")).to_have_value(text)
    assert page.evaluate("window.__xss") is None
    assert_no_horizontal_scroll(page)

    # The dossier's tabs: one row (scrolled sideways on a phone), every one reachable.
    page.goto("/dossiers")
    expect(page.get_by_role("heading", name="Dossiers (4)")).to_be_visible()
    page.get_by_role("link", name="ALEXANDER / AGENCE IMMO").click()
    expect(page.get_by_role("tab", name=re.compile(r"^Documents reçus"))).to_have_attribute("aria-selected", "true")
    _tabs_in_one_row(page)
    frais = page.get_by_role("tab", name="Frais (1)")
    frais.click()
    expect(frais).to_have_attribute("aria-selected", "true")
    expect(page).to_have_title("Frais — ALEXANDER / AGENCE IMMO — Mon espace client")
    expect(page.get_by_role("tabpanel")).to_be_visible()


def test_lawyer_workbench_is_wide_and_its_tabs_one_row(page, server, viewport):
    sign_in(page, server, *LAWYER)
    expect(page).to_have_url(re.compile(r"/admin/?$"))
    page.goto("/admin/dossiers/1")  # the demo's 2017IIDOS/1529
    expect(page.get_by_role("heading", name="ALEXANDER / AGENCE IMMO")).to_be_visible()
    # The dossier at a glance: reference, clients, interlocutor.
    expect(page.get_by_text("Interlocuteur", exact=True)).to_be_visible()
    expect(page.get_by_text("Fabien DELMAS", exact=True)).to_be_visible()
    expect(page.get_by_text("Luce ALEXANDER (academy@secib.fr)")).to_be_visible()
    if viewport == "bureau":
        assert _box(page.locator("main"))["width"] >= 1200  # the workbench uses the width at 1280 px
        glance = [_box(page.get_by_text(t, exact=True)) for t in ("Référence", "Client", "Interlocuteur")]
        assert len({round(b["y"]) for b in glance}) == 1  # side by side
    _tabs_in_one_row(page)
    messages = page.get_by_role("tab", name=re.compile("^Messages"))
    messages.click()
    expect(messages).to_have_attribute("aria-selected", "true")
    expect(page).to_have_title("Messages — ALEXANDER / AGENCE IMMO — Mon espace client")
