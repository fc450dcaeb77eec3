"""The web view of a harvest: Datasette over the database, plus harvester's own pages.

`harvester serve` (harvester/cli/serve.py) opens the SQLite database read-only in Datasette
and adds the pages a researcher checking numbers needs (docs/web.md):

- `/-/coverage` — province → prefecture → county × year: reports found, not found, failed;
- `/-/reports?portal=ID&year=Y` — the reports behind one cell of the matrix;
- `/-/report/ID` — one report's tables laid out as the template prints them, its checks,
  versions and documents, with links to the stored raw bytes and their text;
- `/-/checks` — failing checks across the harvest, filterable by rule, province and year;
- `/-/blob/SHA256` and `/-/document/ID/text` — the raw bytes and the normalised text.

Modules: `app` (building and running Datasette), `plugin` (the routes), `data` (read-only
queries), `layout` (the template's tables), `metadata` (Datasette's descriptions),
`snapshot` (`harvester export --format sqlite`).
"""
