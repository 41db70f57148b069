"""Outgoing messages to people outside the stack: email (SMTP) today; SMS (Kannel) next. Each sender is a
small, synchronous function over one settings object, so scheduled reports, booking reminders and
surveys share it and keep their own delivery records."""
