from __future__ import annotations

import shlex
import subprocess
import sys

import pytest

from inference import profiles

K2_REQUIRED = ["--tool-call-parser", "kimi_k2", "--reasoning-parser", "kimi_k2", "--enable-auto-tool-choice",
               "--trust-remote-code", "--max-model-len", "262144", "--enable-prefix-caching", "--enable-prompt-tokens-details"]
# vLLM `serve` flags the profiles may use; a typo in a profile fails here rather than on a GPU box.
KNOWN_FLAGS = {"--served-model-name", "--host", "--port", "--tensor-parallel-size", "--pipeline-parallel-size",
               "--decode-context-parallel-size", "--distributed-executor-backend", "--trust-remote-code",
               "--enable-auto-tool-choice", "--tool-call-parser", "--reasoning-parser", "--max-model-len",
               "--enable-prefix-caching", "--enable-prompt-tokens-details", "--gpu-memory-utilization",
               "--max-num-batched-tokens", "--max-num-seqs"}


def render_argv(name: str) -> list[str]:
    result = subprocess.run([sys.executable, "-m", "inference.profiles", "render", name], capture_output=True, text=True, check=True)
    command = [line for line in result.stdout.splitlines() if not line.startswith("#")]
    assert len(command) == 1
    return [word for word in shlex.split(command[0]) if "=" not in word or word.startswith("--")]


def option(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_the_h200_profile_renders_vllms_k2_thinking_recipe_line() -> None:
    argv = render_argv("k2-thinking-h200-tp8")

    assert argv[:3] == ["vllm", "serve", "moonshotai/Kimi-K2-Thinking"]
    assert option(argv, "--tensor-parallel-size") == "8"
    assert "--decode-context-parallel-size" not in argv
    for word in K2_REQUIRED:
        assert word in argv


def test_the_throughput_variant_adds_decode_context_parallel_8() -> None:
    argv = render_argv("k2-thinking-h200-tp8-dcp8")

    assert option(argv, "--decode-context-parallel-size") == "8"
    assert option(argv, "--tensor-parallel-size") == "8"


def test_the_two_node_h100_profile_uses_tp8_pp2_over_ray_and_lists_the_setup() -> None:
    text = profiles.render("k2-thinking-2x-h100-tp8-pp2")
    argv = render_argv("k2-thinking-2x-h100-tp8-pp2")

    assert (option(argv, "--tensor-parallel-size"), option(argv, "--pipeline-parallel-size")) == ("8", "2")
    assert option(argv, "--distributed-executor-backend") == "ray"
    assert "ray start --head" in text and "ray start --address" in text


def test_the_staging_profile_fits_one_gpu_with_a_small_moe() -> None:
    argv = render_argv("staging-qwen3-30b-a3b-1gpu")

    assert "--tensor-parallel-size" not in argv and "--pipeline-parallel-size" not in argv
    assert "A3B" in argv[2]
    assert "--enable-auto-tool-choice" in argv and "--reasoning-parser" in argv


@pytest.mark.parametrize("name", profiles.names())
def test_every_profile_uses_only_known_vllm_flags_and_names_the_served_model(name: str) -> None:
    profile = profiles.load(name)
    flags = {word for word in profile.argv() if word.startswith("--")}

    assert flags <= KNOWN_FLAGS
    assert profile.served_model_name and profile.max_model_len


def test_false_flags_are_left_out() -> None:
    profile = profiles.Profile(name="x", description="", hardware="", model="m", served_model_name="m",
                               args={"trust-remote-code": False, "enable-prefix-caching": True, "port": 8000})

    assert profile.argv() == ["vllm", "serve", "m", "--served-model-name", "m", "--enable-prefix-caching", "--port", "8000"]


def test_an_unknown_profile_is_an_error_naming_the_known_ones() -> None:
    result = subprocess.run([sys.executable, "-m", "inference.profiles", "render", "k3-on-a-laptop"], capture_output=True, text=True)

    assert result.returncode == 2
    assert "k2-thinking-h200-tp8" in result.stderr
