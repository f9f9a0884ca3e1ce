"""The mutation harness (course/mutation.py) and the course's mutants (course/mutants.py).

Two kinds of proof:
- every mutant applies (its `old` text occurs exactly once) to its lesson's reference and to
  every later one, and still compiles once applied;
- the reference's own test suite passes unmutated and FAILS on every mutant: each mutant is
  catchable, so a checkpoint that asks a student to catch it asks for something possible.

The harness itself is tested on a tiny synthetic app: a caught mutant, a surviving one, a
collection error, a hang, a mutant that does not apply, a scrubbed environment.
"""

from __future__ import annotations

import json
import os
import shutil
import tokenize
from dataclasses import replace
from pathlib import Path
from types import CodeType

import pytest

from course import mutation
from course.manifest import load_manifest
from course.mutants import ALL, HOMEWORK, MutantSet
from course.mutation import Mutant, MutantError, RunResult, Suite
from course.mutation_probe import _swap_and_watch, mutated_source
from course.paths import GRADED_ENV, ONLY_ENV

ROOT = Path(__file__).resolve().parent.parent


def references(mutant_set: MutantSet) -> list[Path]:
    """The lesson's solved snapshot, every later one, and solution/ (the homework's answers)."""
    if mutant_set.lesson == HOMEWORK.lesson:  # HOMEWORK and HOMEWORK_UNIT
        return [ROOT / "solution"]
    lessons = load_manifest().lessons
    ordinal = next(lesson.ordinal for lesson in lessons if lesson.name == mutant_set.lesson)
    later = [lesson for lesson in lessons if lesson.ordinal >= ordinal]
    return [*(ROOT / "lessons" / lesson.name / "solved" for lesson in later), ROOT / "solution"]


def own_reference(mutant_set: MutantSet) -> Path:
    return references(mutant_set)[0]


def label(mutant_set: MutantSet) -> str:
    """One lesson may have several sets (08: its unit tests, its rate-limit test)."""
    return f"{mutant_set.lesson}:{','.join(mutant_set.paths)}"


@pytest.mark.parametrize("mutant_set", ALL, ids=label)
def test_every_mutant_applies_to_its_reference_and_later_ones(
    mutant_set: MutantSet,
) -> None:
    assert len({mutant.id for mutant in mutant_set.mutants}) == len(mutant_set.mutants)
    for reference in references(mutant_set):
        mutation.check_mutants(reference, mutant_set.mutants)
        for mutant in mutant_set.mutants:
            # As the probe plants it: each file's source with its replacements, compiled.
            for file, edits in mutation.edits_by_file(mutant).items():
                source = (reference / file).read_text(encoding="utf-8")
                mutated = mutated_source(source, edits)
                assert mutated != source
                compile(mutated, str(reference / file), "exec", dont_inherit=True)


def reword_comments(tree: Path) -> int:
    """Replace the text of every comment of every Python file under `tree`; how many."""
    count = 0
    for path in tree.rglob("*.py"):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        with path.open("rb") as handle:
            comments = [
                token.start
                for token in tokenize.tokenize(handle.readline)
                if token.type == tokenize.COMMENT
            ]
        for row, column in comments:
            line = lines[row - 1]
            ending = line[len(line.rstrip("\r\n")) :]
            lines[row - 1] = f"{line[:column]}# reworded{ending}"
        path.write_text("".join(lines), encoding="utf-8")
        count += len(comments)
    return count


@pytest.mark.parametrize("mutant_set", ALL, ids=label)
def test_every_mutant_still_applies_when_every_comment_is_reworded(
    mutant_set: MutantSet, tmp_path: Path
) -> None:
    """Anchors are code, never comments: rewording the app's comments breaks no grading."""
    for reference in references(mutant_set):
        tree = tmp_path / reference.parent.name / reference.name
        shutil.copytree(reference / "app", tree / "app")
        assert reword_comments(tree) > 0
        for mutant in mutant_set.mutants:  # the data files they edit (render.yaml), as they are
            for edit in mutant.edits:
                if not (tree / edit.file).exists():
                    shutil.copyfile(reference / edit.file, tree / edit.file)
        mutation.check_mutants(tree, mutant_set.mutants)


@pytest.fixture(scope="module")
def reference_suites() -> dict[str, Suite]:
    """The reference's own tests as the "student's": started together, two at a time."""
    suites = {}
    for mutant_set in ALL:
        reference = own_reference(mutant_set)
        suites[label(mutant_set)] = Suite(
            reference, reference, mutant_set.paths, mutant_set.mutants
        )
        mutation.start_baseline(suites[label(mutant_set)])
    return suites


@pytest.mark.timeout(mutation.CHECKPOINT_LIMIT)
@pytest.mark.parametrize("mutant_set", ALL, ids=label)
def test_reference_suite_passes_and_catches_every_mutant(
    mutant_set: MutantSet, reference_suites: dict[str, Suite]
) -> None:
    suite = reference_suites[label(mutant_set)]
    run = mutation.baseline(suite)
    assert run.green, f"{suite.reference}: {run.problem()}\n{run.output}"
    mutation.prefetch(suite, mutant_set.mutants)
    escaped = []
    for mutant in mutant_set.mutants:
        verdict = mutation.verdict(suite, mutant, mutant_set.mutants)
        assert verdict.run is not None
        if not (verdict.caught and verdict.run.exit_code == 1):
            escaped.append(f"{mutant.id}: {verdict.reason}")
    assert not escaped, "\n".join(escaped)


# --- the harness on a synthetic app ------------------------------------------------------------

PYPROJECT = """[tool.pytest.ini_options]
pythonpath = ["."]
"""
CALC = """def add(a, b):
    return a + b


def unused(a):
    return a * 2


def slow():
    return 1
"""
TESTS = """import os

from app.calc import add, slow


def test_add():
    assert add(2, 3) == 5


def test_slow():
    assert slow() == 1


def test_runs_on_embedded_defaults():
    assert "DATABASE_URL" not in os.environ
    assert not any(key.startswith("TEST_") for key in os.environ)
    assert os.environ["MAIL_PORT"] == "1"
"""


def mutant(mutant_id: str, old: str, new: str) -> Mutant:
    return Mutant(id=mutant_id, file="app/calc.py", old=old, new=new, description=mutant_id)


CAUGHT = mutant("minus", "return a + b", "return a - b")
SURVIVES = mutant("unused", "return a * 2", "return a * 3")
BROKEN = mutant("syntax", "def add(a, b):", "def add(a, b)")
HANGS = mutant("hang", "    return 1\n", "    while True:\n        pass\n")


def two_copies(tmp_path: Path, calc: str) -> tuple[Path, Path]:
    """A reference app and a "student" copy of it (app/calc.py = `calc`), tests/ empty."""
    reference, student = tmp_path / "reference", tmp_path / "student"
    for root in (reference, student):
        (root / "app").mkdir(parents=True)
        (root / "app" / "__init__.py").write_text("")
        (root / "app" / "calc.py").write_text(calc)
        (root / "pyproject.toml").write_text(PYPROJECT)
        (root / "tests").mkdir()
    return reference, student


@pytest.fixture
def synthetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Suite:
    """A reference app and a "student" copy whose tests/ is graded against it."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://must-not-leak")
    monkeypatch.setenv("TEST_DATABASE_URL", "postgresql://must-not-leak")
    reference, student = two_copies(tmp_path, CALC)
    (reference / "tests" / "test_reference_only.py").write_text("def test_x():\n    assert 0\n")
    (student / "app" / "calc.py").write_text("def add(a, b):\n    return 0\n")  # never used
    (student / "tests" / "test_calc.py").write_text(TESTS)
    return Suite(student, reference, ("tests",))


def test_student_tests_run_on_the_reference_app_with_a_scrubbed_environment(
    synthetic: Suite,
) -> None:
    run = mutation.baseline(synthetic)
    assert run.green, f"{run.problem()}\n{run.output}"
    assert (run.collected, run.passed) == (3, 3)  # the reference's own tests are not there


def test_a_failing_mutant_is_caught_and_a_surviving_one_is_not(synthetic: Suite) -> None:
    caught = mutation.verdict(synthetic, CAUGHT, [CAUGHT, SURVIVES])
    assert caught.caught and "test_add" in caught.reason
    survived = mutation.verdict(synthetic, SURVIVES, [CAUGHT, SURVIVES])
    assert not survived.caught
    assert "не спіймано" in survived.reason and "unused" in survived.reason


def test_a_collection_error_is_not_a_clean_catch(synthetic: Suite) -> None:
    verdict = mutation.verdict(synthetic, BROKEN)
    assert not verdict.caught
    assert verdict.run is not None and verdict.run.exit_code == 2
    assert "збору" in verdict.reason


def test_a_hang_is_killed_and_is_not_a_clean_catch(synthetic: Suite) -> None:
    run = mutation.run_pytest(synthetic, ["-x"], mutant=HANGS, limit=4)
    assert run.timed_out and not run.red
    assert "зависли" in mutation.describe(HANGS, run)


def test_a_test_stopped_by_pytest_timeout_is_not_a_clean_catch(synthetic: Suite) -> None:
    run = mutation.run_pytest(synthetic, ["-x", "--timeout=2"], mutant=HANGS, limit=60)
    assert run.exit_code == 1 and run.hung and not run.red, run.output
    assert "зависли" in mutation.describe(HANGS, run)


def test_a_mutant_that_does_not_apply_is_a_course_bug(synthetic: Suite) -> None:
    missing = mutant("missing", "return a / b", "return a // b")
    with pytest.raises(MutantError, match="occurs 0 times"):
        mutation.verdict(synthetic, missing)


def test_tests_that_fail_on_the_reference_grade_no_mutant(synthetic: Suite) -> None:
    test_file = synthetic.student / "tests" / "test_calc.py"
    test_file.write_text(TESTS.replace("== 5", "== 6"))
    verdict = mutation.verdict(synthetic, CAUGHT)
    assert not verdict.caught
    assert "не проходять на правильному застосунку" in verdict.reason


def test_runs_are_cached_per_tests_digest(synthetic: Suite) -> None:
    first = mutation.baseline(synthetic)
    assert mutation.baseline(synthetic) is first  # the same run, not a second one
    (synthetic.student / "tests" / "test_more.py").write_text("def test_more():\n    pass\n")
    assert mutation.baseline(synthetic).passed == 4  # new tests, new digest, new run


def test_missing_test_folder_is_reported(synthetic: Suite) -> None:
    shutil.rmtree(synthetic.student / "tests")
    run = mutation.baseline(synthetic)
    assert not run.green and "немає tests" in run.problem()


def test_reference_follows_the_graded_lesson() -> None:
    assert mutation.reference_dir(ROOT, "05_unit_testing", None) == (
        ROOT / "lessons" / "05_unit_testing" / "solved"
    )
    assert mutation.reference_dir(ROOT, "05_unit_testing", "07_ci_cd") == (
        ROOT / "lessons" / "07_ci_cd" / "solved"
    )
    assert mutation.reference_dir(ROOT, "06_integration_testing", "05_unit_testing") == (
        ROOT / "lessons" / "06_integration_testing" / "solved"
    )
    assert mutation.reference_dir(ROOT, "05_unit_testing", "homework") == ROOT / "solution"


# --- one run, forked per mutant at the first test that calls its code ---------------------------

FORKED_CALC = """RATE = 2


def add(a, b):
    return a + b


def double(a):
    return a * RATE


class Box:
    size = 3

    @staticmethod
    def label():
        return "box"

    def grow(self):
        \"\"\"One more.\"\"\"
        return self.size + 1


def unused(a):
    return a * 2
"""
FORKED_TESTS = """{head}from app.calc import Box, add, double


def test_first():
    {first}assert Box.label() == "box"


def test_add():
    {add}assert add(2, 3) == 5


def test_double():
    assert double(2) == 4


def test_grow():
    assert Box().grow() == 4
"""
CALLED_AT = "tests/test_calc.py::test_{}".format
FORKED_MUTANTS = (
    mutant("minus", "return a + b", "return a - b"),
    mutant("rate", "RATE = 2", "RATE = 3"),  # module level: runs at import
    mutant("size", "size = 3", "size = 4"),  # class level: runs at import
    mutant("grow", "return self.size + 1", "return self.size + 2"),
    mutant("label", 'return "box"', 'return "crate"'),  # a decorated method
    mutant("unused", "return a * 2", "return a * 3"),  # no test calls it
)


def forked_suite(tmp_path: Path, head: str = "", first: str = "", add: str = "") -> Suite:
    reference, student = two_copies(tmp_path, FORKED_CALC)
    tests = FORKED_TESTS.format(head=head, first=first, add=add)
    (student / "tests" / "test_calc.py").write_text(tests)
    return Suite(student, reference, ("tests",), FORKED_MUTANTS)


def forked_alike(suite: Suite) -> set[str]:
    """Grade every mutant as a full grading does; assert each verdict is what the mutant's own
    run from the first test says (outcome, passed tests, first failure); the forked mutants."""
    base = mutation.baseline(suite)
    assert base.green, base.problem()
    for each in FORKED_MUTANTS:
        verdict = mutation.verdict(suite, each, FORKED_MUTANTS)
        alone = mutation.run_pytest(replace(suite, mutants=()), ["-x", "--tb=native"], mutant=each)
        assert verdict.run is not None
        assert (verdict.caught, verdict.run.passed, verdict.run.failed[:1]) == (
            alone.red,
            alone.passed,
            alone.failed[:1],
        ), each.id
    return set(mutation._forked(suite, base).result().forked)


def test_one_run_forks_each_mutant_at_the_first_test_that_calls_its_code(
    tmp_path: Path,
) -> None:
    suite = forked_suite(tmp_path)
    base = mutation.baseline(suite)
    assert set(base.planted) == {"minus", "grow", "label", "unused"}  # not those run at import
    assert base.called == {
        "label": CALLED_AT("first"),
        "minus": CALLED_AT("add"),
        "grow": CALLED_AT("grow"),
    }
    assert forked_alike(suite) == {"label", "minus", "grow"}
    unused = mutation.verdict(suite, FORKED_MUTANTS[-1], FORKED_MUTANTS)
    assert unused.run is base and "усі 4 тестів пройшли" in unused.reason  # no run needed


def test_a_forked_run_that_writes_into_the_tree_ends_the_forking(tmp_path: Path) -> None:
    """test_add leaves a file in the tree: the tests after it would not run as in a run of
    their own, so the mutants planned later get runs of their own."""
    log = "(Path(__file__).parent / 'calls.log').open('a').write('add')\n    "
    suite = forked_suite(tmp_path, head="from pathlib import Path\n", add=log)
    assert forked_alike(suite) == {"label", "minus"}


def test_a_thread_left_running_or_a_call_outside_a_test_means_a_run_of_its_own(
    tmp_path: Path,
) -> None:
    """A fork copies only the forking thread; a call at import is before any fork."""
    thread = "threading.Thread(target=threading.Event().wait, daemon=True).start()\n    "
    head = "import threading\n\nfrom app.calc import add as _add\n\nZERO = _add(0, 0)\n"
    suite = forked_suite(tmp_path, head=head, first=thread)
    assert mutation.baseline(suite).called["minus"] is None
    assert forked_alike(suite) == {"label"}


def test_a_checkpoint_graded_alone_forks_its_own_mutant_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some checkpoints graded, not all: the forked run forks the mutant asked for, and a mutant
    no test calls costs no run at all."""
    monkeypatch.setenv(ONLY_ENV, "NN.1")  # as the grader sets it for grade(only=...)
    suite = forked_suite(tmp_path)
    base = mutation.baseline(suite)
    minus, unused = FORKED_MUTANTS[0], FORKED_MUTANTS[-1]
    assert mutation.verdict(suite, minus, FORKED_MUTANTS).caught
    assert set(mutation._forked(suite, base, {"minus"}).result().forked) == {"minus"}
    no_more_runs(monkeypatch)
    verdict = mutation.verdict(suite, unused, FORKED_MUTANTS)
    assert not verdict.caught and verdict.run is base


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="a named pipe is POSIX's")
def test_a_fork_that_cannot_become_its_mutants_run_gives_way_to_a_run_of_its_own(
    tmp_path: Path,
) -> None:
    """Each child copies the tree first; a named pipe there cannot be copied: the child ends
    with pytest's internal error, which is no verdict."""
    pipe = "os.mkfifo(Path(__file__).parent / 'pipe')\n"
    suite = forked_suite(tmp_path, head=f"import os\nfrom pathlib import Path\n\n{pipe}")
    assert forked_alike(suite) == set()


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("def f():\n    return 1\n", "def f():\n    return 2\n", ({(0,)}, {(0,)})),
        ("X = 1\ndef f():\n    return X\n", "X = 2\ndef f():\n    return X\n", None),
        ("class C:\n    x = 1\n", "class C:\n    x = 2\n", None),
        ("f = lambda: 1\n", "f = lambda: 2\n", None),
        ("def f(a=1):\n    return a\n", "def f(a=2):\n    return a\n", None),
        (
            "def f():\n    def g():\n        return 1\n    return g\n",
            "def f():\n    def g():\n        return 2\n    return g\n",
            ({(0,), (0, 0)}, {(0,)}),
        ),
        (  # a line added: the functions after it differ in their lines only
            "def f():\n    return 1\ndef h():\n    return 3\n",
            "def f():\n    x = 1\n    return x\ndef h():\n    return 3\n",
            ({(0,)}, {(0,)}),
        ),
        ("def f(a):\n    return 1\n", "def f(b):\n    return 1\n", None),
    ],
    ids=[
        "body",
        "module-level",
        "class-level",
        "lambda",
        "default",
        "nested",
        "shifted",
        "signature",
    ],
)
def test_the_probe_swaps_function_bodies_and_leaves_import_time_changes_alone(
    before: str, after: str, expected: tuple[set[tuple[int, ...]], set[tuple[int, ...]]] | None
) -> None:
    def code(source: str) -> CodeType:
        return compile(source, "m.py", "exec", dont_inherit=True)

    assert _swap_and_watch(code(before), code(after)) == expected


# --- runs kept between grading runs -----------------------------------------------------------


@pytest.fixture
def kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A persistent cache folder of this test's own; the in-memory cache starts empty."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(mutation.CACHE_ENV, str(folder))
    mutation.clear_cache()
    return folder


def no_more_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a run was repeated instead of reused")

    monkeypatch.setattr(mutation, "_execute", refuse)


def test_a_later_grading_run_reuses_finished_runs(
    synthetic: Suite, kept: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = mutation.verdict(synthetic, CAUGHT, [CAUGHT, SURVIVES])
    survived = mutation.verdict(synthetic, SURVIVES, [CAUGHT, SURVIVES])
    assert first.caught and not survived.caught
    assert len(list(kept.glob("*.json"))) == 3  # the baseline and two mutants

    mutation.clear_cache()  # a new `course check`: nothing in memory
    no_more_runs(monkeypatch)
    again = mutation.verdict(synthetic, CAUGHT, [CAUGHT, SURVIVES])
    assert (again.caught, again.reason) == (True, first.reason)
    assert not mutation.verdict(synthetic, SURVIVES, [CAUGHT, SURVIVES]).caught


def test_changed_tests_or_a_changed_reference_run_again(synthetic: Suite, kept: Path) -> None:
    assert mutation.baseline(synthetic).passed == 3
    (synthetic.student / "tests" / "test_more.py").write_text("def test_more():\n    pass\n")
    mutation.clear_cache()
    assert mutation.baseline(synthetic).passed == 4

    calc = synthetic.reference / "app" / "calc.py"
    calc.write_text(calc.read_text().replace("return a + b", "return b + a + 1"))
    mutation.clear_cache()
    assert not mutation.baseline(synthetic).green  # the reference's own change is seen
    assert len(list(kept.glob("*.json"))) == 3


@pytest.mark.skipif(os.name != "posix", reason="the lock is fcntl's")
def test_a_run_is_computed_under_its_lock_so_a_concurrent_grading_waits_and_reuses_it(
    kept: Path,
) -> None:
    import fcntl

    key = ("baseline", "reference digest", "tests digest", ["tests"], "", [])
    cache_file = mutation._cache_file(key)
    assert cache_file is not None

    def run() -> RunResult:
        # Another grading that wants the same run now: it cannot take the lock, so it waits.
        with cache_file.with_suffix(".lock").open("a") as other, pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return RunResult(exit_code=0, collected=1, passed=1)

    first = mutation._kept(key, run)
    # Once the lock is free, the waiting grading finds the stored run instead of repeating it.
    again = mutation._kept(key, lambda: pytest.fail("the run was computed twice"))
    assert first.green and again == first


def test_a_run_that_timed_out_is_never_kept(synthetic: Suite, kept: Path) -> None:
    run = mutation.run_pytest(synthetic, ["-x"], mutant=HANGS, limit=4)
    assert run.timed_out and not mutation._keepable(run)
    hung = mutation.run_pytest(synthetic, ["-x", "--timeout=2"], mutant=HANGS, limit=60)
    assert hung.hung and not mutation._keepable(hung)


def test_an_unreadable_cache_file_means_a_new_run(synthetic: Suite, kept: Path) -> None:
    mutation.baseline(synthetic)
    [stored] = kept.glob("*.json")
    stored.write_text("{not json")
    mutation.clear_cache()
    assert mutation.baseline(synthetic).green
    assert json.loads(stored.read_text())["type"] == "RunResult"  # stored anew


def test_a_test_module_is_rewritten_once_and_each_run_reports_its_own_files(
    synthetic: Suite, kept: Path
) -> None:
    first = mutation.verdict(synthetic, CAUGHT, [CAUGHT])
    assert first.caught and first.reason.endswith("assert -1 == 5"), first.reason  # rewritten
    rewritten = set((kept / "rewritten").glob("*.code"))
    assert rewritten, "pytest's rewrite of tests/test_calc.py is not kept"
    (synthetic.student / "tests" / "test_more.py").write_text("def test_more():\n    pass\n")
    mutation.clear_cache()
    again = mutation.verdict(synthetic, CAUGHT, [CAUGHT])  # new tests: new runs
    assert again.caught and again.reason.endswith("assert -1 == 5"), again.reason
    assert len(set((kept / "rewritten").glob("*.code")) - rewritten) == 1  # test_more.py only
    assert again.run is not None and 'File "tests/test_calc.py"' in again.run.output
    assert "course-mutation-" not in again.run.output  # not the first run's folder


def test_off_keeps_nothing_on_disk(
    synthetic: Suite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(mutation.CACHE_ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    mutation.clear_cache()
    assert mutation.cache_dir() is None
    assert mutation.baseline(synthetic).green
    assert not (tmp_path / "xdg").exists()


def test_the_graded_lesson_is_the_graders_word(monkeypatch: pytest.MonkeyPatch) -> None:
    # A grading process may hold only earlier lessons' checkpoints (a shard of `course check 07`).
    monkeypatch.setenv(GRADED_ENV, "07_ci_cd")
    assert mutation.graded_lesson(object(), ROOT / "checkpoints") == "07_ci_cd"
