"""`python -m espace check-storage`: the stored files against the database rows that
name them (documents, firm logos), on the local store or the object store.

Reported: files without a row (orphans: a crash between the rename and the commit,
or a row deleted without its file), rows without a file, interrupted uploads (a
`.part` file of a dead process; an incomplete multipart upload). With `remove`,
orphans older than `grace_seconds` and the interrupted uploads are removed; a
younger orphan may be an upload whose row is being written, so it is only reported.

The listing runs while the app serves: what looks wrong is checked a second time
against the database (and the store) before it is reported.

Also reported: what under DATA_DIR group or others may access (the database, the
documents, the outbox, secret.key should be 0600, their directories 0700:
espace/private_files.py); with `fix_modes`, their bits are removed."""
from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from espace.config import settings
from espace.db import session_scope
from espace.models import Document, Firm
from espace.private_files import Loose, fix_modes, loose_modes
from espace.services.storage import api as storage
from espace.services.storage.base import Entry, Leftover

GRACE_SECONDS = 3600


@dataclass
class Report:
    store: str
    grace_seconds: float = GRACE_SECONDS
    upload_grace_seconds: float = GRACE_SECONDS
    files: int = 0
    bytes: int = 0
    orphans: list[Entry] = field(default_factory=list)  # files without a row
    recent_orphans: list[Entry] = field(default_factory=list)  # younger than the grace: kept
    missing: list[tuple[str, str]] = field(default_factory=list)  # (what, key): rows without a file
    leftovers: list[Leftover] = field(default_factory=list)  # interrupted uploads
    running: list[Leftover] = field(default_factory=list)  # object store: recent uploads, kept
    removed_orphans: list[str] = field(default_factory=list)
    removed_leftovers: list[Leftover] = field(default_factory=list)
    loose: list[Loose] = field(default_factory=list)  # under DATA_DIR, open to group or others
    fixed: list[Loose] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Nothing left to look at (what was removed or repaired is no longer a problem)."""
        removed = set(self.removed_orphans)
        return (not self.missing and not [o for o in self.orphans if o.key not in removed]
                and not self.recent_orphans and len(self.removed_leftovers) >= len(self.leftovers)
                and len(self.fixed) >= len(self.loose))


def _referenced(keys: Iterable[str] | None = None) -> dict[str, str]:
    """key -> what names it ("document 12", "logo du cabinet 1"); only `keys` if given."""
    wanted = None if keys is None else list(keys)
    out: dict[str, str] = {}
    with session_scope() as s:
        docs = select(Document.id, Document.storage_key)  # type: ignore[call-overload]
        firms = select(Firm.id, Firm.logo_key).where(Firm.logo_key.is_not(None))  # type: ignore[call-overload, union-attr]
        if wanted is not None:
            docs = docs.where(Document.storage_key.in_(wanted))  # type: ignore[attr-defined]
            firms = firms.where(Firm.logo_key.in_(wanted))  # type: ignore[union-attr]
        for doc_id, key in s.execute(docs):
            out[key] = f"document {doc_id}"
        for firm_id, key in s.execute(firms):
            out[key] = f"logo du cabinet {firm_id}"
    return out


def _chunks(items: list[str], n: int = 500) -> Iterable[list[str]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def check(remove: bool = False, grace_seconds: float = GRACE_SECONDS,
          upload_grace_seconds: float | None = None, repair_modes: bool = False) -> Report:
    """Compare the store with the database; with `remove`, remove the orphans older
    than `grace_seconds` and the interrupted uploads (on the object store: the
    incomplete uploads started more than `upload_grace_seconds` ago, by default
    `grace_seconds`). Report the loose modes under DATA_DIR; `repair_modes` fixes them."""
    upload_grace = grace_seconds if upload_grace_seconds is None else upload_grace_seconds
    report = Report(storage.describe(), grace_seconds, upload_grace)
    rows = _referenced()
    stored: dict[str, Entry] = {}
    for entry in storage.iter_entries():
        stored[entry.key] = entry
        report.files += 1
        report.bytes += entry.size
    # Second look: a row written (or deleted) while the store was listed.
    unnamed = [k for k in stored if k not in rows]
    named_now: dict[str, str] = {}
    for part in _chunks(unnamed):
        named_now.update(_referenced(part))
    now = time.time()
    for key in unnamed:
        if key in named_now:
            continue
        entry = stored[key]
        if now - entry.modified.timestamp() < grace_seconds:
            report.recent_orphans.append(entry)
        else:
            report.orphans.append(entry)
    absent = [k for k in rows if k not in stored]
    still: dict[str, str] = {}
    for part in _chunks(absent):
        still.update(_referenced(part))
    for key in absent:
        if key in still and not storage.exists(key):
            report.missing.append((still[key], key))
    report.leftovers = storage.leftovers(older_than=upload_grace)
    report.running = [x for x in storage.leftovers(older_than=0)
                      if x.name not in {y.name for y in report.leftovers}]
    if remove:
        for entry in report.orphans:
            if _referenced([entry.key]):  # named meanwhile
                continue
            storage.delete(entry.key)
            report.removed_orphans.append(entry.key)
        report.removed_leftovers = storage.remove_leftovers(older_than=upload_grace)
    report.loose = loose_modes(settings.data_dir)
    if repair_modes:
        report.fixed = fix_modes(report.loose)
    return report


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%d/%m/%Y %H:%M")


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:g} h" if seconds >= 3600 else f"{seconds / 60:g} min"


def render(report: Report) -> str:
    """The report in French, for the operator."""
    lines = [f"Stockage : {report.store}",
             f"Fichiers : {report.files} ({report.bytes / 1e6:.1f} Mo)"]
    removed = set(report.removed_orphans)
    lines.append(f"Fichiers sans ligne en base : {len(report.orphans) + len(report.recent_orphans)}")
    for e in report.orphans:
        state = "supprimé" if e.key in removed else "à supprimer (--remove-orphans)"
        lines.append(f"  {e.key}  {e.size} octets  {_when(e.modified)}  {state}")
    for e in report.recent_orphans:
        lines.append(f"  {e.key}  {e.size} octets  {_when(e.modified)}  "
                     f"moins de {_duration(report.grace_seconds)} (un dépôt en cours ?) : conservé")
    lines.append(f"Lignes sans fichier : {len(report.missing)}")
    for what, key in report.missing:
        lines.append(f"  {what} : {key}")
    lines.append(f"Dépôts interrompus : {len(report.leftovers)}")
    gone = {x.name for x in report.removed_leftovers}
    for x in report.leftovers:
        state = "supprimé" if x.name in gone else "à supprimer (--remove-orphans)"
        lines.append(f"  {x.name}  {x.size} octets  commencé le {_when(x.started)}  {state}")
    if report.running:
        lines.append(f"Dépôts en cours (commencés il y a moins de {_duration(report.upload_grace_seconds)}) : {len(report.running)}")
        for x in report.running:
            lines.append(f"  {x.name}  commencé le {_when(x.started)}  conservé")
    lines.extend(_render_modes(report))
    lines.append("Résultat : " + ("aucune anomalie." if report.clean else "anomalies à examiner."))
    return "\n".join(lines)


def _render_modes(report: Report) -> list[str]:
    lines = [f"Droits trop ouverts dans {settings.data_dir} (lisibles par d'autres utilisateurs) : {len(report.loose)}"]
    fixed = {x.path for x in report.fixed}
    for x in report.loose:
        state = "corrigé" if x.path in fixed else "à corriger (--fix-modes)"
        what = "dossier" if x.is_dir else "fichier"
        lines.append(f"  {what} {x.path}  {x.mode:04o} → {x.wanted:04o}  {state}")
    return lines
