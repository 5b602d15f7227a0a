"""MLflow for promotion: the gate run, the model version with its lineage, aliases, baselines.

Every function takes an ``MlflowClient`` (``connect(uri)`` makes one) so the CLI stays a thin
call and tests hand in a client pointed at a real server. mlflow is imported inside functions.

A promotion, in order::

    run_id = log_gate_run(client, experiment, result_dir, lineage)
    version = register_version(client, name, source, run_id, lineage, alias="candidate")
    move_alias(client, name, "champion", version.version)        # later, or at once

Each step is safe to repeat: re-running a promotion that died half-way completes it without a
second run or a second version. Errors: ``RegistryInputError`` (an ``InputError``, exit 2) for a
bad name, alias, source or result dir; ``RegistryError`` / ``RegistryUnreachableError`` (an
``InfraError``, exit 3) for the server; messages never carry credentials.
"""

from ._alias import alias_history, move_alias, previous_version
from ._champion import champion_results
from ._names import check_alias, check_model_name, check_source
from ._errors import BaselineMissingError, RegistryError, RegistryInputError, RegistryUnreachableError
from ._lineage import Lineage
from ._lookup import ModelVersion, alias_version, get_version
from ._run import log_gate_run
from ._uri import connect, public_uri, tracking_uri_or_default
from ._version import RegisteredVersion, promotion_key, register_version

__all__ = [
    "BaselineMissingError",
    "check_alias",
    "check_model_name",
    "check_source",
    "Lineage",
    "ModelVersion",
    "RegisteredVersion",
    "RegistryError",
    "RegistryInputError",
    "RegistryUnreachableError",
    "alias_history",
    "alias_version",
    "champion_results",
    "connect",
    "get_version",
    "log_gate_run",
    "move_alias",
    "previous_version",
    "promotion_key",
    "public_uri",
    "register_version",
    "tracking_uri_or_default",
]
