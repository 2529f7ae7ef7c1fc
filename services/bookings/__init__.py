"""Bookings and the rules that decide them: the state machine, attendance, patients, the queue and day-list reads."""
