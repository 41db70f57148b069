"""Reports: the KPI engine (facts from the durable records, 15-minute aggregates, named KPIs in
KPIS.md), live figures for the wallboard, drill-down, abandoned callers; staffing and scheduled
reports live in the sub-packages."""
