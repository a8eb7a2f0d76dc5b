"""What the client's services and the firm's services both read, so that neither side
imports the other (the import-linter contract « services.firm ↛ services.client »):
a dossier's message thread, when a client first opened an item, and keyset pages
(the client's lists and dossier tabs, the firm's dossier tabs)."""
