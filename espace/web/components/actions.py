"""A link that looks like a button: ONE element (<a> with the button's look, Radix
`asChild`), so one tab stop per action and the button's own colours (a link nested
in a button kept the link colour and failed contrast; a button nested in a link
was two tab stops and nested interactive content)."""
from __future__ import annotations

import reflex as rx
from reflex_components_core.react_router.dom import ReactRouterLink


def link_button(label, href, **button_props) -> rx.Component:
    """A page of the app (client-side navigation), drawn as an rx.button."""
    return rx.button(ReactRouterLink.create(label, to=href), as_child=True, **button_props)
