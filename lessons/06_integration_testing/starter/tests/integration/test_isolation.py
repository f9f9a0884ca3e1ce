"""One user's address book is invisible to every other user, also under concurrent writes."""


# TODO(06) [чекпойнт 06.2]: тести ізоляції користувачів (двоє: fixture `test_user` і
#   make_user("bob@…")):
#   - чужий контакт на GET/PUT/DELETE → 404, як неіснуючий id, ніколи 403 (чекпойнт 06.2);
#   - після чужих PUT/DELETE контакт не змінився;
#   - список, пошук і дні народження не показують чужих контактів.
