"""Manifest edits: only the edited values change, byte for byte; anything unclear is refused.

Each fixture in tests/data/manifests/ is a realistic GitOps file (KServe, multi-document, Helm
values, Kustomize, flow style, CRLF); the tests assert the exact diff an edit produces.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gatewise.errors import InputError
from gatewise.manifests import (ManifestEdit, ManifestError, ManifestPathError, ManifestSyntaxError,
                                ManifestValueError, PlaceholderError, apply_edits, render_edits,
                                render_value, unified_diff)
from gatewise.manifests._path import format_segments, Index, Key
from gatewise.manifests._tree import Alias, Map, Scalar, Seq, parse_documents

DATA = Path(__file__).parent / "data" / "manifests"
FIXTURES = ["inferenceservice.yaml", "multi-document.yaml", "values.yaml", "kustomization.yaml",
            "flow-style.yaml", "crlf.yaml"]


def read(name: str) -> str:
    return (DATA / name).read_bytes().decode("utf-8")  # not read_text: that would turn CRLF into LF


def edit(name: str, *pairs: tuple[str, object]) -> tuple[str, object]:
    text = read(name)
    result = apply_edits(text, [ManifestEdit(path, value) for path, value in pairs], file=name)
    return unified_diff(name, text, result.text), result


# --- exact diffs: only the intended lines change -------------------------------------------------

def test_kserve_pins_storage_uri_and_revision_argument_keeping_quotes_and_comments():
    diff, result = edit(
        "inferenceservice.yaml",
        ("spec.predictor.model.storageUri", "hf://org/qa-model@9a8b7c6"),
        ("spec.predictor.containers[name=kserve-container].args[--model_revision]", "9a8b7c6"),
        ("spec.predictor.containers[name=kserve-container].image", "ghcr.io/org/model-server:0.14.0"),
    )
    assert diff == """\
--- a/inferenceservice.yaml
+++ b/inferenceservice.yaml
@@ -19,7 +19,7 @@
     model:
       modelFormat:
         name: huggingface
-      storageUri: "hf://org/qa-model@3f9c2e1"  # pinned revision
+      storageUri: "hf://org/qa-model@9a8b7c6"  # pinned revision
       resources: &resources
         limits:
           cpu: "4"
@@ -30,10 +30,10 @@
           memory: 12Gi
     containers:
       - name: kserve-container
-        image: ghcr.io/org/model-server:0.13.1
+        image: ghcr.io/org/model-server:0.14.0
         args:
           - --model_name=qa-assistant
-          - --model_revision=3f9c2e1   # must match storageUri
+          - --model_revision=9a8b7c6   # must match storageUri
           - --max_model_len
           - "8192"
           - --dtype=bfloat16
"""
    assert result.changed
    assert [(c.line, c.old, c.new) for c in result.changes] == [
        (22, "hf://org/qa-model@3f9c2e1", "hf://org/qa-model@9a8b7c6"),
        (36, "3f9c2e1", "9a8b7c6"),
        (33, "ghcr.io/org/model-server:0.13.1", "ghcr.io/org/model-server:0.14.0"),
    ]


def test_kserve_two_item_argument_single_quotes_and_quoted_annotation_key():
    diff, _ = edit(
        "inferenceservice.yaml",
        ("spec.predictor.containers[0].args[--max_model_len]", "16384"),
        ('metadata.annotations["serving.kserve.io/autoscalerClass"]', "kpa"),
        ('metadata.labels["app.kubernetes.io/version"]', "1.5.0"),
    )
    assert diff == """\
--- a/inferenceservice.yaml
+++ b/inferenceservice.yaml
@@ -7,10 +7,10 @@
   namespace: ml-serving
   labels:
     app.kubernetes.io/name: qa-assistant
-    app.kubernetes.io/version: "1.4.0"   # quoted: looks like a number
+    app.kubernetes.io/version: "1.5.0"   # quoted: looks like a number
   annotations:
     serving.kserve.io/deploymentMode: "RawDeployment"
-    serving.kserve.io/autoscalerClass: 'hpa'
+    serving.kserve.io/autoscalerClass: 'kpa'
 spec:
   predictor:
     minReplicas: 1
@@ -35,7 +35,7 @@
           - --model_name=qa-assistant
           - --model_revision=3f9c2e1   # must match storageUri
           - --max_model_len
-          - "8192"
+          - "16384"
           - --dtype=bfloat16
         env:
           - name: HF_HUB_OFFLINE
"""


def test_editing_an_anchor_keeps_the_anchor_and_its_aliases_follow():
    diff, result = edit("inferenceservice.yaml", ("spec.predictor.serviceAccountName", "qa-sa-v2"))
    assert diff == """\
--- a/inferenceservice.yaml
+++ b/inferenceservice.yaml
@@ -15,7 +15,7 @@
   predictor:
     minReplicas: 1
     maxReplicas: 4
-    serviceAccountName: &sa qa-assistant-sa
+    serviceAccountName: &sa qa-sa-v2
     model:
       modelFormat:
         name: huggingface
"""
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(result.text)
    assert data["spec"]["predictor"]["containers"][0]["env"][1]["value"] == "qa-sa-v2"


def test_multi_document_selector_edits_only_the_chosen_document_and_keeps_leading_separator():
    diff, result = edit("multi-document.yaml",
                        ("{kind=InferenceService,metadata.name=qa}spec.predictor.model.storageUri",
                         "hf://org/qa-model@9a8b7c6"))
    assert diff == """\
--- a/multi-document.yaml
+++ b/multi-document.yaml
@@ -25,7 +25,7 @@
     serviceAccountName: qa-assistant-sa
     model:
       modelFormat: {name: huggingface}
-      storageUri: hf://org/qa-model@3f9c2e1
+      storageUri: hf://org/qa-model@9a8b7c6
 ---
 apiVersion: serving.kserve.io/v1beta1
 kind: InferenceService
"""
    assert result.text.startswith("---\n# Namespace")
    assert [c.document for c in result.changes] == [2]


def test_multi_document_star_edits_every_document_holding_the_path():
    diff, result = edit("multi-document.yaml",
                        ("{*}spec.predictor.model.storageUri", "hf://org/qa-model@9a8b7c6"))
    assert diff.count("\n-      storageUri: hf://org/qa-model@3f9c2e1\n") == 2
    assert diff.count("\n+      storageUri: hf://org/qa-model@9a8b7c6\n") == 2
    assert [(c.document, c.line) for c in result.changes] == [(2, 28), (3, 40)]


def test_multi_document_without_selector_needs_the_path_in_exactly_one_document():
    diff, result = edit("multi-document.yaml", ("metadata.labels.istio-injection", "disabled"))
    assert diff == """\
--- a/multi-document.yaml
+++ b/multi-document.yaml
@@ -5,7 +5,7 @@
 metadata:
   name: ml-serving
   labels:
-    istio-injection: enabled
+    istio-injection: disabled
 ---
 apiVersion: v1
 kind: ServiceAccount
"""
    with pytest.raises(ManifestPathError) as caught:
        edit("multi-document.yaml", ("spec.predictor.model.storageUri", "x"))
    message = str(caught.value)
    assert message.startswith(
        "multi-document.yaml [spec.predictor.model.storageUri]: the path is in 2 documents")
    assert "InferenceService/qa)" in message and "InferenceService/qa-canary)" in message
    assert "{kind=" in message


def test_helm_values_nested_keys_flow_list_and_types_kept():
    diff, result = edit(
        "values.yaml",
        ("model.revision", "9a8b7c6"),
        ("extraArgs[--model_revision]", "9a8b7c6"),
        ("extraArgs[--max_model_len]", "16384"),
        ("model.registry.version", "8"),  # templates render strings; the int stays an int
        ("image.tag", "0.14.0"),
        ("gpus.type", "nvidia-h100"),
        ("replicaCount", 3),
    )
    assert diff == "".join(line + "\n" for line in [
        '--- a/values.yaml',
        '+++ b/values.yaml',
        '@@ -1,24 +1,24 @@',
        ' # Helm values for the qa-assistant chart.',
        '-replicaCount: 2',
        '+replicaCount: 3',
        ' ',
        ' image:',
        '   repository: ghcr.io/org/model-server',
        '-  tag: "0.13.1"        # chart appVersion is separate',
        '+  tag: "0.14.0"        # chart appVersion is separate',
        '   pullPolicy: IfNotPresent',
        ' ',
        ' model:',
        '   name: qa-assistant',
        '   source: hf://org/qa-model',
        '-  revision: 3f9c2e1    # pinned by gatewise promote',
        '+  revision: 9a8b7c6    # pinned by gatewise promote',
        '   registry:',
        '-    version: 7',
        '+    version: 8',
        '     alias: champion',
        '   quantized: false',
        '   maxTokens: 2048',
        ' ',
        ' # Flow style on purpose: one line per list keeps diffs small.',
        '-extraArgs: [--dtype=bfloat16, "--max_model_len=8192", --model_revision=3f9c2e1]',
        '-gpus: {count: 1, type: nvidia-l4}',
        '+extraArgs: [--dtype=bfloat16, "--max_model_len=16384", --model_revision=9a8b7c6]',
        '+gpus: {count: 1, type: nvidia-h100}',
        ' ',
        ' serving:',
        '   promptTemplate: |',
    ])
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(result.text)
    assert data["model"]["registry"]["version"] == 8 and data["replicaCount"] == 3


def test_kustomize_images_new_tag_and_digest():
    diff, _ = edit(
        "kustomization.yaml",
        ("images[name=ghcr.io/org/model-server].newTag", "0.14.0"),
        ("images[name=ghcr.io/org/tokenizer].digest",
         "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
    )
    assert diff == """\
--- a/kustomization.yaml
+++ b/kustomization.yaml
@@ -10,11 +10,11 @@
 images:
   # the model server, pinned by tag
   - name: ghcr.io/org/model-server
-    newTag: 0.13.1
+    newTag: 0.14.0
   # the tokenizer sidecar, pinned by digest
   - name: ghcr.io/org/tokenizer
     newName: registry.internal/org/tokenizer
-    digest: sha256:4b825dc642cb6eb9a060e54bf8d69288fbee4904a1b2c3d4e5f6a7b8c9d0e1f2
+    digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
 
 commonLabels:
   app.kubernetes.io/part-of: qa-assistant
"""


def test_flow_style_keeps_spacing_and_the_missing_final_newline():
    diff, result = edit(
        "flow-style.yaml",
        ("spec.predictor.containers[name=kserve-container].args[--model_revision]", "def"),
        ("spec.predictor.model.storageUri", "hf://org/qa-model@def"),
    )
    assert diff == """\
--- a/flow-style.yaml
+++ b/flow-style.yaml
@@ -3,5 +3,5 @@
 metadata: {name: qa, namespace: ml-serving}
 spec:
   predictor:
-    containers: [ { name: kserve-container, image: "ghcr.io/org/model-server:0.13.1", args: [--model_name=qa, --model_revision=abc] }, {name: sidecar, image: busybox} ]
-    model: { storageUri: "hf://org/qa-model@abc", runtime: kserve-huggingfaceserver }
\\ No newline at end of file
+    containers: [ { name: kserve-container, image: "ghcr.io/org/model-server:0.13.1", args: [--model_name=qa, --model_revision=def] }, {name: sidecar, image: busybox} ]
+    model: { storageUri: "hf://org/qa-model@def", runtime: kserve-huggingfaceserver }
\\ No newline at end of file
"""
    assert not result.text.endswith("\n")


def test_crlf_line_endings_are_kept():
    diff, result = edit("crlf.yaml", ("spec.predictor.model.storageUri", "hf://org/qa-model@9a8b7c6"),
                        ("spec.predictor.model.runtimeVersion", "0.14.0"))
    assert diff == (
        "--- a/crlf.yaml\n+++ b/crlf.yaml\n@@ -5,5 +5,5 @@\n"
        " spec:\r\n   predictor:\r\n     model:\r\n"
        "-      storageUri: hf://org/qa-model@3f9c2e1\r\n"
        '-      runtimeVersion: "0.13.1"\r\n'
        "+      storageUri: hf://org/qa-model@9a8b7c6\r\n"
        '+      runtimeVersion: "0.14.0"\r\n'
    )
    assert result.text.count("\r\n") == result.text.count("\n") == 9


# --- quoting: plain stays plain unless the new value needs quotes ---------------------------------

@pytest.mark.parametrize("value, written", [
    ("9a8b7c6", "9a8b7c6"),
    ("true", '"true"'),  # a plain true would be a boolean
    ("1.0", '"1.0"'),
    ("0755", '"0755"'),
    ("on", '"on"'),  # a string in YAML 1.2, a boolean to go-yaml v2 (kubectl, Helm)
    ("a: b", '"a: b"'),
    ("x #y", '"x #y"'),
    ("- item", '"- item"'),
    ("", '""'),
    ('say "hi"\n', '"say \\"hi\\"\\n"'),
    ("hf://org/m@rev", "hf://org/m@rev"),
])
def test_plain_value_is_quoted_only_when_it_must_be(value, written):
    text = "model:\n  revision: abc   # pinned\n"
    result = apply_edits(text, [ManifestEdit("model.revision", value)], file="values.yaml")
    assert result.text == f"model:\n  revision: {written}   # pinned\n"


@pytest.mark.parametrize("value, written", [
    ("a,b", '"a,b"'), ("x]", '"x]"'), ("v2", "v2"), ("{x}", '"{x}"'),
])
def test_plain_value_in_a_flow_list_is_quoted_for_flow_indicators(value, written):
    result = apply_edits("tags: [a, b]\n", [ManifestEdit("tags[1]", value)], file="f.yaml")
    assert result.text == f"tags: [a, {written}]\n"


def test_single_quoted_value_that_cannot_stay_single_quoted_becomes_double_quoted():
    result = apply_edits("a: 'x'\n", [ManifestEdit("a", "it's\tfine\nnow")], file="f.yaml")
    assert result.text == 'a: "it\'s\\tfine\\nnow"\n'
    result = apply_edits("a: 'x'\n", [ManifestEdit("a", "it's")], file="f.yaml")
    assert result.text == "a: 'it''s'\n"


def test_plain_boolean_and_number_stay_plain_when_the_new_text_is_one():
    text = "enabled: true\nratio: 0.25\nport: 8080\n"
    edits = [ManifestEdit("enabled", "false"), ManifestEdit("ratio", "0.5"), ManifestEdit("port", 9090)]
    assert apply_edits(text, edits).text == "enabled: false\nratio: 0.5\nport: 9090\n"
    result = apply_edits(text, [ManifestEdit("enabled", False)])
    assert result.text == "enabled: false\nratio: 0.25\nport: 8080\n"


# --- already pinned: equal values change nothing -----------------------------------------------

@pytest.mark.parametrize("name, path", [
    ("inferenceservice.yaml", "spec.predictor.model.storageUri"),
    ("inferenceservice.yaml", "spec.predictor.containers[name=kserve-container].args[--model_revision]"),
    ("inferenceservice.yaml", "spec.predictor.containers[0].args[--max_model_len]"),
    ("multi-document.yaml", "{*}spec.predictor.model.storageUri"),
    ("values.yaml", "model.registry.version"),
    ("values.yaml", "extraArgs[--max_model_len]"),
    ("kustomization.yaml", "images[name=ghcr.io/org/model-server].newTag"),
    ("flow-style.yaml", "spec.predictor.containers[name=kserve-container].args[--model_revision]"),
    ("crlf.yaml", "spec.predictor.model.runtimeVersion"),
])
def test_setting_the_current_value_is_a_no_op(name, path):
    text = read(name)
    current = [c.old for c in apply_edits(text, [ManifestEdit(path, "probe")], file=name).changes]
    result = apply_edits(text, [ManifestEdit(path, current[0])], file=name)
    assert not result.changed and result.text == text and result.changes == ()
    assert [c.old for c in result.unchanged] == current


def test_int_value_equal_to_a_plain_int_is_a_no_op():
    result = apply_edits(read("values.yaml"), [ManifestEdit("model.registry.version", "7")])
    assert not result.changed and result.unchanged[0].line == 14


# --- errors: name file, path and the line where the walk stopped; nothing half-applied ------------

@pytest.mark.parametrize("name, path, error, line, words", [
    ("inferenceservice.yaml", "spec.predictor.model.storageURI", ManifestPathError, 19,
     "key 'storageURI' not found under spec.predictor.model"),
    ("inferenceservice.yaml", "spec.predictor.containers[name=missing].image", ManifestPathError, 31,
     "no item of spec.predictor.containers has name=missing; name here: kserve-container, sidecar"),
    ("inferenceservice.yaml", "spec.predictor.containers[7].image", ManifestPathError, 31,
     "index 7 is out of range"),
    ("inferenceservice.yaml", "metadata.name.first", ManifestPathError, 6,
     "metadata.name is the value 'qa-assistant', not a mapping or a list"),
    ("inferenceservice.yaml", "spec.predictor.containers.image", ManifestPathError, 31,
     "spec.predictor.containers is a list"),
    ("inferenceservice.yaml", "spec.predictor.containers[0].args[--missing]", ManifestPathError, 34,
     "no argument --missing"),
    ("inferenceservice.yaml", "spec.predictor.model", ManifestValueError, 19,
     "the path ends at a mapping"),
    ("inferenceservice.yaml", "spec.predictor.containers[0].env[name=SERVICE_ACCOUNT].value",
     ManifestValueError, 44,
     "goes through the alias *sa; editing there would change the anchor &sa (line 18)"),
    ("inferenceservice.yaml", "spec.predictor.containers[0].resources.limits.cpu", ManifestValueError, 45,
     "goes through the alias *resources"),
    ("values.yaml", "serving.promptTemplate", ManifestValueError, 24, "block scalar"),
    ("values.yaml", "model[0]", ManifestPathError, 9, "model is a mapping, not a list"),
    ("multi-document.yaml", "{kind=InferenceService,metadata.name=nope}spec.predictor.model.storageUri",
     ManifestPathError, None, "no document matches {kind=InferenceService,metadata.name=nope}"),
    ("multi-document.yaml", "{kind=Namespace}spec.predictor", ManifestPathError, 1,
     "key 'spec' not found under the document root"),
    ("multi-document.yaml", "spec.predictor.runtime", ManifestPathError, 24,
     "key 'runtime' not found under spec.predictor"),
    ("kustomization.yaml", "images[newTag=0.13.1,name=ghcr.io/org/x].newTag", ManifestPathError, 10,
     "no item of images has newTag=0.13.1,name=ghcr.io/org/x"),
    ("kustomization.yaml", "images[name=ghcr.io/org/model-server.newTag", ManifestPathError, None,
     "invalid path"),
    ("crlf.yaml", "spec.predictor.model.storageUri.x", ManifestPathError, 8, "is the value"),
])
def test_errors_name_file_path_and_line(name, path, error, line, words):
    with pytest.raises(error) as caught:
        edit(name, (path, "x"))
    assert isinstance(caught.value, ManifestError) and isinstance(caught.value, InputError)
    assert caught.value.exit_code == 2
    assert caught.value.line == line and caught.value.path == path and caught.value.file == name
    where = f"{name}:{line}" if line else name
    assert str(caught.value).startswith(f"{where} [{path}]: ")
    assert words in str(caught.value)


@pytest.mark.parametrize("text, path, error, line, words", [
    ("a:\n  b: 1\n  b: 2\n", "a.b", ManifestPathError, 3, "key 'b' appears 2 times under a"),
    ("items:\n  - {name: x, v: 1}\n  - {name: x, v: 2}\n", "items[name=x].v", ManifestPathError, 3,
     "2 items of items have name=x (lines 2, 3)"),
    ("args: [--rev=1, --rev=2]\n", "args[--rev]", ManifestPathError, 1, "argument --rev appears 2 times"),
    ("args: [--verbose, --rev=1]\n", "args[--verbose]", ManifestValueError, 1, "has no value after it"),
    ("args: [--rev]\n", "args[--rev]", ManifestValueError, 1, "has no value after it"),
    ("a:\nb: 1\n", "a", ManifestValueError, 1, "has no value to replace"),
    ("a: [1, 2\nb: 3\n", "b", ManifestSyntaxError, 2, "invalid YAML"),
    ("a: *nowhere\n", "a", ManifestSyntaxError, 1, "invalid YAML"),
    ("base: &b {x: 1}\nc:\n  <<: *b\n", "c.x", ManifestPathError, 2, "<< merge"),
    ("a: 1\n", "a[--flag=x]", ManifestPathError, None, "invalid argument selector"),
    ("a: 1\n", "a..b", ManifestPathError, None, "invalid path at character 3"),
    ("a: 1\n", "a[--x].b", ManifestPathError, None, "must end the path"),
    ("a: 1\n", "", ManifestPathError, None, "the path is empty"),
    ("", "a", ManifestPathError, None, "no YAML documents"),
])
def test_inline_error_cases(text, path, error, line, words):
    with pytest.raises(error) as caught:
        apply_edits(text, [ManifestEdit(path, "x")], file="m.yaml")
    assert caught.value.line == line and caught.value.file == "m.yaml"
    assert words in str(caught.value)


def test_edits_are_all_or_nothing():
    text = read("inferenceservice.yaml")
    good = ManifestEdit("spec.predictor.model.storageUri", "hf://org/qa-model@new")
    bad = ManifestEdit("spec.predictor.model.storageURI", "hf://org/qa-model@new")
    with pytest.raises(ManifestPathError):
        apply_edits(text, [good, bad], file="inferenceservice.yaml")
    with pytest.raises(ManifestValueError, match="set the same value to different things"):
        apply_edits(text, [good, ManifestEdit("spec.predictor.containers[0].image", "a"),
                           ManifestEdit("spec.predictor.model.storageUri", "other")])
    with pytest.raises(ManifestValueError, match="must be a string, number or boolean"):
        apply_edits(text, [good, ManifestEdit("spec.predictor.minReplicas", None)])  # type: ignore[arg-type]
    assert read("inferenceservice.yaml") == text  # a pure function: the input is never touched


def test_the_same_edit_twice_is_applied_once():
    text = "a: 1\n"
    result = apply_edits(text, [ManifestEdit("a", 2), ManifestEdit("a", 2)])
    assert result.text == "a: 2\n" and len(result.changes) == 2


# --- property: every scalar in every fixture can be set, and only its line changes ---------------

def _scalar_paths(node, segments=()):
    if isinstance(node, Alias):
        return
    if isinstance(node, Scalar):
        if node.style not in ("|", ">") and node.start != node.end:
            yield segments, node
        return
    if isinstance(node, Seq):
        for index, item in enumerate(node.items):
            yield from _scalar_paths(item, (*segments, Index(index)))
        return
    assert isinstance(node, Map)
    for key, value in node.pairs:
        yield from _scalar_paths(value, (*segments, Key(key.value)))


def _every_scalar():
    for name in FIXTURES:
        documents = parse_documents(read(name))
        for document in documents:
            prefix = ""
            if len(documents) > 1:
                fields = {k.value: v for k, v in document.root.pairs}
                name_ = next(v.value for k, v in fields["metadata"].pairs if k.value == "name")
                prefix = f"{{kind={fields['kind'].value},metadata.name={name_}}}"
            for segments, node in _scalar_paths(document.root):
                yield pytest.param(name, prefix + format_segments(segments), node.line,
                                   id=f"{name}:{prefix}{format_segments(segments)}")


@pytest.mark.parametrize("name, path, line", list(_every_scalar()))
@pytest.mark.parametrize("value", ["gatewise-new", "a: b, c"])
def test_setting_any_scalar_changes_exactly_its_line(name, path, line, value):
    text = read(name)
    result = apply_edits(text, [ManifestEdit(path, value)], file=name)
    if result.unchanged:  # the fixture already holds this value (`enabled: true`)
        assert result.text == text and result.unchanged[0].line == line
        return
    before, after = text.split("\n"), result.text.split("\n")
    assert len(before) == len(after)
    assert [i + 1 for i, (a, b) in enumerate(zip(before, after)) if a != b] == [line]
    assert [c.line for c in result.changes] == [line]
    if not path.endswith(("}kind", "}metadata.name")):  # else the selector no longer matches
        assert not apply_edits(result.text, [ManifestEdit(path, value)], file=name).changed


def test_property_covers_every_fixture():
    covered = {p.values[0] for p in _every_scalar()}
    assert covered == set(FIXTURES)


# --- templates -----------------------------------------------------------------------------------

CONTEXT = {"model": {"name": "qa-assistant", "source": "hf://org/qa-model@9a8b7c6"},
           "registry": {"version": 8}, "git": {"sha": "0123abc"}}


def test_render_value_fills_placeholders():
    assert render_value("{model.source}", CONTEXT) == "hf://org/qa-model@9a8b7c6"
    rendered = render_value("{model.name}-v{registry.version} ({git.sha})", CONTEXT)
    assert rendered == "qa-assistant-v8 (0123abc)"
    assert render_value("{{literal}} {git.sha}", CONTEXT) == "{literal} 0123abc"
    assert render_value("{git.sha}", {"git.sha": "flat"}) == "flat"


def test_render_value_names_unknown_placeholders():
    with pytest.raises(PlaceholderError) as caught:
        render_value("{model.sauce}@{registry.alias}", CONTEXT)
    assert isinstance(caught.value, InputError)
    message = str(caught.value)
    assert "unknown placeholders {model.sauce}, {registry.alias}" in message
    assert "known: {git.sha}, {model.name}, {model.source}, {registry.version}" in message
    with pytest.raises(PlaceholderError, match="invalid placeholder"):
        render_value("{model source}", CONTEXT)
    with pytest.raises(PlaceholderError, match="invalid placeholder"):
        render_value("{model.source", CONTEXT)


def test_render_edits_turns_a_set_block_into_edits():
    edits = render_edits({"spec.predictor.model.storageUri": "{model.source}", "spec.replicas": 2}, CONTEXT)
    assert edits == (ManifestEdit("spec.predictor.model.storageUri", "hf://org/qa-model@9a8b7c6"),
                     ManifestEdit("spec.replicas", 2))


def test_unified_diff_of_equal_texts_is_empty():
    assert unified_diff("x.yaml", "a: 1\n", "a: 1\n") == ""


# -- adding a missing key (the canary's traffic share) -----------------------------------------------

def test_a_missing_canary_key_is_added_above_the_first_key_of_its_mapping():
    from gatewise.manifests import set_or_add

    text = "spec:\n  # the predictor\n  predictor:\n    minReplicas: 1   # keep\n    model:\n      storageUri: s3://a\n"
    result = set_or_add(text, [ManifestEdit("spec.predictor.canaryTrafficPercent", 10),
                               ManifestEdit("spec.predictor.model.storageUri", "s3://b")], file="isvc.yaml")
    assert result.text == ("spec:\n  # the predictor\n  predictor:\n    canaryTrafficPercent: 10\n"
                           "    minReplicas: 1   # keep\n    model:\n      storageUri: s3://b\n")
    assert [(c.path, c.line, c.old, c.new) for c in result.changes] == [
        ("spec.predictor.canaryTrafficPercent", 4, "", "10"), ("spec.predictor.model.storageUri", 7, "s3://a", "s3://b")]
    again = set_or_add(result.text, [ManifestEdit("spec.predictor.canaryTrafficPercent", 100)])
    assert again.text == result.text.replace("canaryTrafficPercent: 10\n", "canaryTrafficPercent: 100\n")


def test_adding_a_key_keeps_crlf_and_needs_the_mapping_to_exist():
    from gatewise.manifests import set_or_add

    text = "spec:\r\n  predictor:\r\n    minReplicas: 1\r\n"
    assert set_or_add(text, [ManifestEdit("spec.predictor.canaryTrafficPercent", 10)]).text == \
        "spec:\r\n  predictor:\r\n    canaryTrafficPercent: 10\r\n    minReplicas: 1\r\n"
    with pytest.raises(ManifestPathError, match="key 'predictr' not found under spec"):
        set_or_add(text, [ManifestEdit("spec.predictr.canaryTrafficPercent", 10)], file="isvc.yaml")


@pytest.mark.parametrize("text", ["spec: {predictor: {minReplicas: 1}}\n",
                                  "spec:\n  predictors:\n    - name: a\n"])
def test_a_key_is_not_added_to_a_flow_mapping_or_a_list_item(text):
    from gatewise.manifests import set_or_add

    path = "spec.predictor.canaryTrafficPercent" if "{" in text else "spec.predictors[name=a].canaryTrafficPercent"
    with pytest.raises(ManifestError, match="cannot add a key here") as error:
        set_or_add(text, [ManifestEdit(path, 10)], file="isvc.yaml")
    assert error.value.file == "isvc.yaml" and error.value.line is not None
