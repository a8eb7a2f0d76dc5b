"""Every screen's page module is registered: a page module missing from
espace/web/pages.py would answer Reflex's 404 for its route."""
from __future__ import annotations

import importlib
import pkgutil

import espace.web
from espace.web import pages


def test_every_page_module_is_in_screens():
    page_modules = set()
    for info in pkgutil.walk_packages(espace.web.__path__, "espace.web."):
        leaf = info.name.rsplit(".", 1)[-1]
        if info.name.count(".") >= 3 and (leaf == "page" or leaf.endswith("_page")):
            page_modules.add(importlib.import_module(info.name))
    registered = set(pages.SCREENS)
    assert page_modules - registered == set(), "page modules missing from espace/web/pages.py SCREENS"
    assert registered <= page_modules


def test_the_french_routes_are_declared():
    from reflex.page import DECORATED_PAGES

    routes = {kwargs.get("route") for entries in DECORATED_PAGES.values() for _, kwargs in entries}
    for route in ("/connexion", "/mot-de-passe-oublie", "/reinitialiser", "/accueil", "/admin", "/admin/clients",
                  "/admin/clients/nouveau", "/admin/dossiers", "/admin/paiements", "/admin/equipe"):
        assert route in routes, route


def test_each_page_is_registered_once():
    """A page registered twice makes every start log « Page … is being redefined » (issue 23)."""
    from espace.espace import app

    routes = [kwargs["route"] for _, kwargs in app._registration_context.decorated_pages]
    assert routes and len(routes) == len(set(routes))
