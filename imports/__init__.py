"""Import jobs: the pipeline, the services by topic, the queue (tasks.py), the wizard and the
commands. Imports dossier/ and below, never review/ (docs/architecture.md).

R-numbers cited in this code are the import rules listed in docs/rules.md."""
