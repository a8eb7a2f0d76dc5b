"""Colours, widths and spacing, in one place."""

MAX_WIDTH = "960px"
# The firm's workbench: wide tables at 1280 px and more; its header's nine links on one line.
FIRM_MAX_WIDTH = "1320px"
PAGE_PADDING = ["12px", "16px", "24px"]
TILE_MIN = "150px"
HEADER_BG = "var(--indigo-9)"
HEADER_FG = "white"
MUTED = "var(--gray-11)"

# Native <select> drawn like the Radix inputs beside it (size 3): border, radius, chevron, focus ring.
_CHEVRON = ("url(\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='12' height='12' "
            "viewBox='0 0 15 15'%3E%3Cpath d='M4 6l3.5 3.5L11 6' fill='none' stroke='%23555' "
            "stroke-width='1.5'/%3E%3C/svg%3E\")")
SELECT = {
    "appearance": "none",
    "-webkit-appearance": "none",
    "width": "100%",
    "max_width": "100%",
    "min_height": "var(--space-7)",
    "padding": "0 36px 0 12px",
    "font_size": "16px",
    "font_family": "inherit",
    "color": "var(--gray-12)",
    "background_color": "var(--color-surface)",
    "background_image": _CHEVRON,
    "background_repeat": "no-repeat",
    "background_position": "right 12px center",
    "border": "1px solid var(--gray-a7)",
    "border_radius": "var(--radius-3)",
    "cursor": "pointer",
    "&:focus-visible": {"outline": "2px solid var(--focus-8)", "outline_offset": "-1px"},
    "&:hover": {"border_color": "var(--gray-a8)"},
}
