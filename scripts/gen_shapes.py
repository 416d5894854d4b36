#!/usr/bin/env python3
"""Regenerate src/userpool/api/cognito/shapes.json from botocore's Cognito model (run after a botocore upgrade).

Keeps only what request validation needs: types, required members, lengths, ranges, enums, patterns and
which shapes are sensitive; and which operations AWS accepts unsigned (`authtype: none`: the app-facing
ones) — every other one must carry a SigV4 signature made with an access key. Each pattern is kept as
botocore writes it (`pattern`, shown in messages) and as a Python `re` (`regex`: Java-style \\p{..} classes
become Python classes); a pattern that still will not compile is dropped and listed on stderr (the core
checks those values itself).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sys
from pathlib import Path

import botocore

_ANY = r"\p{L}\p{M}\p{S}\p{N}\p{P}"
# "a letter, mark, symbol, number or punctuation": any character but whitespace and control characters
_VISIBLE = r"[^\s\x00-\x1f\x7f-\x9f]"


def translate(pattern: str) -> str:
    def klass(m: re.Match[str]) -> str:
        rest = m.group(1).replace(r"\p{Z}", r"\s").replace("*", r"\*")
        return f"(?:{_VISIBLE}|[{rest}])" if rest else _VISIBLE

    out = re.sub(r"\[" + re.escape(_ANY) + r"([^\]]*)\]", klass, pattern)
    return out.replace(r"\p{Z}", r"\s")


def main() -> int:
    model_path = Path(botocore.__file__).parent / "data/cognito-idp/2016-04-18/service-2.json.gz"
    with gzip.open(model_path) as fh:
        model = json.load(fh)
    shapes_in = model["shapes"]
    keep: dict[str, dict[str, object]] = {}

    def visit(name: str) -> None:
        if name in keep:
            return
        s = shapes_in[name]
        out: dict[str, object] = {"type": s["type"]}
        for key in ("min", "max", "enum", "required"):
            if key in s:
                out[key] = s[key]
        if "pattern" in s:
            py = translate(s["pattern"])
            try:
                re.compile(py)
                # botocore's text goes in the messages, as Cognito shows it; the translation does the matching
                out["pattern"] = s["pattern"]
                out["regex"] = py
            except re.error:
                print(f"dropped pattern of {name}: {s['pattern']}", file=sys.stderr)
        if s.get("sensitive"):
            out["sensitive"] = True
        keep[name] = out
        if s["type"] == "structure":
            out["members"] = {m: v["shape"] for m, v in s["members"].items()}
            for v in s["members"].values():
                visit(v["shape"])
        elif s["type"] == "list":
            out["member"] = s["member"]["shape"]
            visit(s["member"]["shape"])
        elif s["type"] == "map":
            out["key"], out["value"] = s["key"]["shape"], s["value"]["shape"]
            visit(s["key"]["shape"])
            visit(s["value"]["shape"])

    operations = {}
    unsigned = []
    for op, spec in sorted(model["operations"].items()):
        if spec.get("authtype") == "none" or spec.get("auth") == ["smithy.api#noAuth"]:
            unsigned.append(op)
        if "input" in spec:
            operations[op] = spec["input"]["shape"]
            visit(spec["input"]["shape"])
    target = Path(__file__).resolve().parents[1] / "src/userpool/api/cognito/shapes.json"
    doc = {
        "source": f"botocore {botocore.__version__} cognito-idp 2016-04-18",
        "operations": operations,
        "unsigned": unsigned,
        "shapes": dict(sorted(keep.items())),
    }
    target.write_text(json.dumps(doc, indent=0, sort_keys=False) + "\n")
    print(
        f"wrote {target.relative_to(Path.cwd()) if target.is_relative_to(Path.cwd()) else target}: "
        f"{len(operations)} operations, {len(keep)} shapes",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
