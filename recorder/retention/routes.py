"""HTTP routes of retention (policies, legal hold, purge); included by recorder/routes.py."""
from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["recordings"])
