"""How people and dossiers are named on screen and in emails — written once."""
from __future__ import annotations

from typing import Protocol


class Person(Protocol):
    prenom: str
    nom: str


class Titled(Protocol):
    reference: str
    label: str


def full_name(person: Person) -> str:
    """« Prénom NOM », as a greeting or a signature shows a person."""
    return f"{person.prenom} {person.nom}".strip()


def formal_name(person: Person | None) -> str:
    """« NOM Prénom », as the manual lists people (interlocutor, client lists)."""
    return f"{person.nom} {person.prenom}".strip() if person else ""


def dossier_title(dossier: Titled) -> str:
    """« référence - libellé », a dossier's title everywhere."""
    return f"{dossier.reference} - {dossier.label}"
