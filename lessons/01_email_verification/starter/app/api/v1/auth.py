from typing import Annotated

from fastapi import (
    APIRouter,
    Depends,
    status,
)
from fastapi.security import OAuth2PasswordRequestForm

from app.api.deps import (
    NoStore,
    SessionDep,
)
from app.api.responses import BODY_ERRORS, errors
from app.schemas.token import RefreshRequest, TokenPair
from app.schemas.user import (
    UserCreate,
    UserRead,
)
from app.services import auth as auth_service
from app.services import users as user_service

router = APIRouter(prefix="/auth", tags=["auth"])

PasswordForm = Annotated[OAuth2PasswordRequestForm, Depends()]


@router.post(
    "/register",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses=errors(*BODY_ERRORS, 409, 429),
)
async def register(
    body: UserCreate,
    session: SessionDep,
):
    user = await user_service.create_user(session, body)
    # TODO(01) [чекпойнти 01.1, 01.8]: після створення користувача — create_email_token(email) і
    #   лист із посиланням через send_verification_email у BackgroundTasks; токени НЕ повертаємо.
    return user


# TODO(01) [чекпойнти 01.3, 01.6]: GET /verify/{token} → auth_service.verify_email і POST
#   /resend-verification {email} → 202 завжди, лист лише неверифікованому.
@router.post(
    "/login",
    response_model=TokenPair,
    dependencies=[NoStore],
    responses=errors(*BODY_ERRORS, 401, 403, 429),
)
async def login(
    form: PasswordForm,
    session: SessionDep,
):
    user = await user_service.authenticate(session, form.username, form.password)
    return auth_service.issue_token_pair(user)


@router.post("/refresh", response_model=TokenPair, dependencies=[NoStore])
async def refresh(body: RefreshRequest, session: SessionDep):
    return await auth_service.refresh_tokens(session, body.refresh_token)
