"""Scheduled reports: KPI tables run daily, weekly or monthly for the previous period, kept for download
and emailed with XLSX/PDF/CSV attached; a run missed while the stack was down runs once when it is back."""
