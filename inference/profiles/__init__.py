"""vLLM deployment profiles (YAML files beside this module) rendered into `vllm serve` lines.

    python -m inference.profiles list
    python -m inference.profiles render k2-thinking-h200-tp8
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROFILE_DIR = Path(__file__).parent


class UnknownProfileError(KeyError):
    pass


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    hardware: str
    model: str
    served_model_name: str
    args: dict[str, Any]
    env: dict[str, str] = field(default_factory=dict)
    setup: list[str] = field(default_factory=list)

    @property
    def max_model_len(self) -> int | None:
        value = self.args.get("max-model-len")
        return int(value) if value is not None else None

    def argv(self) -> list[str]:
        """`vllm serve MODEL --served-model-name NAME --flag value ...` in file order; `true`
        renders a bare flag, `false` or null leaves it out."""
        argv = ["vllm", "serve", self.model, "--served-model-name", self.served_model_name]
        for flag, value in self.args.items():
            if value is True:
                argv.append(f"--{flag}")
            elif value is not False and value is not None:
                argv += [f"--{flag}", str(value)]
        return argv

    def command(self) -> str:
        env = [f"{k}={shlex.quote(str(v))}" for k, v in self.env.items()]
        return " ".join([*env, *map(shlex.quote, self.argv())])


def names() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def load(name: str) -> Profile:
    path = PROFILE_DIR / f"{name}.yaml"
    if not path.is_file():
        raise UnknownProfileError(f"no profile {name!r}; known: {', '.join(names())}")
    data = yaml.safe_load(path.read_text())
    return Profile(
        name=name,
        description=" ".join(str(data.get("description", "")).split()),
        hardware=str(data["hardware"]),
        model=str(data["model"]),
        served_model_name=str(data["served_model_name"]),
        args=dict(data.get("args") or {}),
        env={k: str(v) for k, v in (data.get("env") or {}).items()},
        setup=list(data.get("setup") or []),
    )


def render(name: str) -> str:
    """The text `render NAME` prints: setup steps as comments, then the exact serve line."""
    profile = load(name)
    lines = [f"# {profile.name}: {profile.hardware}"]
    lines += [f"# setup, {step}" for step in profile.setup]
    lines.append(profile.command())
    return "\n".join(lines)
