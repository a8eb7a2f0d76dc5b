"""What every command shares: the refusal it explains, its parser's French help."""
from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# Adds one subcommand (name, help=...) to the parser and returns it.
Command = Callable[..., argparse.ArgumentParser]


class CliError(Exception):
    """A refusal explained to the user (exit code 2)."""


def add_help(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-h", "--help", action="help", help="affiche cette aide et quitte")


def commands(sub: Any) -> Command:
    """The function that adds a subcommand whose description is its help line, with the French -h."""
    def command(name: str, **kw: Any) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, add_help=False, description=kw.get("help"), **kw)
        add_help(p)
        return p

    return command


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()
