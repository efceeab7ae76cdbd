"""Pages that need items and imports together: the items list, its filters and its export in
the import's column format. No models of its own."""
