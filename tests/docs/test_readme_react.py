"""The README's Amplify snippet is the code the React example runs (examples/react-authenticator/src/main.jsx,
built and driven in Chromium by tests/browser), so the README cannot drift from what works."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _statements(code: str) -> list[str]:
    """Each non-empty line with its trailing `//` comment and surrounding space removed."""
    lines = (re.sub(r"\s*//.*$", "", line).strip() for line in code.splitlines())
    return [line for line in lines if line]


def test_the_readme_snippet_is_the_react_examples_configuration() -> None:
    blocks = re.findall(r"```js\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    (snippet,) = [b for b in blocks if "Amplify.configure(" in b]
    example = _statements((ROOT / "examples/react-authenticator/src/main.jsx").read_text())
    wanted = _statements(snippet)
    assert all(line in example for line in wanted), [line for line in wanted if line not in example]
    # ...in the same order, and the configuration itself as consecutive lines.
    assert [line for line in example if line in wanted] == wanted
    start = example.index("const config = parseAmplifyConfig(outputs);")
    assert example[start : start + 3] == wanted[-3:]
    # The one line userpool adds to an Amplify app; everything else is Amplify's own.
    assert [line for line in wanted if "userpool" in line] == [
        "config.Auth.Cognito.userPoolEndpoint = outputs.custom.userpool.endpoint;"
    ]
