"""What a person is told when a part of the portal fails (the database, Redis, the documents' disk):
the same words in a tab (web/errors.py), on the HTTP routes (http/faults.py) and in the
upload widget (assets/depot.js shows the route's `error`)."""
from __future__ import annotations

# The database does not answer (stopped, restarting, unreachable, every connection busy) or a
# connection died during the action: nothing of it was written (one transaction).
DATABASE_DOWN = ("La connexion à la base de données a été interrompue : votre dernière action n'a pas été "
                 "enregistrée. Réessayez dans un instant.")
# A page load caught by it: the tab tries again by itself and shows the page once it is back.
DATABASE_DOWN_LOADING = ("La connexion à la base de données a été interrompue : la page s'affichera d'elle-même "
                         "dès son retour.")
# Redis (the pages' state) does not answer: an action did not run, a page load waits (the tab
# tries again by itself, as for the database).
SERVICE_DOWN = ("Service momentanément indisponible : votre dernière action n'a pas été prise en compte. "
                "Réessayez dans quelques instants.")
SERVICE_DOWN_LOADING = "Service momentanément indisponible : la page s'affichera d'elle-même dès son retour."
# The documents' disk has not the room for a deposit (refused up front, or full mid-stream).
STORAGE_FULL = ("l'espace de stockage des documents est plein, le fichier n'a pas été déposé. "
                "Réessayez plus tard ou prévenez votre cabinet.")
