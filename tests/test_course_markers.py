"""The marker language: every form, nesting, comment syntaxes, file markers and errors."""

from __future__ import annotations

import pytest

from course.manifest import load_manifest
from course.markers import MarkerError, parse, render

ORDER = load_manifest().order
HOMEWORK_STARTER, SOURCE = 18, 19


def starter(n: int) -> int:
    return 2 * n


def solved(n: int) -> int:
    return 2 * n + 1


def stages(text: str, path: str = "app/x.py") -> list[str | None]:
    doc = parse(text, path, ORDER)
    return [render(doc, stage) for stage in range(SOURCE + 1)]


PY = """import os
# >>> lesson 01
def verify(token):
    # >>> until 03
    return "old"
    # <<< until 03
    # >>> lesson 03
    return "new"
    # <<< lesson 03
# --- todo
# TODO(01): write verify()
# <<< lesson 01
# >>> lesson homework
def reset():
    pass
# <<< lesson homework
print("end")
"""


def test_python_lesson_todo_until_and_homework() -> None:
    out = stages(PY)
    assert out[starter(0)] == out[solved(0)] == 'import os\nprint("end")\n'
    assert out[starter(1)] == 'import os\n# TODO(01): write verify()\nprint("end")\n'
    old = 'import os\ndef verify(token):\n    return "old"\nprint("end")\n'
    assert out[solved(1)] == out[starter(2)] == out[solved(2)] == out[starter(3)] == old
    new = old.replace('"old"', '"new"')
    assert out[solved(3)] == out[solved(8)] == out[HOMEWORK_STARTER] == new
    assert "def reset" in (out[SOURCE] or "") and "def reset" not in new


def test_indentation_and_non_marker_comments_are_kept() -> None:
    text = (
        "class A:\n"
        "    def f(self):\n"
        "        # >>> lesson 02\n"
        "        if True:\n"
        "            return 1\n"
        "        # --- todo\n"
        "        raise NotImplementedError  # TODO(02)\n"
        "        # <<< lesson 02\n"
        "# >>> print(1)  (a doctest, not a marker)\n"
        "# --- section ---\n"
    )
    out = stages(text)
    tail = "# >>> print(1)  (a doctest, not a marker)\n# --- section ---\n"
    assert out[starter(2)] == (
        "class A:\n    def f(self):\n        raise NotImplementedError  # TODO(02)\n" + tail
    )
    assert out[solved(2)] == (
        "class A:\n    def f(self):\n        if True:\n            return 1\n" + tail
    )


def test_given_region_appears_in_the_starter() -> None:
    text = "a\n# >>> given 04\nb\n# <<< given 04\n"
    out = stages(text)
    assert out[solved(3)] == "a\n"
    assert out[starter(4)] == out[solved(4)] == "a\nb\n"


def test_nested_until_inside_lesson() -> None:
    text = "# >>> lesson 01\nx = 1\n# >>> until 04\ny = 2\n# <<< until 04\n# <<< lesson 01\n"
    out = stages(text)
    assert out[starter(1)] == ""
    assert out[solved(1)] == out[starter(4)] == "x = 1\ny = 2\n"
    assert out[solved(4)] == "x = 1\n"


def test_todo_half_can_hold_nested_regions() -> None:
    text = (
        "# >>> lesson 05\nreal\n# --- todo\n# >>> until 05\nstub\n# <<< until 05\n# <<< lesson 05\n"
    )
    assert stages(text)[starter(5)] == "stub\n"


def test_crlf_line_endings_are_kept() -> None:
    text = "a\r\n# >>> lesson 01\r\nb\r\n# <<< lesson 01\r\nc"
    out = stages(text)
    assert out[solved(1)] == "a\r\nb\r\nc"
    assert out[starter(1)] == "a\r\nc"


MARKDOWN = """# Title
<!-- >>> lesson 03 -->
Rate limits.
<!-- --- todo -->
TODO: rate limits.
<!-- <<< lesson 03 -->
# >>> lesson 03 is a heading here, not a marker
"""


def test_markdown_uses_html_comments() -> None:
    out = stages(MARKDOWN, "README.md")
    heading = "# >>> lesson 03 is a heading here, not a marker\n"
    assert out[starter(3)] == "# Title\nTODO: rate limits.\n" + heading
    assert out[solved(3)] == "# Title\nRate limits.\n" + heading


def test_jinja_template_accepts_both_comment_forms() -> None:
    text = (
        "<p>Hi</p>\n"
        "{# >>> lesson 01 #}\n"
        "<a href='{{ link }}'>verify</a>\n"
        "{# <<< lesson 01 #}\n"
        "  <!-- >>> until 02 -->\n"
        "  <p>old</p>\n"
        "  <!-- <<< until 02 -->\n"
    )
    out = stages(text, "app/templates/email.html")
    assert out[starter(1)] == "<p>Hi</p>\n  <p>old</p>\n"
    assert out[solved(2)] == "<p>Hi</p>\n<a href='{{ link }}'>verify</a>\n"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (
            "docker-compose.yml",
            "services:\n  app: {}\n  # >>> lesson 03\n  redis: {}\n  # <<< lesson 03\n",
        ),
        ("Dockerfile", "FROM python:3.11\n# >>> lesson 08\nCMD run\n# <<< lesson 08\n"),
        (".env.example", "DEBUG=1\n# >>> lesson 03\nREDIS_URL=x\n# <<< lesson 03\n"),
        ("requirements.txt", "fastapi\n# >>> lesson 03\nslowapi\n# <<< lesson 03\n"),
        ("pyproject.toml", "[a]\n# >>> lesson 03\nb = 1\n# <<< lesson 03\n"),
        ("scripts/start.sh", "set -e\n# >>> lesson 03\necho x\n# <<< lesson 03\n"),
    ],
)
def test_hash_comment_files(path: str, text: str) -> None:
    out = stages(text, path)
    assert ">>>" not in (out[solved(3)] or "") and "<<<" not in (out[solved(3)] or "")
    assert (out[solved(8)] or "").count("\n") == text.count("\n") - 2
    assert len(out[starter(3)] or "") < len(out[solved(8)] or "")


def test_file_lesson_marker() -> None:
    out = stages("# >>> file lesson 02\nx = 1\n")
    assert out[solved(1)] is None and out[starter(2)] is None
    assert out[solved(2)] == "x = 1\n"


def test_file_lesson_todo_marker_shows_todo_halves_in_starter() -> None:
    text = (
        "# >>> file lesson 02 todo\nx = 1\n"
        "# >>> lesson 02\ny = 2\n# --- todo\n# TODO\n# <<< lesson 02\n"
    )
    out = stages(text)
    assert out[solved(1)] is None
    assert out[starter(2)] == "x = 1\n# TODO\n"
    assert out[solved(2)] == "x = 1\ny = 2\n"


def test_file_until_homework_and_given_markers() -> None:
    until = stages("<!-- >>> file until 05 -->\nold\n", "docs/old.md")
    assert until[starter(5)] == "old\n" and until[solved(5)] is None
    homework = stages("# >>> file lesson homework\nanswer\n")
    assert all(text is None for text in homework[:SOURCE]) and homework[SOURCE] == "answer\n"
    given = stages("# >>> file given 01\nmigration\n")
    assert given[solved(0)] is None and given[starter(1)] == "migration\n"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a\n# >>> lesson 01\nb\n", 2, "never closed"),
        ("# >>> lesson 01\n# <<< lesson 02\n", 2, "does not match"),
        ("# >>> lesson 01\n# >>> until 03\n# <<< lesson 01\n", 3, "does not match"),
        ("x\n# <<< lesson 01\n", 2, "closes nothing"),
        ("# --- todo\n", 1, "outside"),
        ("# >>> until 03\n# --- todo\n# <<< until 03\n", 2, "`lesson` region"),
        ("# >>> lesson 03\n# --- todo\n# --- todo\n# <<< lesson 03\n", 3, "`lesson` region"),
        ("x\n# >>> file lesson 01\n", 2, "first line"),
        ("# >>> lesson 3\n# <<< lesson 3\n", 1, "unknown lesson"),
        ("# >>> lesson 03 extra\n", 1, "malformed"),
        ("# >>> lesson 03 todo\n", 1, "`todo` only follows"),
        ("# --- todo later\n", 1, "malformed todo"),
        ("# >>> lesson 05\n# >>> until 03\n# <<< until 03\n# <<< lesson 05\n", 2, "never appear"),
        ("# >>> file lesson 03\n# >>> until 02\n# <<< until 02\n", 2, "never appear"),
    ],
)
def test_errors_name_file_and_line(text: str, line: int, words: str) -> None:
    with pytest.raises(MarkerError) as caught:
        parse(text, "app/broken.py", ORDER)
    assert caught.value.path == "app/broken.py" and caught.value.line == line
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"app/broken.py:{line}:")


def test_live_comments_become_code_in_old_code_and_todo_halves() -> None:
    text = (
        "def f(\n"
        "    a,\n"
        "    # >>> lesson 04\n"
        "    b,\n"
        "):\n"
        "    return a + b\n"
        "    # <<< lesson 04\n"
        "    # >>> until 04\n"
        "    #| ):\n"
        "    #|     return a\n"
        "    #|\n"
        "    # <<< until 04\n"
        "# >>> lesson 02\n"
        "x = 1\n"
        "# --- todo\n"
        "#| x = None  # TODO(02)\n"
        "# <<< lesson 02\n"
        "#| stays a comment outside old code\n"
    )
    out = stages(text)
    tail = "#| stays a comment outside old code\n"
    assert out[starter(2)] == "def f(\n    a,\n):\n    return a\n\nx = None  # TODO(02)\n" + tail
    assert out[solved(4)] == "def f(\n    a,\n    b,\n):\n    return a + b\nx = 1\n" + tail


def test_live_comments_are_kept_in_markdown() -> None:
    text = "<!-- >>> until 02 -->\n#| not python\n<!-- <<< until 02 -->\n"
    assert stages(text, "notes.md")[starter(2)] == "#| not python\n"


def test_file_marker_may_follow_a_shebang() -> None:
    text = "#!/bin/sh\n# >>> file lesson 08\nexec uvicorn app.main:app\n"
    doc = parse(text, "scripts/start.sh", ORDER)
    assert doc.file_rule is not None and doc.file_rule.lesson == "08"
    assert render(doc, stage=17) == "#!/bin/sh\nexec uvicorn app.main:app\n"
    with pytest.raises(MarkerError, match="first line"):
        parse("echo hi\n# >>> file lesson 08\n", "scripts/x.sh", ORDER)
