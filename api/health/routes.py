"""GET /api/health: public on purpose (load balancers and `make up` poll it); it reveals no data."""

from fastapi import APIRouter, Request, Response

from api.health.service import health
from centralita.settings import get_settings

router = APIRouter(tags=["health"])


@router.get("/health", responses={503: {"description": "The stack is down (the same document, status down)"}})
async def get_health(request: Request, response: Response) -> dict:
    result = await health(get_settings(), request.app.state.runtime)
    if result["status"] == "down":
        response.status_code = 503
    return result
