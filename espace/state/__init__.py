"""Thin Reflex states: each calls services and holds what one page shows."""
