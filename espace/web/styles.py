"""Colours, widths and spacing, in one place."""

MAX_WIDTH = "960px"
ADMIN_MAX_WIDTH = "1320px"  # the firm's workbench: wide tables at 1280 px and more
PAGE_PADDING = ["12px", "16px", "24px"]
TILE_MIN = "150px"
HEADER_BG = "var(--indigo-9)"
HEADER_FG = "white"
MUTED = "var(--gray-11)"
