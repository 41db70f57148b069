"""Queues, agents and their softphone endpoints."""
