"""The README stays in step with the code: every setting documented, the evaluation and reliability sections there."""

from dataclasses import fields

from conftest import ROOT

from rag.settings import Settings

README = (ROOT / "README.md").read_text()


def test_every_setting_is_in_the_settings_table():
    table = README.split("## Settings", 1)[1].split("\n## ", 1)[0]
    missing = [f.name for f in fields(Settings) if f"`{f.name}`" not in table]
    assert not missing, f"settings missing from the README's table: {missing}"


def test_sections_the_issues_rely_on_are_present():
    for heading in ("## Two commands", "## Settings", "## Evaluation", "## Reliability", "## Speed", "## Tests"):
        assert f"\n{heading}\n" in README, heading
    assert "bash scripts/test.sh" in README and "bash scripts/run.sh" in README
