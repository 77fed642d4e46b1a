import jsonschema

from connectors.registry import connector_types, operation, operations


def test_every_registered_operation_has_a_valid_schema_a_description_and_its_types_prefix():
    ops = operations()
    assert ops
    for op in ops:
        jsonschema.Draft202012Validator.check_schema(dict(op.args_schema))
        jsonschema.Draft202012Validator.check_schema(dict(op.result_schema))
        assert op.args_schema["type"] == "object"
        assert len(op.description) > 20
        assert op.connector_type in connector_types()
        assert op.kind in ("read", "write")
    assert len({op.name for op in ops}) == len(ops)


def test_an_operation_is_found_by_name_and_an_unknown_one_is_none():
    assert operation("demo.search_deals").kind == "read"
    assert operation("demo.nonexistent") is None
