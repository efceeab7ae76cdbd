"""docs/errors.md lists every problem code the code can report."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [*ROOT.glob("dossier/*.py"), *ROOT.glob("imports/**/*.py")]
PATTERNS = [
    r'ValueProblem\(\s*"([a-z_]+)"',
    r'PathProblem\(\s*"([a-z_]+)"',
    r'FieldProblem\(\s*[^,()]+,\s*"([a-z_]+)"',
    r'MappingProblem\(\s*[^,()]+,\s*"([a-z_]+)"',
    # self._problem(row, field, value, "code", ...): the value may be a call or an index
    r'self\._problem\(\s*[^,()]+,\s*[^,()]+,\s*[^,()]+(?:\([^()]*\))?(?:\[[^\]]*\])*,\s*"([a-z_]+)"',
    # imports.pipeline.attachments.MESSAGES: code -> msgid, e.g. attachment_not_named
    r'(?m)^\s+"([a-z_]+)": gettext_noop\(',
]
# Built as f"{kind}_not_found" from the reference kinds of the mapped fields.
BUILT_CODES = {"contact_not_found", "user_not_found", "project_not_found", "course_not_found", "item_not_found"}


def reported_codes() -> set[str]:
    from dossier.spec import FILLED_IN  # the warnings of values the import fills in itself
    from imports.pipeline.duplicates import DUPLICATE_CODES  # constants, not literals at the call

    codes = set(BUILT_CODES) | set(FILLED_IN) | DUPLICATE_CODES
    for source in SOURCES:
        text = source.read_text(encoding="utf-8")
        for pattern in PATTERNS:
            codes.update(re.findall(pattern, text))
    return codes


def test_the_scan_finds_the_codes_it_should():
    codes = reported_codes()
    assert {
        "invalid_date",
        "required",
        "relation_not_found",
        "attachment_local_path",
        "fed_twice",
        "attachment_not_named",
    } <= codes


def test_every_reported_code_is_documented():
    documented = set(re.findall(r"`([a-z_]+)`", (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")))
    assert reported_codes() - documented == set()
