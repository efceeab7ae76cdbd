"""Pages that need items and imports together: the items list, its filters and its export in
the import's column format, the item's admin form. No models of its own; the top layer
(docs/architecture.md).

R-numbers cited in this code are the import rules listed in docs/rules.md."""
