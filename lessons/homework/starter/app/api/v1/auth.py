from typing import Annotated

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Depends,
    Request,
    Response,
    status,
)
from fastapi.security import OAuth2PasswordRequestForm

from app.api.deps import (
    CurrentUser,
    MailerDep,
    NoStore,
    RedisDep,
    SessionDep,
    TokenDep,
)
from app.api.responses import BODY_ERRORS, errors
from app.core.config import settings
from app.core.rate_limit import limiter
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
@limiter.limit(settings.REGISTER_RATE_LIMIT)  # 5 registrations per IP per minute
async def register(
    body: UserCreate,
    session: SessionDep,
    mailer: MailerDep,
    background: BackgroundTasks,
    request: Request,  # SlowAPI reads the client's address from it
    response: Response,  # SlowAPI writes the X-RateLimit-* headers into it
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
@limiter.limit(settings.RESEND_RATE_LIMIT)
async def resend_verification(
    body: EmailRequest,
    session: SessionDep,
    mailer: MailerDep,
    background: BackgroundTasks,
    request: Request,
    response: Response,
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
@limiter.limit(settings.LOGIN_RATE_LIMIT)  # a little more lenient than registration
async def login(
    form: PasswordForm,
    session: SessionDep,
    request: Request,
    response: Response,
):
    user = await user_service.authenticate(session, form.username, form.password)
    return auth_service.issue_token_pair(user)


@router.post(
    "/refresh",
    response_model=TokenPair,
    dependencies=[NoStore],
    responses=errors(*BODY_ERRORS, 401, 503),
)
async def refresh(body: RefreshRequest, session: SessionDep, redis: RedisDep):
    return await auth_service.refresh_tokens(session, redis, body.refresh_token)


@router.post(
    "/logout", status_code=status.HTTP_204_NO_CONTENT, responses=errors(*BODY_ERRORS, 401, 503)
)
async def logout(body: RefreshRequest, user: CurrentUser, token: TokenDep, redis: RedisDep) -> None:
    await auth_service.logout(redis, user, body.refresh_token, token)


# TODO(homework) [чекпойнти HW.3, HW.8]: POST /password-reset/request {email} (EmailRequest) →
#   202 завжди, щоб не видати, хто зареєстрований; лише відомому email — лист із токеном
#   (create_password_reset_token, BackgroundTasks + send_password_reset_email, як у /register).
#   Обмежте частоту, як /resend-verification (@limiter.limit: потрібні request і response).
# TODO(homework) [чекпойнти HW.4, HW.5]: POST /password-reset/confirm {token, new_password}
#   (PasswordResetConfirm) → 200 через auth_service.reset_password(session, redis, …).
