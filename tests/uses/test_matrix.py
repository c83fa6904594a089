"""The use case matrix and the five principles: what risk a proposed use carries."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reelprov.config import load
from reelprov.errors import ConfigError, UseError
from reelprov.uses import ANSWERS, PRINCIPLES
from reelprov.uses.matrix import assess, load_matrix, parse_answers, parse_matrix

# The purposes and the risk the guidance gives each (issue 22, shared/DOMAIN.md).
EXPECTED = {
    "ideation": "low",
    "mood_board": "low",
    "storyboard": "low",
    "previs": "low",
    "temp_music": "low",
    "crowd_extension": "review",
    "set_extension": "review",
    "vfx_cleanup": "review",
    "character_creation": "escalate",
    "key_creative": "escalate",
    "de_aging": "escalate",
    "face_replacement": "escalate",
    "voice_clone": "escalate",
    "talent_replication": "escalate",
    "custom_model_training": "escalate",
}


def test_shipped_matrix_holds_the_guidance_purposes(project) -> None:
    m = load_matrix(project.cfg)
    for name, risk in EXPECTED.items():
        assert m.purpose(name).risk == risk, name
    for extra in ("temp_vo", "concept_art", "upscale_denoise", "background_element", "prop"):
        assert extra in m.purposes
    assert m.purpose("talent_replication").area == "talent_performance"
    assert m.purpose("custom_model_training").area == "data_use"


def test_unknown_purpose_is_refused_with_the_list(project) -> None:
    with pytest.raises(UseError) as exc:
        load_matrix(project.cfg).purpose("deepfake_everything")
    assert "unknown purpose 'deepfake_everything'" in str(exc.value)
    assert "crowd_extension" in str(exc.value) and "ideation" in str(exc.value)


def test_any_no_or_unsure_escalates_whatever_the_matrix_says(project) -> None:
    ideation = load_matrix(project.cfg).purpose("ideation")
    assert assess(ideation, parse_answers("yes,yes,yes,yes,yes")) == ("low", [])
    risk, why = assess(ideation, parse_answers("yes,no,yes,yes,yes"))
    assert (risk, why) == ("escalate", ["no_training_on_production_data"])
    risk, why = assess(ideation, parse_answers("yes,yes,yes,yes,unsure"))
    assert (risk, why) == ("escalate", ["no_talent_replacement"])


@given(st.lists(st.sampled_from(ANSWERS), min_size=5, max_size=5))
def test_risk_is_escalate_exactly_when_an_answer_is_not_yes(answers: list[str]) -> None:
    from reelprov.uses.matrix import Purpose

    p = Purpose("previs", "low", "creative_output", "previs")
    risk, escalated = assess(p, parse_answers(",".join(answers)))
    assert (risk == "escalate") == any(a != "yes" for a in answers)
    assert len(escalated) == sum(a != "yes" for a in answers)


@pytest.mark.parametrize(
    "text",
    ["", "yes", "yes,yes,yes,yes", "yes,yes,yes,yes,yes,yes", "yes,yes,maybe,yes,yes", ",,,,"],
)
def test_malformed_answers_are_refused(text: str) -> None:
    with pytest.raises(UseError) as exc:
        parse_answers(text)
    assert f"give {len(PRINCIPLES)} answers" in str(exc.value)


def test_answers_are_case_and_space_tolerant() -> None:
    got = parse_answers(" Yes, NO ,unsure,yes,yes")
    assert list(got.values()) == ["yes", "no", "unsure", "yes", "yes"]
    assert list(got) == [k for k, _ in PRINCIPLES]


def test_a_project_replaces_the_matrix(show_root: Path) -> None:
    (show_root / "uses.toml").write_text(
        '[purpose.title_cards]\nrisk = "review"\narea = "creative_output"\nlabel = "title cards"\n'
    )
    cfg_file = show_root / "reelprov.toml"
    text = cfg_file.read_text()
    assert '# matrix = "use_cases.toml"' in text  # `reelprov init` writes the key, commented out
    cfg_file.write_text(text.replace('# matrix = "use_cases.toml"', 'matrix = "uses.toml"'))
    m = load_matrix(load(show_root))
    assert list(m.purposes) == ["title_cards"]
    assert str(show_root / "uses.toml") in m.source


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "[purpose.x]\nrisk = 'huge'\narea = 'data_use'\n",
            "risk must be one of low, review, escalate",
        ),
        ("[purpose.x]\nrisk = 'low'\narea = 'nowhere'\n", "area must be one of"),
        ("[purpose.x]\nrisk = 'low'\narea = 'data_use'\ncolour = 1\n", "unknown field 'colour'"),
        ("[other]\n", "holds [purpose.NAME] tables only"),
        ("[purpose.x\n", "TOML syntax error"),
    ],
)
def test_a_bad_matrix_names_the_file_and_the_fix(text: str, says: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_matrix(text, "my_uses.toml")
    assert str(exc.value).startswith("my_uses.toml")
    assert says in str(exc.value)
