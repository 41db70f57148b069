"""Outbound campaigns and the predictive dialer (issue: outbound campaigns)."""
