"""One page, one state, an on_load that does nothing (bench/pages.py's floor)."""
import reflex as rx


class BareState(rx.State):
    visits: int = 0

    @rx.event
    def load(self):
        """The page's on_load: nothing to do."""


def index() -> rx.Component:
    return rx.text("bare")


app = rx.App()
app.add_page(index, route="/", on_load=BareState.load)
