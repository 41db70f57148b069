"""Thin HTTP layer of recorder/: recordings, search, playback, exports, QA, and (included) retention."""
from __future__ import annotations

from fastapi import APIRouter

from recorder.retention.routes import router as retention_router

router = APIRouter(tags=["recordings"])
router.include_router(retention_router)
