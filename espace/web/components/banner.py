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


def french_error_boundary(stateful: bool):
    """Reflex's error boundary with a French page instead of its English one (« An
    error occurred while rendering this page. ») and no technical details."""
    from reflex_base.event import noop
    from reflex_components_core.base.error_boundary import ErrorBoundary

    fallback = rx.el.div(
        rx.el.h2("Une erreur est survenue lors de l'affichage de cette page.",
                 style={"font_size": "1.4rem", "font_weight": "bold"}),
        rx.el.p("Rechargez la page ; si l'erreur persiste, contactez votre cabinet."),
        rx.el.a("Recharger la page", href="", style={"text_decoration": "underline"}),
        role="alert",
        style={"max_width": "40rem", "margin": "15vh auto", "padding": "1rem", "font_family": "system-ui, sans-serif"},
    )
    props = {"fallback_render": fallback}
    if not stateful:
        props["on_error"] = noop()
    return ErrorBoundary.create(**props)
