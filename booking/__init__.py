"""Appointments by phone with exact capacity: services, slots, bookings, holds and a waitlist."""
