"""A file uploaded into a dossier, by a client (services/client/deposit.py) or by the
firm (services/firm/sharing.py); callers import from the module that owns a name:

- receive.py: the upload itself (streamed to private storage, size limit while
  reading, the Document row);
- filetypes.py: what a file is, decided on its content against an allow-list;
- filenames.py: the name a file is shown under.
"""
