from fastapi import APIRouter

from app.api.deps import (
    CurrentUser,
    SessionDep,
)
from app.api.responses import BODY_ERRORS, errors
from app.schemas.user import UserRead, UserUpdate
from app.services import users as user_service

router = APIRouter(prefix="/users", tags=["users"], responses=errors(401))


@router.get("/me", response_model=UserRead)
async def read_me(user: CurrentUser):
    return user


@router.put("/me", response_model=UserRead, responses=errors(*BODY_ERRORS))
async def update_me(
    body: UserUpdate,
    user: CurrentUser,
    session: SessionDep,
):
    user = await user_service.update_profile(session, user, body)
    return user


# TODO(02) [чекпойнти 02.1–02.4]: POST /users/me/avatar (multipart, поле `file`) лише для
#   верифікованих: байти файлу → upload_avatar(storage, user.id, contents) → set_avatar_url →
#   UserRead. Не довіряйте розміру: читайте не більше MAX_AVATAR_BYTES + 1.
