"""The project's addresses plus two that fail the way a write behind a long SQLite
transaction, or another database error, fails."""

from django.db import OperationalError
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


def locked(request):
    raise OperationalError("database is locked")


def broken(request):
    raise OperationalError("no such table: nowhere")


urlpatterns = [path("busy/", locked), path("broken/", broken), *project_urlpatterns]
