"""Reading and writing spreadsheets, with no knowledge of items, types or jobs.

A plain package: it imports no app of the project (an import-linter contract keeps it so), and
its tests need no database."""
