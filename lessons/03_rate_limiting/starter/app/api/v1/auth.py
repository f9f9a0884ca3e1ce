from typing import Annotated

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Depends,
    status,
)
from fastapi.security import OAuth2PasswordRequestForm

from app.api.deps import (
    MailerDep,
    NoStore,
    SessionDep,
)
from app.api.responses import BODY_ERRORS, errors
from app.core.security import create_email_token
from app.schemas.token import RefreshRequest, TokenPair
from app.schemas.user import (
    EmailRequest,
    Message,
    UserCreate,
    UserRead,
)
from app.services import auth as auth_service
from app.services import users as user_service
from app.services.email import send_verification_email

router = APIRouter(prefix="/auth", tags=["auth"])

PasswordForm = Annotated[OAuth2PasswordRequestForm, Depends()]


@router.post(
    "/register",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses=errors(*BODY_ERRORS, 409, 429),
)
# TODO(03) [чекпойнти 03.2, 03.4]: не більше REGISTER_RATE_LIMIT ("5/minute") реєстрацій з однієї
#   IP — 6-та → 429 з Retry-After. SlowAPI потрібні параметри `request` і `response`.
async def register(
    body: UserCreate,
    session: SessionDep,
    mailer: MailerDep,
    background: BackgroundTasks,
):
    user = await user_service.create_user(session, body)
    token = create_email_token(user.email)
    # Sent after the response: registration does not wait for (or fail on) the SMTP server.
    background.add_task(send_verification_email, mailer, user.email, user.full_name, token)
    return user


@router.get("/verify/{token}", response_model=UserRead, responses=errors(400, 404))
async def verify_email(token: str, session: SessionDep):
    return await auth_service.verify_email(session, token)


@router.post(
    "/resend-verification",
    response_model=Message,
    status_code=status.HTTP_202_ACCEPTED,
    responses=errors(*BODY_ERRORS, 429),
)
# TODO(03) [чекпойнт 03.6]: і тут ліміт — RESEND_RATE_LIMIT ("3/minute") з параметрами `request` і
#   `response`: повторні листи теж не можна слати без кінця.
async def resend_verification(
    body: EmailRequest,
    session: SessionDep,
    mailer: MailerDep,
    background: BackgroundTasks,
):
    user = await user_service.get_user_by_email(session, body.email)
    if user is not None and not user.is_verified:
        token = create_email_token(user.email)
        background.add_task(send_verification_email, mailer, user.email, user.full_name, token)
    # The same answer whether or not the address is registered: no user enumeration.
    return Message(message="If the account exists and is not verified, a new link was sent")


@router.post(
    "/login",
    response_model=TokenPair,
    dependencies=[NoStore],
    responses=errors(*BODY_ERRORS, 401, 403, 429),
)
# TODO(03) [чекпойнт 03.3]: LOGIN_RATE_LIMIT ("10/minute") на /login.
async def login(
    form: PasswordForm,
    session: SessionDep,
):
    user = await user_service.authenticate(session, form.username, form.password)
    return auth_service.issue_token_pair(user)


@router.post("/refresh", response_model=TokenPair, dependencies=[NoStore])
async def refresh(body: RefreshRequest, session: SessionDep):
    return await auth_service.refresh_tokens(session, body.refresh_token)
