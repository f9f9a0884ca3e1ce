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
