"""What every app shares: settings, urls, error pages, logging, the admin base classes and the
admin page frame. Imports no app; names them only in strings (docs/architecture.md)."""
