from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import Response

from app.api.deps import (
    RedisDep,
    SessionDep,
    TodayDep,
    VerifiedUser,
)
from app.api.responses import BODY_ERRORS, errors
from app.schemas.contact import (
    BirthdayContact,
    ContactCreate,
    ContactPage,
    ContactRead,
    ContactUpdate,
)
from app.services import contacts as contact_service

router = APIRouter(prefix="/contacts", tags=["contacts"], responses=errors(401, 403))

# Ids and offsets beyond a 32-bit INTEGER would overflow in PostgreSQL: a 422, never a 500.
MAX_DB_INT = 2**31 - 1
ContactId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]


@router.post(
    "",
    response_model=ContactRead,
    status_code=status.HTTP_201_CREATED,
    responses=errors(*BODY_ERRORS, 409),
)
async def create_contact(
    body: ContactCreate,
    user: VerifiedUser,
    session: SessionDep,
    # >>> lesson 04
    redis: RedisDep,
    today: TodayDep,
):
    return await contact_service.create_contact(session, user, body, redis, today)
    # --- todo
    # TODO(04) [чекпойнт 04.3]: передайте в create_contact ще `redis: RedisDep` і
    #   `today: TodayDep` — новий контакт інвалідовує кеш днів народження.
    # <<< lesson 04
    # >>> until 04
    #| ):
    #|     return await contact_service.create_contact(session, user, body)
    # <<< until 04


@router.get("", response_model=ContactPage)
async def list_contacts(
    user: VerifiedUser,
    session: SessionDep,
    # >>> given homework
    redis: RedisDep,
    today: TodayDep,
    # <<< given homework
    skip: Annotated[int, Query(ge=0, le=MAX_DB_INT)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    q: Annotated[str | None, Query(max_length=100, description="Search names and email")] = None,
):
    # >>> given homework
    if skip == 0 and not q:  # the first page is cached; deeper pages and searches are not
        text = await contact_service.first_page_cached(session, redis, user, today, limit)
        return Response(content=text, media_type="application/json")
    # <<< given homework
    return await contact_service.list_contacts(session, user, skip, limit, q)


# >>> lesson 04
# Declared before /{contact_id}: otherwise "birthdays" would be parsed as an id.
@router.get("/birthdays", response_model=list[BirthdayContact])
async def upcoming_birthdays(
    user: VerifiedUser,
    session: SessionDep,
    redis: RedisDep,
    today: TodayDep,
    days: Annotated[int, Query(ge=0, le=366)] = 7,
) -> Response:
    text = await contact_service.upcoming_birthdays_cached(session, redis, user, today, days)
    # The JSON text as it was cached (response_model only documents it): a hit is one Redis read.
    return Response(content=text, media_type="application/json")


# --- todo
# TODO(04) [чекпойнт 04.1]: GET /contacts/birthdays?days=7 → upcoming_birthdays_cached.
# <<< lesson 04
# {contact_id:int}: /birthdays never matches these routes, so PUT /birthdays is a 405.
@router.get("/{contact_id:int}", response_model=ContactRead, responses=errors(404))
async def read_contact(contact_id: ContactId, user: VerifiedUser, session: SessionDep):
    return await contact_service.get_contact(session, user, contact_id)


@router.put(
    "/{contact_id:int}", response_model=ContactRead, responses=errors(*BODY_ERRORS, 404, 409)
)
async def update_contact(
    contact_id: ContactId,
    body: ContactUpdate,
    user: VerifiedUser,
    session: SessionDep,
    # >>> lesson 04
    redis: RedisDep,
    today: TodayDep,
):
    return await contact_service.update_contact(session, user, contact_id, body, redis, today)
    # --- todo
    # TODO(04) [чекпойнт 04.3]: і сюди `redis: RedisDep`, `today: TodayDep` для update_contact.
    # <<< lesson 04
    # >>> until 04
    #| ):
    #|     return await contact_service.update_contact(session, user, contact_id, body)
    # <<< until 04


@router.delete("/{contact_id:int}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
async def delete_contact(
    contact_id: ContactId,
    user: VerifiedUser,
    session: SessionDep,
    # >>> lesson homework
    redis: RedisDep,
    today: TodayDep,
) -> None:
    await contact_service.delete_contact(session, user, contact_id, redis, today)
    # --- todo
    # TODO(homework) [чекпойнт HW.1]: додайте `redis: RedisDep`, `today: TodayDep` і передайте їх
    #   у contact_service.delete_contact — як у create_contact та update_contact вище.
    # <<< lesson homework
    # >>> until homework
    #| ) -> None:
    #|     await contact_service.delete_contact(session, user, contact_id)
    # <<< until homework
