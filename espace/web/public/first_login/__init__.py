"""first_login."""
