"""SIP security: bans from Asterisk's security events, refused toll-fraud attempts, TLS/SRTP options."""
