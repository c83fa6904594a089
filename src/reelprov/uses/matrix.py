"""The use case matrix (data/use_cases.toml, or the project's own) and the five principles:
what risk a proposed use carries."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass

from reelprov.config import ProjectConfig, read_setting
from reelprov.errors import ConfigError, UseError
from reelprov.policy import AREAS
from reelprov.uses import ANSWERS, PRINCIPLES, RISKS


@dataclass(frozen=True)
class Purpose:
    name: str
    risk: str
    area: str
    label: str


@dataclass(frozen=True)
class Matrix:
    purposes: dict[str, Purpose]
    source: str

    def purpose(self, name: str) -> Purpose:
        """The purpose NAME; refused with the list when the matrix has no such purpose."""
        found = self.purposes.get(name.strip())
        if found is None:
            raise UseError(
                f"unknown purpose {name!r} ({self.source}); purposes: {', '.join(self.purposes)}"
            )
        return found


def parse_matrix(text: str, source: str) -> Matrix:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: TOML syntax error: {exc}") from None
    if set(raw) - {"purpose"} or not isinstance(raw.get("purpose"), dict) or not raw["purpose"]:
        raise ConfigError(f"{source}: a use case matrix holds [purpose.NAME] tables only")
    out: dict[str, Purpose] = {}
    for name, p in raw["purpose"].items():
        where = f"{source}: purpose {name}"
        if not isinstance(p, dict):
            raise ConfigError(f"{where}: write it as a [purpose.{name}] table")
        extra = set(p) - {"risk", "area", "label"}
        if extra:
            raise ConfigError(
                f"{where}: unknown field {sorted(extra)[0]!r}; allowed: risk, area, label"
            )
        if p.get("risk") not in RISKS:
            raise ConfigError(f"{where}: risk must be one of {', '.join(RISKS)}")
        if p.get("area") not in AREAS:
            raise ConfigError(f"{where}: area must be one of {', '.join(AREAS)}")
        out[name] = Purpose(name, p["risk"], p["area"], str(p.get("label", name)))
    return Matrix(out, source)


def load_matrix(cfg: ProjectConfig) -> Matrix:
    """The project's matrix ([uses] matrix in reelprov.toml) or the one reelprov ships."""
    if cfg.use_matrix is not None:
        return parse_matrix(
            read_setting(cfg.use_matrix, "the use case matrix"), str(cfg.use_matrix)
        )
    from importlib import resources

    text = (resources.files("reelprov.data") / "use_cases.toml").read_text(encoding="utf-8")
    return parse_matrix(text, "use case matrix (reelprov/data/use_cases.toml)")


def parse_answers(text: str) -> dict[str, str]:
    """ "yes,yes,unsure,yes,yes": one answer per principle, in order."""
    parts = [a.strip().lower() for a in text.split(",")]
    if len(parts) != len(PRINCIPLES) or any(a not in ANSWERS for a in parts):
        raise UseError(
            f"answers {text!r}: give {len(PRINCIPLES)} answers, each yes, no or unsure, "
            "separated by commas, in the order of the principles (`reelprov use propose --help`)"
        )
    return {key: a for (key, _q), a in zip(PRINCIPLES, parts, strict=True)}


def assess(purpose: Purpose, answers: dict[str, str]) -> tuple[str, list[str]]:
    """The use's risk and the principles that raised it: any "no" or "unsure" makes it escalate."""
    escalated = [key for key, _q in PRINCIPLES if answers.get(key) != "yes"]
    return ("escalate" if escalated else purpose.risk), escalated
