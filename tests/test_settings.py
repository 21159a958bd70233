"""Settings: typed parsing with errors that name the variable, one default per value, and the
component configs built from the settings (never with defaults of their own)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from assistant.answer import AnswerConfig
from assistant.lecture import LectureConfig
from assistant.llm import LLMConfig, VerifyConfig
from assistant.retrieval import RetrievalConfig
from assistant.settings import (
    Settings,
    SettingsError,
    defaults,
    parse_assignments,
    section,
    settings_sources,
    unknown_env_vars,
)

COMPONENT_CONFIGS = [RetrievalConfig, AnswerConfig, LLMConfig, VerifyConfig, LectureConfig]


def test_environment_values_are_typed():
    s = Settings.from_env({"ASSISTANT_TOP_K": "7", "ASSISTANT_CORPUS": "a:b", "ASSISTANT_USE_TERMS": "off",
                           "ASSISTANT_DENSE_WEIGHT": "0.5", "ASSISTANT_LOG_LEVEL": "info"})
    assert (s.top_k, s.corpus, s.use_terms, s.dense_weight, s.log_level) == (7, (Path("a"), Path("b")), False, 0.5,
                                                                               "INFO")


@pytest.mark.parametrize("field", ["corpus", "train_corpus", "train_questions", "heldout_questions"])
def test_every_path_list_reads_paths_joined_by_the_path_separator(field):
    s = Settings.from_env({f"ASSISTANT_{field.upper()}": "x.jsonl:y/z.jsonl"})
    assert getattr(s, field) == (Path("x.jsonl"), Path("y/z.jsonl"))


@pytest.mark.parametrize("name,raw", [("TOP_K", "abc"), ("USE_TERMS", "ture"), ("DENSE_WEIGHT", "heavy"),
                                      ("LOG_LEVEL", "loud")])
def test_a_bad_value_is_an_error_naming_the_variable(name, raw):
    with pytest.raises(SettingsError, match=f"ASSISTANT_{name}"):
        Settings.from_env({f"ASSISTANT_{name}": raw})


def test_overrides_win_over_the_environment_and_none_is_unset():
    s = Settings.from_env({"ASSISTANT_TOP_K": "7"}, top_k=3, index_dir=None)
    assert s.top_k == 3 and s.index_dir == defaults().index_dir
    assert s.replace(top_k=5).top_k == 5 and s.replace(top_k=None).top_k == 3
    with pytest.raises(SettingsError):
        s.replace(top_k="many")


def test_an_explicit_environ_is_not_mixed_with_the_process_environment(monkeypatch):
    monkeypatch.setenv("ASSISTANT_TOP_K", "99")
    assert Settings.from_env({}).top_k == defaults().top_k
    assert Settings.from_env().top_k == 99


def test_sources_say_where_each_value_came_from():
    s = Settings.from_env({"ASSISTANT_TOP_K": "7", "ASSISTANT_ADMIN_PASSWORD": "secret"}, port=9000)
    rows = {name: (value, source) for name, value, source in settings_sources(
        s, environ={"ASSISTANT_TOP_K": "7", "ASSISTANT_ADMIN_PASSWORD": "secret"}, overrides={"port": 9000})}
    assert rows["top_k"] == (7, "环境变量 ASSISTANT_TOP_K")
    assert rows["port"] == (9000, "命令行 CLI")
    assert rows["rrf_k"][1] == "默认 default"
    assert rows["admin_password"][0] == "******"


def test_unknown_variables_and_assignments_are_caught():
    assert unknown_env_vars({"ASSISTANT_TOPK": "1", "ASSISTANT_TOP_K": "1", "HOME": "/"}) == ["ASSISTANT_TOPK"]
    assert parse_assignments(["dense_weight=0", "USE_TERMS=false"]) == {"dense_weight": "0", "use_terms": "false"}
    with pytest.raises(SettingsError):
        parse_assignments(["no_such_setting=1"])


@pytest.mark.parametrize("config_class", COMPONENT_CONFIGS, ids=lambda c: c.__name__)
def test_component_configs_take_every_value_from_settings(config_class):
    """Each default is written once: a component config has no defaults and only Settings names."""
    for f in dataclasses.fields(config_class):
        assert f.name in Settings.model_fields, f"{config_class.__name__}.{f.name} is not a setting"
        assert f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING, f.name
    changed = {f.name: getattr(defaults(), f.name) for f in dataclasses.fields(config_class)}
    assert section(config_class, defaults()) == config_class(**changed)
    some = dataclasses.fields(config_class)[0].name
    if isinstance(getattr(defaults(), some), (int, float)) and not isinstance(getattr(defaults(), some), bool):
        other = defaults().replace(**{some: getattr(defaults(), some) + 1})
        assert getattr(section(config_class, other), some) == getattr(defaults(), some) + 1
