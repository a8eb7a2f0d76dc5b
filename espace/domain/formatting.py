"""Kept for the modules of other branches that still import it: the French formats
live in espace.domain.french (reading and showing, in one place)."""
from espace.domain.french import fdate, fdatetime, fduration, fmoney, fsize

__all__ = ["fdate", "fdatetime", "fduration", "fmoney", "fsize"]
