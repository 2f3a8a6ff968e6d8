"""`atoll demo` with its options, against a fresh database."""

from __future__ import annotations

import json
from pathlib import Path

from tests.commands import atoll, people


async def test_demo_takes_its_size_seed_and_end_and_writes_the_ground_truth(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    truth = tmp_path / "truth.json"
    done = await atoll(
        cli_env,
        "demo",
        "--people",
        "60",
        "--months",
        "3",
        "--seed",
        "5",
        "--end",
        "2026-03-31",
        "--ground-truth",
        str(truth),
    )
    assert done.exit_code == 0, done.output
    assert "Created the demo organisation (60 people" in done.output
    assert "ana.silva@northwind.example" in done.output
    assert len(await people(cli_env)) == 60
    planted = json.loads(truth.read_text())
    assert [m["period"] for m in planted["months"]] == ["2026-01", "2026-02", "2026-03"]
    assert planted["seed"] == 5 and planted["whole"]["total"] == sum(
        m["total"] for m in planted["months"]
    )
    again = await atoll(cli_env, "demo", "--people", "80")
    assert again.exit_code == 0 and "not empty" in again.output
    assert len(await people(cli_env)) == 60


async def test_the_end_may_be_a_moment_with_or_without_its_offset(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    truth = tmp_path / "truth.json"
    args = ["--people", "30", "--months", "2", "--ground-truth", str(truth)]
    done = await atoll(cli_env, "demo", *args, "--end", "2026-03-15T12:00+02:00")
    assert done.exit_code == 0, done.output
    planted = json.loads(truth.read_text())
    assert planted["stop"] == planted["end"] == "2026-03-15T10:00:00Z"
    assert [m["period"] for m in planted["months"]] == ["2026-02", "2026-03"]


async def test_bad_options_are_refused_with_a_message(cli_env: dict[str, str]) -> None:
    for args, words in (
        (["--end", "31/03/2026"], "must be a date like 2026-03-31"),
        (["--end", "2026-03-31T25:00"], "or a moment like 2026-03-31T14:30"),
        (["--people", "5"], "--people"),
        (["--months", "0"], "--months"),
    ):
        done = await atoll(cli_env, "demo", *args)
        assert done.exit_code == 2, args
        said = " ".join(done.output.replace("│", " ").split())  # unwrapped
        assert words in said, said
