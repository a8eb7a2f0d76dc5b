import reflex as rx


def index():
    return rx.text("Bonjour")


app = rx.App(html_lang="fr")
app.add_page(index, route="/")
