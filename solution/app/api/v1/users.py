from typing import Annotated

from fastapi import APIRouter, Depends

from app.api.deps import (
    AvatarStorageDep,
    CurrentUser,
    RedisDep,
    SessionDep,
    VerifiedUser,
)
from app.api.responses import BODY_ERRORS, ErrorMessage, ValidationErrors, errors
from app.api.uploads import read_upload
from app.schemas.user import UserRead, UserUpdate
from app.services import users as user_service
from app.services.cloudinary_service import upload_avatar

router = APIRouter(prefix="/users", tags=["users"], responses=errors(401))


@router.get("/me", response_model=UserRead)
async def read_me(user: CurrentUser):
    return user


@router.put("/me", response_model=UserRead, responses=errors(*BODY_ERRORS))
async def update_me(
    body: UserUpdate,
    user: CurrentUser,
    session: SessionDep,
    # >>> given 04
    redis: RedisDep,
    # <<< given 04
):
    user = await user_service.update_profile(session, user, body)
    # >>> given 04
    await user_service.remember_principal(redis, user)  # the cached copy is stale now
    # <<< given 04
    return user


# >>> lesson 02
@router.post(
    "/me/avatar",
    response_model=UserRead,
    # 422: not an image ({"detail": "..."}) or no `file` field (FastAPI's list of errors).
    responses=errors(*BODY_ERRORS, 403, 422, 503, c422=ErrorMessage | ValidationErrors),
)
async def upload_my_avatar(
    contents: Annotated[bytes, Depends(read_upload)],  # multipart/form-data field `file`
    user: VerifiedUser,
    session: SessionDep,
    storage: AvatarStorageDep,
    # >>> given 04
    redis: RedisDep,
    # <<< given 04
):
    url = await upload_avatar(storage, user.id, contents)
    user = await user_service.set_avatar_url(session, user, url)
    # >>> given 04
    await user_service.remember_principal(redis, user)
    # <<< given 04
    return user


# --- todo
# TODO(02) [чекпойнти 02.1–02.4]: POST /users/me/avatar (multipart, поле `file`) лише для
#   верифікованих: байти файлу → upload_avatar(storage, user.id, contents) → set_avatar_url →
#   UserRead. Не довіряйте розміру: читайте не більше MAX_AVATAR_BYTES + 1.
# <<< lesson 02
