"""Admin pages for settings that also exist as API/CLI: users and roles, DIDs → flows, shared IVR
calendars and holiday lists, the audit log.
Each page calls the same service as the API; supervisors read users and DIDs, only admins change them."""

from __future__ import annotations

from fastapi import APIRouter

from web.settings import audit, calendars, dids, users

router = APIRouter(include_in_schema=False)
router.include_router(users.router)
router.include_router(dids.router)
router.include_router(calendars.router)
router.include_router(audit.router)
