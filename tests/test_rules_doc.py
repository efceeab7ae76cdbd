"""docs/rules.md stays true: one row per rule R1-R29, every `module:name` it names resolves,
every test it names exists, and the code cites no rule number the page does not have. When a
function moves, these tests name the reference to update. No database needed."""

import ast
import importlib
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "docs" / "rules.md"
RULE_COUNT = 29
# Where the code cites rules: Python files, and every file under a templates folder.
CITING = ["accounts", "config", "dossier", "imports", "review", "spreadsheets", "templates"]
CITATION = re.compile(r"\bR(\d+)\b")
CODE_REFERENCE = re.compile(r"^[a-z_][\w.]*:[A-Za-z_][\w.]*$")
TEST_REFERENCE = re.compile(r"^(tests/[\w/]+\.py)::(\w+)$")
NONE_YET = "none yet"


@cache
def rows() -> list[dict[str, str]]:
    """The table's rows: rule, words, enforced (the `module:name` cell), proved (the tests' cell)."""
    found = []
    for line in RULES.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and re.fullmatch(r"R\d+", cells[0]):
            assert len(cells) == 4, f"{cells[0]} has {len(cells)} cells, not 4: {line}"
            found.append(dict(zip(("rule", "words", "enforced", "proved"), cells, strict=True)))
    return found


def references(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def resolve(reference: str) -> object:
    module_name, _, dotted = reference.partition(":")
    found = importlib.import_module(module_name)
    for name in dotted.split("."):
        found = getattr(found, name)
    return found


def test_every_rule_has_one_row():
    numbers = [row["rule"] for row in rows()]
    expected = [f"R{n}" for n in range(1, RULE_COUNT + 1)]
    missing = [rule for rule in expected if rule not in numbers]
    twice = sorted({rule for rule in numbers if numbers.count(rule) > 1})
    unknown = [rule for rule in numbers if rule not in expected]
    assert (missing, twice, unknown) == ([], [], []), "(missing, twice, unknown)"
    assert numbers == expected, "in order"


def test_every_rule_is_said_in_words_and_says_where_it_is_enforced_and_proved():
    for row in rows():
        assert row["words"], f"{row['rule']} says nothing"
        assert references(row["enforced"]), f"{row['rule']} names no `module:name`"
        assert references(row["proved"]) or row["proved"] == NONE_YET, f"{row['rule']}: a test, or '{NONE_YET}'"


def test_every_code_reference_resolves():
    broken = []
    for row in rows():
        for reference in references(row["enforced"]):
            if not CODE_REFERENCE.match(reference):
                broken.append(f"{row['rule']}: {reference} is not module:name")
                continue
            try:
                resolve(reference)
            except (ImportError, AttributeError) as error:
                broken.append(f"{row['rule']}: {reference} ({error})")
    assert broken == [], "docs/rules.md names code that is not there:\n" + "\n".join(broken)


def test_every_test_reference_names_a_test_that_exists():
    broken = []
    for row in rows():
        for reference in references(row["proved"]):
            match = TEST_REFERENCE.match(reference)
            if match is None:
                broken.append(f"{row['rule']}: {reference} is not tests/path.py::test_name")
                continue
            path, name = ROOT / match[1], match[2]
            if not path.is_file():
                broken.append(f"{row['rule']}: {match[1]} does not exist")
            elif name not in defined_functions(path):
                broken.append(f"{row['rule']}: {match[1]} defines no {name}")
    assert broken == [], "docs/rules.md names tests that are not there:\n" + "\n".join(broken)


def test_every_test_reference_is_a_test_of_its_rule():
    """A test that proves R13 is called test_r13_... (a test may name several rules)."""
    wrong = []
    for row in rows():
        number = int(row["rule"][1:])
        for reference in references(row["proved"]):
            name = reference.rpartition("::")[2]
            if number not in {int(n) for n in re.findall(r"(?<=_r)\d+", name)}:
                wrong.append(f"{row['rule']}: {name}")
    assert wrong == []


def test_the_code_cites_only_rules_that_exist():
    wrong = []
    for path in citing_files():
        for number, line in citations(path):
            if not 1 <= number <= RULE_COUNT:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: R{number}")
    assert wrong == [], f"the rules are R1-R{RULE_COUNT} (docs/rules.md):\n" + "\n".join(wrong)


def test_the_code_cites_rules_at_all():
    """Guards the test above against a search that finds nothing."""
    assert sum(1 for path in citing_files() for _citation in citations(path)) > 50


def defined_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def citing_files() -> list[Path]:
    files = []
    for top in CITING:
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and (path.suffix == ".py" or "templates" in path.relative_to(ROOT).parts):
                files.append(path)
    return files


def citations(path: Path) -> list[tuple[int, int]]:
    """(rule number, line) of every R-number in the file."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return [
        (int(number), line)
        for line, text_line in enumerate(text.splitlines(), start=1)
        for number in CITATION.findall(text_line)
    ]
