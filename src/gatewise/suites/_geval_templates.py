"""deepeval's own G-Eval prompt templates, read as data from the installed deepeval and rendered
with jinja2 exactly as deepeval renders them, without importing deepeval (its package import,
~1 s, pulls every provider SDK).

deepeval 4 keeps its metric prompts as Jinja text compiled into ``templates/metrics/templates.json``
(``templates/resolver.py``): a class's templates plus shared ``_fragments``, rendered by a
``jinja2.Environment(undefined=StrictUndefined)`` with ``multimodal`` and ``_fragments`` beside the
metric's variables (default options: a template's trailing newline is dropped). Reading that same
file follows a deepeval upgrade that rewords a prompt. Anything else gives ``None`` and the caller
uses deepeval's own GEval: a deepeval other than 4.x (3.x keeps its prompts in Python; a 5 may
change the code around them, which gatewise restates), a bundle without these templates, a
template that asks for a variable gatewise does not know how to fill, jinja2 missing.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# the deepeval releases whose GEval code around the templates gatewise restates (tests/test_geval_parity.py)
_KNOWN_MAJOR = 4
_STEPS, _RESULTS = "generate_evaluation_steps", "generate_evaluation_results"
# the variables deepeval's GEval gives each template (g_eval.py ``_steps_prompt`` / ``_results_prompt``)
_VARIABLES = {
    _STEPS: frozenset({"criteria", "parameters", "multimodal", "_fragments"}),
    _RESULTS: frozenset({"evaluation_steps", "test_case_content", "parameters", "rubric", "score_range",
                         "_additional_context", "multimodal", "_fragments"}),
}
_VERSION = re.compile(r"""__version__\s*(?::\s*str\s*)?=\s*["'](\d+)\.""")


@dataclass(frozen=True)
class GEvalTemplates:
    """The two single-turn G-Eval prompts (non-strict), compiled once per process."""

    steps: Any
    results: Any
    fragments: dict[str, Any]
    source: Path

    def steps_prompt(self, *, criteria: str | None, parameters: str) -> str:
        return self.steps.render(multimodal=False, _fragments=self.fragments, criteria=criteria,
                                 parameters=parameters)

    def results_prompt(self, *, evaluation_steps: str, test_case_content: str, parameters: str,
                       rubric: str | None, score_range: tuple[int, int]) -> str:
        return self.results.render(multimodal=False, _fragments=self.fragments, evaluation_steps=evaluation_steps,
                                   test_case_content=test_case_content, parameters=parameters, rubric=rubric,
                                   score_range=score_range, _additional_context=None)


@functools.lru_cache(maxsize=1)
def geval_templates() -> GEvalTemplates | None:
    """The installed deepeval's G-Eval templates, or None when gatewise cannot render them as deepeval would."""
    package = _deepeval_folder()
    return templates_of(package) if package is not None else None


def templates_of(package: Path) -> GEvalTemplates | None:
    """The G-Eval templates of the deepeval package folder ``package``, if it is a release gatewise knows."""
    if _major_version(package) != _KNOWN_MAJOR:
        return None
    return load_templates(package / "templates" / "metrics" / "templates.json")


def load_templates(bundle: Path) -> GEvalTemplates | None:
    """G-Eval's templates from a deepeval template bundle at ``bundle``, or None (see the module)."""
    try:
        import jinja2
        import jinja2.meta

        document = json.loads(bundle.read_text(encoding="utf-8"))
        entry, fragments = document.get("GEval"), document.get("_fragments", {})
        if not isinstance(entry, dict) or not isinstance(fragments, dict):
            return None
        environment = jinja2.Environment(undefined=jinja2.StrictUndefined)  # deepeval's strict environment
        compiled = {}
        for method, known in _VARIABLES.items():
            text = entry.get(method)
            if not isinstance(text, str) or not text:
                return None
            if not jinja2.meta.find_undeclared_variables(environment.parse(text)) <= known:
                return None  # a variable deepeval now fills that gatewise does not: not the same prompt
            compiled[method] = environment.from_string(text)
    except Exception:  # noqa: BLE001 - no jinja2, an unreadable bundle, a template that does not compile:
        return None    # deepeval's own GEval renders it, or reports what is wrong
    return GEvalTemplates(compiled[_STEPS], compiled[_RESULTS], fragments, bundle)


def _deepeval_folder() -> Path | None:
    """Where deepeval is installed, found without running its ``__init__``."""
    try:
        spec = importlib.util.find_spec("deepeval")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _major_version(package: Path) -> int | None:
    try:
        found = _VERSION.search((package / "_version.py").read_text(encoding="utf-8"))
    except OSError:
        return None
    return int(found.group(1)) if found is not None else None
