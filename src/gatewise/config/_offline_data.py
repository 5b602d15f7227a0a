"""Whether data and packages a descriptor reads are on this machine, found without importing them
(``import nltk`` alone takes 1-2 s, too slow for ``gatewise validate``)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path


def nltk_search_path() -> list[Path]:
    """The folders nltk looks in, in its order (``nltk.data.path`` on POSIX)."""
    folders = [os.path.expanduser(d) for d in os.environ.get("NLTK_DATA", "").split(os.pathsep) if d]
    folders.append(os.path.expanduser("~/nltk_data"))
    folders += [os.path.join(sys.prefix, "nltk_data"), os.path.join(sys.prefix, "share", "nltk_data"),
                os.path.join(sys.prefix, "lib", "nltk_data"), "/usr/share/nltk_data", "/usr/local/share/nltk_data",
                "/usr/lib/nltk_data", "/usr/local/lib/nltk_data"]
    return [Path(f) for f in folders]


def missing_nltk_data(resources: list[str] | tuple[str, ...]) -> list[str]:
    """Those of ``resources`` (``corpora/wordnet``, ``sentiment/vader_lexicon.zip``) nltk would not find;
    like ``nltk.data.find``, ``x`` is also found as ``x.zip``."""
    folders = nltk_search_path()

    def found(resource: str) -> bool:
        names = {resource, resource.removesuffix(".zip"), resource.removesuffix(".zip") + ".zip"}
        return any((folder / name).exists() for folder in folders for name in names)

    return [r for r in resources if not found(r)]


def missing_package(name: str) -> bool:
    return importlib.util.find_spec(name) is None
