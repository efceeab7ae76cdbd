"""manage.py import_items refuses bad arguments with one sentence, in the user's language:
header rows, mapping files of the wrong shape, rejected-rows names, paths that are no file;
and it says whose remembered mapping it uses."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.utils import translation

from imports.models import ImportJob
from imports.pipeline.attachments import ArchiveError, AttachmentArchive
from tests.imports.commands import import_items

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def plain_csv(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("Relatienummer;Onderwerp\n10001;ok\n", encoding="utf-8")
    return path


def run(path, *args):
    return import_items(path, "--type", "CORR", "--user", "importeur", *args)


@pytest.mark.parametrize("row", ["99999999999999999999", "-5", "0", "1048577", "drie"])
def test_a_header_row_outside_a_sheet_is_one_sentence(plain_csv, row):
    code, out, err = run(plain_csv, "--dry-run", "--header-row", row)
    assert code != 0
    assert "The header row must be a number from 1 to 1,048,576" in err  # grouped as English writes it
    assert "Traceback" not in out + err
    assert not ImportJob.objects.exists()


def test_a_header_row_outside_a_sheet_exits_2_from_the_shell(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "import_items", "x.csv", "--type", "CORR", "--user", "u", "--header-row", "-5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LANGUAGE_CODE": "en", "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    assert result.returncode == 2
    assert "The header row must be a number" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ([1, 2], "A mapping is a JSON object"),
        ("Relatienummer", "A mapping is a JSON object"),
        ({"relation": "Relatienummer", "subject": ["a"]}, "The mapping of 'subject' must be a column name"),
        ({"relation": "Relatienummer", "subject": 5}, "The mapping of 'subject' must be a column name"),
        ({"relation": "Relatienummer", "subject": {}}, "The mapping of 'subject' must be a column name"),
        ({"relation": "Relatienummer", "subject": {"column": "Onderwerp", "fixed": None}}, "must be a text, a number"),
        ({"relation": "Relatienummer", "subject": {"colum": "Onderwerp"}}, "exactly one of"),
        ({"relation": {"column": 7}, "subject": "Onderwerp"}, "The column of 'relation' in the mapping must be text"),
        ({"relation": "Relatienummer", "subject": {"fixed": None}}, "must be a text, a number or yes/no"),
        ({"relation": "Relatienummer", "subject": {"fixed": ["a"]}}, "must be a text, a number or yes/no"),
        ({"relation": "Relatienummer", "subject": {"fixed": {"a": 1}}}, "must be a text, a number or yes/no"),
        ({"relation": "Relatienummer", "subject": {"fixed": "a\u0000b"}}, "holds an invisible control character"),
        ({"relation": "Relatienummer", "subject": {"fixed": "a\u202eb"}}, "holds an invisible control character"),
    ],
)
def test_a_mapping_file_of_the_wrong_shape_is_one_sentence_naming_the_field(plain_csv, tmp_path, mapping, message):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(mapping), encoding="utf-8")
    code, out, err = run(plain_csv, "--mapping", path)
    assert code == 2
    assert message in err
    assert "Traceback" not in out + err
    assert ImportJob.objects.get().state == ImportJob.State.CANCELLED


def test_the_wizard_and_services_get_the_same_shape_check(plain_csv, tmp_path):
    from imports import services

    run(plain_csv, "--mapping", _write(tmp_path, {"relation": "Relatienummer", "subject": {"fixed": None}}))
    job = ImportJob.objects.get()
    problems = services.set_mapping(
        job=job, mapping={"relation": {"column": "Relatienummer"}, "subject": {"fixed": "a\x00"}}
    )
    assert [p.code for p in problems] == ["mapping_malformed"]


def _write(tmp_path, mapping):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(mapping), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["x.ods", "x.pdf", "x", "x.xlsx.txt"])
def test_rejected_rows_go_to_xlsx_or_csv_only_and_are_refused_before_the_import(plain_csv, tmp_path, name):
    code, _out, err = run(plain_csv, "--rejected-out", tmp_path / name)
    assert code == 2
    assert "an .xlsx or a .csv file only" in err
    assert not ImportJob.objects.exists()
    assert not (tmp_path / name).exists()


def test_a_folder_or_a_device_is_named_for_what_it_is(tmp_path):
    code, _out, err = run(tmp_path)
    assert (code, "is a folder, not a file" in err) == (2, True)
    code, _out, err = run("/dev/null")
    assert (code, "is not a regular file" in err) == (2, True)


def test_an_attachments_path_that_is_a_folder_is_named_so(plain_csv, tmp_path):
    code, _out, err = run(plain_csv, "--attachments", tmp_path)
    assert (code, "is a folder, not a file" in err) == (2, True)


def test_the_command_speaks_dutch_on_a_dutch_system(plain_csv, tmp_path):
    with translation.override("nl"):
        code, out, err = run(plain_csv, "--dry-run")
        assert code == 0
        assert "1 rijen, 1 geldig, 0 ongeldig; 0 dossieritems aangemaakt." in out
        assert "Gebruikte koppeling" in err
        code, _out, err = import_items(plain_csv, "--type", "NOPE", "--user", "importeur")
        assert "Er is geen dossieritemtype NOPE" in err
        code, _out, err = import_items(plain_csv, "--type", "CORR", "--user", "nobody")
        assert "Er is geen gebruiker nobody" in err
        code, _out, err = run(tmp_path)
        assert "is een map, geen bestand" in err
        code, _out, err = run(plain_csv, "--mapping", _write(tmp_path, [1]))
        assert "De koppeling kan niet worden gebruikt" in err


def test_a_remembered_mapping_says_whose_and_when(plain_csv):
    code, _out, err = run(plain_csv)
    assert code == 0
    assert "remembered" not in err
    code, _out, err = run(plain_csv, "--again")
    assert code == 0
    assert "Mapping remembered from importeur's import of " in err
    assert "pass --mapping to change it" in err


def make_zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_an_honest_zip_of_one_compressible_file_is_accepted(tmp_path):
    archive = AttachmentArchive.open(make_zip(tmp_path / "a.zip", {"a.txt": b"A" * 5000}))
    assert [m.name for m in archive.members] == ["a.txt"]
    archive.close()


def test_each_zip_limit_has_its_own_sentence(tmp_path, settings):
    settings.IMPORT_ATTACHMENT_LIMITS = {"members": 100, "uncompressed_bytes": 1000, "ratio": 1000}
    with pytest.raises(ArchiveError, match="split the files over more imports"):
        AttachmentArchive.open(make_zip(tmp_path / "big.zip", {"big.pdf": b"x" * 2000}))
    settings.IMPORT_ATTACHMENT_LIMITS = {"members": 100, "uncompressed_bytes": 10**9, "ratio": 50}
    with pytest.raises(ArchiveError, match="packed suspiciously tight"):
        AttachmentArchive.open(make_zip(tmp_path / "bomb.zip", {"zeros.pdf": b"\0" * 11_000_000}))


def test_a_collision_by_an_invisible_character_names_the_real_reason(plain_csv, tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text("Relatienummer;Onderwerp;Bijlage\n10001;ok;cv.pdf\n", encoding="utf-8")
    zip_path = make_zip(tmp_path / "att.zip", {"cv.pdf": b"%PDF-1", "c\u200bv.pdf": b"%PDF-2"})
    _code, out, _err = import_items(
        rows, "--type", "SOLL", "--user", "importeur", "--attachments", zip_path, "--dry-run"
    )
    assert "invisible characters or how an accent is written" in out
    assert "(upper and lower case count as the same)" not in out


@pytest.mark.parametrize("subject", ["\x85c1", "\x1cvoor", "na\x1f", "\x0bvt"])
def test_a_control_character_at_either_end_of_a_cell_is_warned_of(tmp_path, subject):
    rows = tmp_path / "rows.csv"
    rows.write_bytes(f"Relatienummer;Onderwerp\n10001;{subject}\n".encode())
    code, out, _err = run(rows, "--dry-run", "--json")
    problems = json.loads(out)["problems"]
    assert code == 0
    assert [(p["row"], p["column"], p["code"]) for p in problems if p["column"]] == [
        (2, "Onderwerp", "control_characters_removed")
    ]  # besides the values filled in, in no column (tests/imports/test_columns_left_out.py)


def test_trimming_removes_only_whitespace():
    from dossier.values import as_text
    from spreadsheets.cells import clean_rows

    assert as_text(" \xa0\u2003a b\t\n") == "a b"
    assert as_text("\x1ca\x85") == "\x1ca\x85"
    assert list(clean_rows(iter([(1, (" \u3000x\r\n", "\x1f", "  "))]))) == [(1, ("x", "\x1f", None))]
