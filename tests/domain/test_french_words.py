"""French that reads right (issue 23, item 7): plurals by count, sizes, no lone punctuation."""
import pytest

from espace.domain import french

NBSP = "\u00a0"

# Every word the screens, emails and CLI count with (call sites of french.count / count_of).
WORDS = [
    ("message", None, "messages"),
    ("message non lu", "messages non lus", "messages non lus"),
    ("non lu", "non lus", "non lus"),
    ("nouveau", "nouveaux", "nouveaux"),
    ("document", None, "documents"),
    ("session", None, "sessions"),
    ("code de secours restant", "codes de secours restants", "codes de secours restants"),
    ("compteur faux", "compteurs faux", "compteurs faux"),
    ("Client", None, "Clients"),
]


@pytest.mark.parametrize(("singular", "plural_form", "expected_plural"), WORDS)
def test_plural_from_two_on(singular, plural_form, expected_plural):
    assert french.count(0, singular, plural_form) == f"0{NBSP}{singular}"
    assert french.count(1, singular, plural_form) == f"1{NBSP}{singular}"
    assert french.count(2, singular, plural_form) == f"2{NBSP}{expected_plural}"
    assert french.count(45, singular, plural_form) == f"45{NBSP}{expected_plural}"
    assert "(s)" not in french.count(2, singular, plural_form)


def test_the_words_say_two_unread_messages():
    assert french.count(2, "message non lu", "messages non lus").replace(NBSP, " ") == "2 messages non lus"
    assert french.count(1, "message non lu", "messages non lus").replace(NBSP, " ") == "1 message non lu"
    assert french.plural(1, "Client") == "Client" and french.plural(3, "Client") == "Clients"


def test_sizes_one_formatter_with_the_unit_kept_on_the_line():
    assert french.fsize(45) == f"45{NBSP}o"
    assert french.fsize(1023) == f"1023{NBSP}o"
    assert french.fsize(1536) == f"1,5{NBSP}Ko"
    assert french.fsize(5 * 1024 * 1024 // 2) == f"2,5{NBSP}Mo"


@pytest.mark.parametrize(("typed", "shown"), [
    ("Cabinet DELMAS »", f"Cabinet DELMAS{NBSP}»"),
    ("« Cabinet DELMAS »", f"«{NBSP}Cabinet DELMAS{NBSP}»"),
    ("Client : Luce", f"Client{NBSP}: Luce"),
    ("Vraiment ?", f"Vraiment{NBSP}?"),
    ("Envoyé !", f"Envoyé{NBSP}!"),
    ("un ; deux", f"un{NBSP}; deux"),
    ("Lien : https://portail.example/connexion?expire=1", f"Lien{NBSP}: https://portail.example/connexion?expire=1"),
])
def test_no_lone_punctuation(typed, shown):
    assert french.typeset(typed) == shown
