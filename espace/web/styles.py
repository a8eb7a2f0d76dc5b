"""Colours, widths and spacing, in one place."""

MAX_WIDTH = "960px"
# The firm's header (nine links on one line at 1280 px).
ADMIN_MAX_WIDTH = "1280px"
PAGE_PADDING = ["12px", "16px", "24px"]
TILE_MIN = "150px"
HEADER_BG = "var(--indigo-9)"
HEADER_FG = "white"
MUTED = "var(--gray-11)"
