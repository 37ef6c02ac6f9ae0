"""The settings table (settings.SPECS) is the one declaration of every setting: the model's
fields and defaults, the editor keys, and what a bad value is told."""

from __future__ import annotations

from mpg_lsp.records import fields, replace
from mpg_lsp.settings import SPECS, Settings, apply_layer, json_schema, resolve


def test_every_field_of_the_model_is_declared_once_with_its_default() -> None:
    names = {f.name for f in fields(Settings)}
    assert sorted(s.attribute for s in SPECS) == sorted(names)
    defaults = {s.name: s.default for s in SPECS}
    assert resolve(None, defaults) == (Settings(), [])  # the declared defaults are the model's


def test_editor_keys_are_camel_case_and_both_spellings_are_read() -> None:
    assert list(json_schema()["properties"]) == [
        "enabled",
        "poolMode",
        "select",
        "ignore",
        "severity",
        "directEnvVars",
        "pooledEnvVars",
        "directPoolMax",
        "mpgPlan",
        "machines",
        "diagnosticsScope",
    ]
    session = replace(Settings(), pool_mode="session")
    assert apply_layer(Settings(), {"poolMode": "session"}, "editor")[0] == session
    assert apply_layer(Settings(), {"pool-mode": "session"}, ".mpg-lsp.toml")[0] == session


def test_a_bad_value_keeps_the_default_and_says_what_is_expected() -> None:
    settings, problems = resolve(
        None, {"pool-mode": "statement", "direct-pool-max": 0, "select": [1], "enabled": "yes"}
    )
    assert settings == Settings()
    assert [p.message for p in problems] == [
        '`pool-mode` must be "transaction" or "session"; using the default',
        "`direct-pool-max` must be a whole number of at least 1; using the default",
        "`select` must be a list of rule codes; using the default",
        '`enabled` must be "auto", true or false; using the default',
    ]
