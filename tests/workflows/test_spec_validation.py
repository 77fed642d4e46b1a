from pathlib import Path

import pytest
import yaml

import workflows
from workflows import templates

CORPUS = yaml.safe_load((Path(__file__).parent / "broken_specs.yaml").read_text())


@pytest.mark.parametrize("case", CORPUS, ids=[c["name"] for c in CORPUS])
def test_each_broken_spec_reports_all_its_errors_at_their_paths(case):
    with pytest.raises(workflows.SpecError) as caught:
        workflows.load_spec(case["spec"])
    found = [(e.path, e.message) for e in caught.value.errors]
    unmatched = list(found)
    for path, words in case["errors"]:
        hit = next((f for f in unmatched if f[0] == path and words in f[1]), None)
        assert hit is not None, f"expected {path}: …{words}… in {found}"
        unmatched.remove(hit)
    assert not unmatched, f"unexpected errors: {unmatched}"


@pytest.mark.parametrize("name", templates.names())
def test_every_shipped_template_is_valid(name):
    spec = workflows.load_spec(templates.load(name))
    assert spec.name == name


@pytest.mark.parametrize("name", templates.names())
def test_a_template_exported_to_yaml_and_imported_again_is_identical(name):
    data = templates.load(name)
    text = workflows.dump_yaml(data)
    assert workflows.load_yaml(text) == data
    assert workflows.dump_yaml(workflows.load_yaml(text)) == text


def test_yaml_round_trip_keeps_strings_that_look_like_other_types():
    data = {"spec_version": 1, "name": "x", "description": "on", "outputs": {"a": "2026-01-01", "b": "1e3",
                                                                             "c": "yes\nno\n", "d": "null"}}
    assert workflows.load_yaml(workflows.dump_yaml(data)) == data


def test_spec_error_message_names_each_path():
    with pytest.raises(workflows.SpecError) as caught:
        workflows.load_spec({"spec_version": 2, "name": "x", "nodes": []})
    assert {e.path for e in caught.value.errors} == {"spec_version", "nodes"}
    assert "spec_version:" in str(caught.value)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_scalars = st.one_of(st.text(max_size=40), st.integers(), st.booleans(), st.none(),
                     st.floats(allow_nan=False, allow_infinity=False),
                     st.sampled_from(["on", "off", "yes", "no", "null", "~", "1e3", "0x1F", "2026-01-01",
                                      "12:30", "- item", "a: b", "#hash", "line\nbreak", "trailing \n", "\ttab"]))
_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                       max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=12), _values, max_size=6))
def test_any_spec_data_survives_export_and_import_exactly(data):
    assert workflows.load_yaml(workflows.dump_yaml({"spec_version": 1, **data})) == {"spec_version": 1, **data}


@pytest.mark.parametrize("name", templates.names())
def test_the_published_json_schema_accepts_every_template_and_the_flowchart_shows_every_node(name):
    import jsonschema

    data = templates.load(name)
    jsonschema.validate(data, workflows.spec_schema())
    chart = workflows.mermaid(workflows.load_spec(data))
    assert all(f"    {node['id']}" in chart for node in data["nodes"])
    assert chart.count(" --> ") + chart.count(" -. otherwise .-> ") >= len(data.get("edges", []))


def test_the_published_json_schema_rejects_a_misspelt_config_key():
    import jsonschema

    data = templates.load("hello")
    data["nodes"][0]["config"]["operatoin"] = "demo.search_accounts"
    errors = list(jsonschema.Draft202012Validator(workflows.spec_schema()).iter_errors(data))
    assert any("operatoin" in e.message for e in errors)


def test_text_that_is_not_a_yaml_mapping_is_a_spec_error():
    for text in ("name: [unclosed\n  nodes: {\n", "- just\n- a list\n"):
        with pytest.raises(workflows.SpecError) as caught:
            workflows.load_yaml(text)
        assert caught.value.errors and caught.value.errors[0].path == ""
