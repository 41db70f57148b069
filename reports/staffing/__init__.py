"""Staffing: a forecast of offered calls per 15 minutes from the queue history, the agents needed per
interval by Erlang C and Erlang A (with shrinkage), saved week plans, forecast accuracy (WAPE) and
adherence (logged-in and ready agents against the plan)."""
