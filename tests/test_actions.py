"""The Actions runtime glue: context from the event payload, outputs, job summary, workflow commands."""

from __future__ import annotations

import io
import json
import re

import pytest

from gatewise.actions import (add_mask, annotation, append_step_summary, escape_property, group, read_context,
                              set_outputs)
from gatewise.errors import InputError


def _event(tmp_path, payload: dict) -> str:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return str(path)


def test_context_reads_the_pull_request_head_not_the_merge_commit(tmp_path):
    env = {"GITHUB_REPOSITORY": "acme/app", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_SHA": "m" * 40,
           "GITHUB_RUN_ID": "77", "GITHUB_SERVER_URL": "https://ghe.example.com",
           "GITHUB_API_URL": "https://ghe.example.com/api/v3",
           "GITHUB_EVENT_PATH": _event(tmp_path, {"number": 5, "pull_request": {
               "number": 5, "head": {"sha": "a" * 40, "repo": {"full_name": "acme/app", "fork": False}}}})}
    ctx = read_context(env)
    assert (ctx.pr_number, ctx.status_sha, ctx.fork, ctx.read_only_token) == (5, "a" * 40, False, False)
    assert ctx.run_url == "https://ghe.example.com/acme/app/actions/runs/77"
    assert ctx.api_url == "https://ghe.example.com/api/v3"


@pytest.mark.parametrize("event, read_only", [("pull_request", True), ("pull_request_target", False)])
def test_a_fork_has_a_read_only_token_only_on_pull_request_events(tmp_path, event, read_only):
    env = {"GITHUB_REPOSITORY": "acme/app", "GITHUB_EVENT_NAME": event,
           "GITHUB_EVENT_PATH": _event(tmp_path, {"pull_request": {
               "number": 9, "head": {"sha": "b" * 40, "repo": {"full_name": "eve/app", "fork": True}}}})}
    ctx = read_context(env)
    assert ctx.fork and ctx.head_repository == "eve/app" and ctx.read_only_token is read_only


def test_outside_actions_the_context_is_empty_and_nothing_is_written():
    ctx = read_context({})
    assert not ctx.is_pull_request and ctx.run_url is None and not ctx.in_actions
    assert set_outputs({"passed": True}, {}) is False
    assert append_step_summary("# hi", {}) is False


def test_an_unreadable_event_file_is_bad_input(tmp_path):
    with pytest.raises(InputError, match="missing file"):
        read_context({"GITHUB_EVENT_PATH": str(tmp_path / "nope.json")})


def test_outputs_are_multiline_safe_with_a_random_delimiter(tmp_path):
    env = {"GITHUB_OUTPUT": str(tmp_path / "out")}
    tricky = "line one\nEOF\nghadelimiter_x\nlast"
    set_outputs({"passed": False, "text": tricky, "empty": None}, env)
    text = (tmp_path / "out").read_text(encoding="utf-8")
    found = {m[0]: m[2] for m in re.findall(r"^([\w-]+)<<(ghadelimiter_[0-9a-f]{32})\n(.*?)\n\2\n", text, re.S | re.M)}
    assert found == {"passed": "false", "text": tricky, "empty": ""}
    delimiters = re.findall(r"<<(\S+)", text)
    assert len(set(delimiters)) == 3


def test_job_summary_is_appended(tmp_path):
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "summary")}
    append_step_summary("## one", env)
    append_step_summary("## two\n", env)
    assert (tmp_path / "summary").read_text(encoding="utf-8") == "## one\n## two\n"


def test_annotation_properties_and_message_are_escaped():
    line = annotation("50% of rows\nfailed", file="dir,x/gate:1.yaml", line=12, title="a: b, c\r")
    assert line == "::error file=dir%2Cx/gate%3A1.yaml,line=12,title=a%3A b%2C c%0D::50%25 of rows%0Afailed"
    assert escape_property("%:,\n") == "%25%3A%2C%0A"
    with pytest.raises(ValueError):
        annotation("x", level="fatal")


def test_mask_and_group_commands():
    stream = io.StringIO()
    with group("Publishing", stream):
        add_mask("s3cret\nline2", stream)
    assert stream.getvalue() == "::group::Publishing\n::add-mask::s3cret\n::add-mask::line2\n::endgroup::\n"


def test_a_branch_of_a_repository_that_is_itself_a_fork_is_not_a_fork_pr(tmp_path):
    env = {"GITHUB_REPOSITORY": "eve/app", "GITHUB_EVENT_NAME": "pull_request",
           "GITHUB_EVENT_PATH": _event(tmp_path, {"pull_request": {
               "number": 3, "head": {"sha": "c" * 40, "repo": {"full_name": "eve/app", "fork": True}}}})}
    assert not read_context(env).fork
