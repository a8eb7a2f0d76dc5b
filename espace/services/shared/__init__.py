"""What the client's services and the firm's services both read, so that neither side
imports the other (the import-linter contract « services.firm ↛ services.client »):
a dossier's message thread, and when a client first opened an item."""
