"""The page shell (web/components/layout.py): a page function returns its content, the
decorator adds the back link, the h1, the loaded switch and the not-found branch."""
from __future__ import annotations

import reflex as rx

from espace.web import pages
from espace.web.client.dossier.state import DossierState
from espace.web.components import layout


def _rendered(route: str) -> str:
    from reflex.page import DECORATED_PAGES

    assert pages.SCREENS
    renders = [fn for entries in DECORATED_PAGES.values() for fn, kwargs in entries if kwargs.get("route") == route]
    assert len(renders) == 1, route
    return str(renders[0]())


def test_a_page_is_its_content_inside_the_shell():
    column = str(layout._column([rx.text("contenu")], layout.Shell(h1="Titre", back=("‹ Accueil", "/accueil")),
                                "Titre de l'onglet", DossierState.loaded))
    assert column.index("/accueil") < column.index('"Titre"') < column.index("contenu")
    assert "loaded" in column  # the column waits for the page's load


def test_wait_false_shows_the_column_at_once_and_missing_replaces_it():
    at_once = str(layout._column([], layout.Shell(wait=False), "Titre", DossierState.loaded))
    assert "loaded" not in at_once and '"Titre"' in at_once
    missing = layout.Missing(DossierState.not_found, "Dossier introuvable", "Retour", "/accueil")
    column = str(layout._column([], layout.Shell(missing=missing), "Titre", DossierState.loaded))
    assert column.count('as:"h1"') == 2 and "Dossier introuvable" in column and "not_found" in column


def test_signed_in_pages_have_their_h1_and_the_skeleton():
    for route, h1 in (("/accueil", "toUpperCase"), ("/admin", '"Espace cabinet"'),
                      ("/admin/demandes", '"Demandes de mise \\u00e0 jour des coordonn\\u00e9es"'),
                      ("/admin/dossiers/nouveau", '"Nouveau dossier"'),
                      ("/admin/dossiers/[dossier_id]/modifier", '"Modifier le dossier"')):
        page = _rendered(route)
        assert page.count('as:"h1"') >= 1 and h1 in page, route
        assert "page-skeleton" in page, route
