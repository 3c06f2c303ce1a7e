"""Every rule the status engine can decide by has words for the Mål page."""

from __future__ import annotations

import re
from pathlib import Path

import goals.status
from goals.status import RULE_LABELS


def test_every_rule_code_of_the_engine_has_a_swedish_label() -> None:
    source = Path(goals.status.__file__).read_text(encoding="utf-8")
    # A rule is named where a result is made: `Status.X, "code"`, `result(Status.X, "code", …)`
    # or `status, rule = derived, "code"`.
    codes = set(re.findall(r'Status\.[A-Z_]+,\s*"([a-z_]+)"', source))
    codes |= set(re.findall(r'rule = \w+, "([a-z_]+)"', source))

    assert len(codes) >= 16  # the pattern still finds the engine's rules
    assert codes <= set(RULE_LABELS), f"rules without words: {sorted(codes - set(RULE_LABELS))}"
