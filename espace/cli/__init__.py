"""The commands of `python -m espace`, one module per group: `database` (migrate,
demo), `accounts` (create-firm, create-lawyer, create-client), `dossiers`
(create-dossier), `mail` (worker, outbox-status), `security` (reset-2fa), `serve`,
`storage` (check-storage), `backup` (backup, restore). Each module's `register`
adds its commands and their options to the parser; `espace/__main__.py` parses
and dispatches."""
