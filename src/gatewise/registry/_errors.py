"""The errors the registry raises, and the one place MLflow's exceptions are mapped onto them.

They live here rather than in ``gatewise/errors.py`` only while that file is being edited by
another change; they subclass ``InfraError`` / ``InputError`` so the CLI maps them to exit 3 / 2.
Messages never carry credentials: MLflow's own messages name the request URL with any
``user:password@`` in it, so they are scrubbed before they are shown.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Iterator

from ..errors import InfraError, InputError
from ._uri import public_uri, scrub_credentials


class RegistryError(InfraError):
    """The MLflow tracking server or registry answered with an error, or its store failed."""


class RegistryUnreachableError(RegistryError):
    """The tracking server could not be reached (refused, timed out, DNS); names the URI only."""


class BaselineMissingError(RegistryError):
    """The champion version exists but has no run holding ``results.jsonl`` to compare against."""


class RegistryInputError(InputError):
    """A bad model name, alias, version, source or result dir; raised before anything is written."""


# MLflow error codes that mean "the caller asked for something that cannot be": bad input
_INPUT_CODES = {"INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST"}


def error_code(exc: BaseException) -> str | None:
    return getattr(exc, "error_code", None)


def is_not_found(exc: BaseException) -> bool:
    return error_code(exc) == "RESOURCE_DOES_NOT_EXIST"


def _caused_by_network(exc: BaseException) -> bool:
    import requests

    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        if isinstance(link, (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError)):
            return True
        link = link.__cause__ or link.__context__
    return False


def _mlflow_message(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc)
    first = message.strip().splitlines()[0] if message.strip() else type(exc).__name__
    return scrub_credentials(first)[:500]


@contextmanager
def registry_errors(client: Any, doing: str, *, input_codes: bool = False) -> Iterator[None]:
    """Map what MLflow (or its store) raises while ``doing`` something into gatewise's errors.

    ``input_codes``: MLflow's INVALID_PARAMETER_VALUE / RESOURCE_DOES_NOT_EXIST become
    ``RegistryInputError`` (the caller's input was refused) rather than ``RegistryError``.
    """
    from mlflow.exceptions import MlflowException

    try:
        yield
    except (RegistryError, InputError):
        raise
    except Exception as exc:  # mapped below; anything else from the store is infrastructure
        uri = public_uri(getattr(client, "tracking_uri", None) or "<unset>")
        if _caused_by_network(exc):
            raise RegistryUnreachableError(
                f"MLflow tracking server {uri} is unreachable while {doing} "
                f"(check MLFLOW_TRACKING_URI and that the server is up)") from None
        if isinstance(exc, MlflowException) and input_codes and error_code(exc) in _INPUT_CODES:
            raise RegistryInputError(f"MLflow refused {doing}: {_mlflow_message(exc)}") from None
        if isinstance(exc, (MlflowException, OSError)) or _from_store(exc):
            raise RegistryError(f"MLflow at {uri} failed while {doing}: {_mlflow_message(exc)}") from None
        raise


def _from_store(exc: BaseException) -> bool:
    # the sqlite store raises SQLAlchemy's errors; matched by module so sqlalchemy is not imported
    return bool(re.match(r"(sqlalchemy|alembic|requests|urllib3)\b", type(exc).__module__ or ""))
