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
    redis: RedisDep,
):
    user = await user_service.update_profile(session, user, body)
    await user_service.remember_principal(redis, user)  # the cached copy is stale now
    return user


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
    redis: RedisDep,
):
    url = await upload_avatar(storage, user.id, contents)
    user = await user_service.set_avatar_url(session, user, url)
    await user_service.remember_principal(redis, user)
    return user
