"""The one table of Spanish column headers and number kinds for KPI rows (names from reports/KPIS.md),
shared by every export format and by the email text."""

from __future__ import annotations

# Grouping keys, in the order they appear first in a table.
GROUP_LABELS: dict[str, str] = {
    "queue": "Cola",
    "agent": "Agente",
    "flow_version": "Versión de flujo",
    "did": "DID",
    "campaign": "Campaña",
    "month": "Mes",
    "week": "Semana",
    "day": "Día",
    "weekday": "Día de la semana",
    "hour": "Hora",
    "interval": "Intervalo",
}
GROUPINGS = (*GROUP_LABELS, "none")

# KPI name → (header, kind). kind: count (integer), ratio (0..1 shown as %), seconds, score (mean of answers).
KPI_LABELS: dict[str, tuple[str, str]] = {
    "offered": ("Ofrecidas", "count"),
    "answered": ("Atendidas", "count"),
    "abandoned": ("Abandonadas", "count"),
    "short_abandoned": ("Abandonos cortos", "count"),
    "timeouts": ("Salidas por tiempo", "count"),
    "exits_key": ("Salidas por tecla", "count"),
    "overflows": ("Desbordes", "count"),
    "callbacks_requested": ("Devoluciones pedidas", "count"),
    "callbacks_made": ("Devoluciones hechas", "count"),
    "transfers": ("Transferencias", "count"),
    "sl_answered": ("Nivel de servicio (atendidas)", "ratio"),
    "sl_offered": ("Nivel de servicio (ofrecidas)", "ratio"),
    "sl_inclusive": ("Nivel de servicio (con abandonos cortos)", "ratio"),
    "asa_s": ("Vel. media de respuesta (s)", "seconds"),
    "mean_wait_s": ("Espera media (s)", "seconds"),
    "max_wait_s": ("Espera máxima (s)", "seconds"),
    "aht_s": ("Tiempo medio de gestión (s)", "seconds"),
    "talk_s": ("Conversación (s)", "seconds"),
    "hold_s": ("Retención (s)", "seconds"),
    "wrapup_s": ("Poscierre (s)", "seconds"),
    "abandon_rate": ("Tasa de abandono", "ratio"),
    "occupancy": ("Ocupación", "ratio"),
    "fcr": ("Resolución en primer contacto", "ratio"),
    "ivr_self_service": ("Autoservicio IVR", "ratio"),
    "csat": ("CSAT (media)", "score"),
    "csat_top2": ("CSAT 4–5", "ratio"),
    "csat_n": ("Encuestas CSAT", "count"),
    "nps": ("NPS", "score"),
    "nps_n": ("Encuestas NPS", "count"),
    "logged_in_s": ("Tiempo conectado (s)", "seconds"),
    "ready_s": ("Tiempo disponible (s)", "seconds"),
    "paused_s": ("Tiempo en pausa (s)", "seconds"),
}
PAUSE_PREFIX = "paused_by_reason."  # paused_by_reason {"lunch": 600} becomes a column per reason
WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
          "noviembre", "diciembre")  # fmt: skip
FREQUENCY_LABELS = {"daily": "diario", "weekly": "semanal", "monthly": "mensual"}


def header(name: str) -> str:
    if name in GROUP_LABELS:
        return GROUP_LABELS[name]
    if name.startswith(PAUSE_PREFIX):
        return f"Pausa «{name[len(PAUSE_PREFIX) :]}» (s)"
    return KPI_LABELS.get(name, (name, ""))[0]


def kind(name: str) -> str:
    """count, ratio, seconds, score, or "" (a grouping key or a name this table does not know: text)."""
    if name.startswith(PAUSE_PREFIX):
        return "seconds"
    return KPI_LABELS.get(name, ("", ""))[1]


def grouping_label(group_by: str) -> str:
    keys = [k.strip() for k in group_by.split(",") if k.strip()]
    if not keys or keys == ["none"]:
        return "Total"
    return ", ".join(GROUP_LABELS.get(k, k) for k in keys)
