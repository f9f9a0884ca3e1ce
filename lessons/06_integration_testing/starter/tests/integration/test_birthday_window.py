"""The SQL pre-filter of upcoming birthdays never drops a birthday that the exact check keeps.

Every day of a common and of a leap year, on the real database: `extract` becomes strftime on
SQLite and EXTRACT on PostgreSQL (in CI), the engine difference the lesson plan warns of.
"""


# TODO(06) [чекпойнт 06.10]: SQL-префільтр днів народження на справжній базі: для кожного дня
#   невисокосного і високосного року upcoming_birthdays(session, user, today, days) має дати те
#   саме, що й перебір вікна день за днем (у CI — на PostgreSQL, де EXTRACT не такий, як strftime
#   SQLite).
