"""GitHub Actions runtime glue, standard library only: the run's context, step outputs, the job
summary and workflow commands (annotations, masks, groups).

Everything takes the environment as a mapping (default ``os.environ``) and a stream (default
stdout), so it is callable from tests and from outside Actions without patching anything.
"""

from ._commands import add_mask, annotation, end_group, escape_data, escape_property, group, start_group
from ._context import GitHubContext, read_context
from ._files import append_step_summary, format_outputs, set_outputs

__all__ = [
    "GitHubContext", "add_mask", "annotation", "append_step_summary", "end_group", "escape_data",
    "escape_property", "format_outputs", "group", "read_context", "set_outputs", "start_group",
]
