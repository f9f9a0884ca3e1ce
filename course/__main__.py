"""`python -m course` is the `course` command."""

from course.cli import app

app(prog_name="course")
