"""``gatewise demo``: the whole loop on a fresh machine, with no network and no tokens.

The example gate (``quality/`` in the repository, shipped as ``gatewise/example``) runs against
the stand-in model; a passing gate is then promoted: a model version in a local MLflow (a sqlite
file in the demo's directory, no server) and a pull request in a manifests repository served by
the local GitHub API (``gatewise.localgithub``), with a canary traffic share.
"""

from ._run import example_config_path, run_demo

__all__ = ["example_config_path", "run_demo"]
