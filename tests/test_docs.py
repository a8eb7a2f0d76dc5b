"""The guides a newcomer reads hold together: the README stays short, every relative
link of the guides reaches a file (and a heading) of the repository, and no guide sends
the reader outside it (the demo's localhost addresses aside)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README_MAX_LINES = 150
GUIDES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"), ROOT / "bench" / "RESULTS.md"])

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
ADDRESS = re.compile(r"https?://([^\s/)`>\]\"'#?]*)", re.I)
LOCAL_HOSTS = {"localhost", "127.0.0.1"}


def _prose(text: str) -> str:
    """The text a reader sees as links: code blocks and inline code hold none."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its words lower-cased, joined by hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(text: str) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(FENCE.sub("", text)):
        slug = _slug(heading)
        found.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return found


def _resolves(path: Path, text: str, target: str, root: Path) -> bool:
    file_part, _, anchor = target.partition("#")
    if not file_part:
        return anchor in anchors(text)
    file = (path.parent / file_part).resolve()
    if not file.is_relative_to(root.resolve()) or not file.exists():
        return False
    return not anchor or file.suffix != ".md" or anchor in anchors(file.read_text(encoding="utf-8"))


def broken_links(path: Path, text: str, root: Path = ROOT) -> list[str]:
    """Each relative link of `text` (the file at `path`) whose file, or heading, is missing."""
    return [target for target in LINK.findall(_prose(text))
            # an address with a scheme is not a path: outside_addresses() judges it
            if not re.match(r"[a-z][a-z0-9+.-]*:", target, re.I) and not _resolves(path, text, target, root)]


def outside_addresses(text: str) -> list[str]:
    """Every http(s) address but localhost's; a placeholder host (`https://<portal>`) is no address."""
    outside = []
    for match in ADDRESS.finditer(text):
        host = match.group(1).split("@")[-1].split(":")[0].lower()
        if host and host[0].isalnum() and host not in LOCAL_HOSTS:
            outside.append(match.group(0))
    return outside


def test_readme_is_short():
    lines = len((ROOT / "README.md").read_text(encoding="utf-8").splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines (at most {README_MAX_LINES}): move details to docs/"


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(guide: Path):
    assert guide.exists()
    assert broken_links(guide, guide.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_address_outside_the_repository(guide: Path):
    assert outside_addresses(guide.read_text(encoding="utf-8")) == []


def test_the_checks_catch_what_they_guard(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text("# A guide\n\n## Running it: `serve`\n")
    page = tmp_path / "README.md"
    text = ("[ok](docs/guide.md) [ok](docs/guide.md#running-it-serve) [ok](#top) "
            "[missing](docs/gone.md) [bad anchor](docs/guide.md#nowhere) [outside](../shared/PRODUCT.md) "
            "`[in code](docs/gone.md)`\n\n# Top\n")
    assert broken_links(page, text, root=tmp_path) == ["docs/gone.md", "docs/guide.md#nowhere", "../shared/PRODUCT.md"]
    assert outside_addresses(
        "open http://localhost:3000 or http://127.0.0.1:3000/connexion, webhook https://<portal>/api; "
        "see [this](https://pypi.org/project/localstripe/) and `S3_ENDPOINT_URL=https://s3.fr-par.scw.cloud`"
    ) == ["https://pypi.org", "https://s3.fr-par.scw.cloud"]
