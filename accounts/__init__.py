"""The user and his InSite / Profit rights (R2). Imports only config/ (docs/architecture.md).

R-numbers cited in this code are the import rules listed in docs/rules.md."""
