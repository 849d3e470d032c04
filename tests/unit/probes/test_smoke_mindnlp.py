"""MindNLP API discovery on the host: fake mindnlp generations as module objects (the real
ones need MindSpore; tests/test_smoke.py runs those). The order is the seam a new backend
plugs into, so it is pinned here."""

import sys
import types

import pytest

from envdoctor.probes import smoke_mindnlp as mn
from envdoctor.probes.smoke_protocol import Failed


def _install(monkeypatch, **modules):
    """Put fake modules (name -> {attribute: value}) into sys.modules, parents included."""
    for name, attrs in modules.items():
        module = types.ModuleType(name)
        module.__dict__.update(attrs)
        monkeypatch.setitem(sys.modules, name, module)


class Config(object):
    def __init__(self, **kwargs):
        self.kwargs = kwargs


class Model(object):
    pass


def test_discoverers_go_newest_api_first_and_every_kind_has_a_builder():
    assert [d.__name__ for d in mn.DISCOVERERS] == [
        "discover_mindtorch", "discover_engine_trainer", "discover_core",
        "discover_cell_trainer", "discover_network_trainer", "discover_cell_transformers",
        "discover_cell_models"]
    assert set(mn.BUILDERS) == {"torch", "trainer", "core", "cell-trainer", "network-trainer",
                                "cell"}


class NetworkTrainer(object):  # 0.2's signature
    def __init__(self, network, args=None, loss_fn=None, optimizer=None, **kwargs):
        pass


class ModelTrainer(object):  # the Hugging Face-style signature of 0.3 on
    def __init__(self, model=None, args=None, map_fn=None, train_dataset=None):
        pass


def test_trainer_style_is_read_from_the_signature():
    assert mn.trainer_style(NetworkTrainer) == "network"
    assert mn.trainer_style(ModelTrainer) == "model"
    assert mn.trainer_style(object) is None


CELL_GPT = {"GPTConfig": Config, "GPTForSequenceClassification": Model}


def test_mindnlp_0_3_with_its_engine_trains_through_the_hf_style_trainer(monkeypatch):
    _install(monkeypatch, mindnlp={}, **{"mindnlp.transformers": CELL_GPT, "mindnlp.engine": {
        "Trainer": ModelTrainer, "TrainingArguments": object}})
    plan = mn.choose_mindnlp_backend(None, "0.3.1")
    assert (plan.kind, plan.model_class) == ("cell-trainer", Model)
    assert plan.api.startswith("mindnlp.engine.Trainer + TrainingArguments over "
                               "mindnlp.transformers.GPTForSequenceClassification")
    assert "train eagerly" in plan.eager
    assert mn.BUILDERS["cell-trainer"] is mn.CellTrainerBackend


def test_mindnlp_0_2_with_its_engine_trains_through_the_network_trainer(monkeypatch):
    # 0.2's engine exports Trainer and Evaluator, no TrainingArguments
    _install(monkeypatch, mindnlp={}, **{"mindnlp.transformers": CELL_GPT, "mindnlp.engine": {
        "Trainer": NetworkTrainer, "Evaluator": object}})
    plan = mn.choose_mindnlp_backend(None, "0.2.4")
    assert (plan.kind, plan.model_class) == ("network-trainer", Model)
    assert plan.api.startswith("mindnlp.engine.Trainer(network=..., optimizer=nn.Adam, "
                               "jit=False)")
    assert mn.BUILDERS["network-trainer"] is mn.NetworkTrainerBackend


def test_an_engine_trainer_of_another_shape_falls_back_to_cells(monkeypatch):
    class Odd(object):
        def __init__(self, something):
            pass

    _install(monkeypatch, mindnlp={}, **{"mindnlp.transformers": CELL_GPT,
                                         "mindnlp.engine": {"Trainer": Odd}})
    assert mn.choose_mindnlp_backend(None, "0.2.9").kind == "cell"


def test_mindnlp_0_3_without_an_engine_trainer_is_trained_as_cells(monkeypatch):
    _install(monkeypatch, mindnlp={}, **{"mindnlp.transformers": {
        "GPTConfig": Config, "GPTForSequenceClassification": Model}})
    plan = mn.choose_mindnlp_backend(None, "0.3.1")
    assert (plan.kind, plan.config_class, plan.model_class) == ("cell", Config, Model)
    assert plan.api.startswith("mindnlp.transformers.GPTForSequenceClassification")
    assert "train eagerly" in plan.eager  # the compiled stage is skipped: the lab never jits


def test_mindnlp_0_4_needs_mindnlp_core(monkeypatch):
    fake = {"OpenAIGPTConfig": Config, "OpenAIGPTForSequenceClassification": Model}
    _install(monkeypatch, mindnlp={}, **{"mindnlp.transformers": fake, "mindnlp.core": {}})
    assert mn.choose_mindnlp_backend(None, "0.4.0").kind == "core"


def test_mindnlp_0_4_with_its_engine_trains_through_the_trainer(monkeypatch):
    fake = {"OpenAIGPTConfig": Config, "OpenAIGPTForSequenceClassification": Model}
    _install(monkeypatch, mindnlp={}, **{"mindnlp.transformers": fake, "mindnlp.core": {},
                                         "mindnlp.engine": {"Trainer": object,
                                                            "TrainingArguments": object}})
    plan = mn.choose_mindnlp_backend(None, "0.4.0")
    assert plan.kind == "trainer" and plan.api.startswith("mindnlp.engine.Trainer")
    assert mn.BUILDERS["trainer"] is mn.TrainerBackend


def test_no_gpt_class_is_a_failed_stage_listing_what_was_looked_for(monkeypatch):
    _install(monkeypatch, mindnlp={}, **{"mindnlp.transformers": {}})
    with pytest.raises(Failed) as info:
        mn.choose_mindnlp_backend(None, "0.9.9")
    assert "mindnlp 0.9.9 imports, but has none of the GPT classes" in info.value.detail
    assert info.value.data["tried"] == [
        "mindnlp.engine.Trainer with mindnlp.transformers.OpenAIGPTForSequenceClassification",
        "mindnlp.transformers.OpenAIGPTForSequenceClassification (mindnlp.core)",
        "mindnlp.engine.Trainer(model, args=TrainingArguments) with "
        "mindnlp.transformers.GPTForSequenceClassification",
        "mindnlp.engine.Trainer(network, optimizer=...) with "
        "mindnlp.transformers.GPTForSequenceClassification",
        "mindnlp.transformers.GPTForSequenceClassification",
        "mindnlp.models.GPTForSequenceClassification"]


def test_a_new_discoverer_plugs_in_ahead_of_the_others(monkeypatch):
    plan = mn.MindnlpPlan("trainer", Config, Model, "mindnlp.engine.Trainer")
    monkeypatch.setattr(mn, "DISCOVERERS", [lambda tried: plan] + mn.DISCOVERERS)
    assert mn.choose_mindnlp_backend(None, "0.4.0") is plan


def test_gpt_config_uses_gpt1_names_and_no_dropout():
    state = types.SimpleNamespace(config={"max_len": 28, "d_model": 64, "n_layers": 2,
                                          "n_heads": 4}, tokenizer=(None, 512, ""))
    kwargs = mn.gpt_config(state, Config).kwargs
    assert kwargs["vocab_size"] == 512 and kwargs["n_positions"] == 28 and kwargs["n_embd"] == 64
    assert kwargs["pad_token_id"] == 0 and kwargs["num_labels"] == 2
    assert kwargs["resid_pdrop"] == kwargs["embd_pdrop"] == kwargs["attn_pdrop"] == 0.0
