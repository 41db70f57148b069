"""Admin pages for settings that also exist as API/CLI: users and roles, agents and their skills,
queues, prompts, DIDs → flows, shared IVR calendars and holiday lists, the audit log.
Each page calls the same service as the API; supervisors read every page but the audit log (admins only); only admins change anything."""

from __future__ import annotations

from fastapi import APIRouter

from web.settings import agents, audit, calendars, dids, prompts, queues, users

router = APIRouter(include_in_schema=False)
router.include_router(users.router)
router.include_router(agents.router)
router.include_router(queues.router)
router.include_router(prompts.router)
router.include_router(dids.router)
router.include_router(calendars.router)
router.include_router(audit.router)
