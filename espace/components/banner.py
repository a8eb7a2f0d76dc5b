"""Reflex's connection-lost overlay, in French."""
import reflex as rx
from reflex_components_core.core.banner import has_connection_errors


def french_overlay() -> rx.Component:
    return rx.cond(
        has_connection_errors,
        rx.el.div(
            "Connexion au serveur perdue. Nouvelle tentative en cours… "
            "Vérifiez votre connexion Internet.",
            role="alert",
            style={
                "position": "fixed", "top": 0, "left": 0, "right": 0, "z_index": 9999,
                "background": "var(--red-9)", "color": "white", "padding": "8px 12px",
                "text_align": "center", "font_size": "15px",
            },
        ),
    )
