"""espace: a secure client portal for law firms."""
