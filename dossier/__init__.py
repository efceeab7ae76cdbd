"""The domain: relations, item types and their configuration, ItemSpec (what an item of a type
has and what makes it valid), type access (R3, R5, R21), items and their services, the central
dossier and the item page. Imports only accounts/, config/ and spreadsheets/
(docs/architecture.md).

R-numbers cited in this code are the import rules listed in docs/rules.md."""
