"""Plain-Python business rules. Every function takes the acting user (or a token
that identifies one) and scopes its queries to that user's firm and rights."""


class AccessDenied(Exception):
    """The acting user may not see or change this object (answered as 'not found')."""
