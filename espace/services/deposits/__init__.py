"""A file uploaded into a dossier, by a client (services/client/deposit.py) or by the
firm (services/firm/sharing.py); callers import from the module that owns a name:

- receive.py: the upload itself (streamed to private storage, size limit while
  reading, the Document row);
- filetypes.py: what a file is, decided on its content against an allow-list;
- archives.py: a ZIP's entries (and the ZIPs in it) checked by the same rules, bombs refused;
- signatures.py: what bytes and names mean (magics, refused extensions, OLE2 checks, reasons);
- filenames.py: the name a file is shown under.
"""
