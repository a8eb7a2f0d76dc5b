"""How people and dossiers are named on screen and in emails — written once."""
from __future__ import annotations

from typing import Protocol


class Person(Protocol):
    prenom: str
    nom: str


class Titled(Protocol):
    reference: str
    label: str


def full_name(person: Person | None) -> str:
    """« Prénom NOM », the one order a person is shown in (screens, lists, emails)."""
    return f"{person.prenom or ''} {(person.nom or '').upper()}".strip() if person else ""




def dossier_title(dossier: Titled) -> str:
    """« référence - libellé », a dossier's title everywhere."""
    return f"{dossier.reference} - {dossier.label}"
