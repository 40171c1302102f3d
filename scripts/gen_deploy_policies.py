#!/usr/bin/env python3
"""Copy policy/iam-policy.json into the deploy/ templates, so they can never drift from it.

The policy file is the one source: the README shows it, a test holds it to the
scanner's calls. CloudFormation templates carry it between the markers
``# BEGIN GENERATED from policy/iam-policy.json`` and ``# END GENERATED`` (JSON
is YAML, so the document goes in as-is, indented under the marker); Terraform
modules load a byte copy with ``file()``.

    python3 scripts/gen_deploy_policies.py           # rewrite what is stale
    python3 scripts/gen_deploy_policies.py --check   # exit 1 naming what is stale
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = "policy/iam-policy.json"

#: Templates with a generated block, and Terraform modules with a copy of the policy.
CLOUDFORMATION = ("deploy/cloudformation/audit-role.yaml", "deploy/cloudformation/scheduled-scan.yaml")
TERRAFORM_COPIES = ("deploy/terraform/audit-role/iam-policy.json", "deploy/terraform/scheduled-scan/iam-policy.json")

_BLOCK = re.compile(
    r"^(?P<indent>[ ]*)# BEGIN GENERATED from (?P<source>\S+)\n.*?^(?P=indent)# END GENERATED$", re.S | re.M
)


def policy_text() -> str:
    """The policy, normalised: two-space JSON, one trailing newline."""
    return json.dumps(json.loads((ROOT / SOURCE).read_text(encoding="utf-8")), indent=2) + "\n"


def render_template(text: str, path: str) -> str:
    """The template with every generated block replaced by the current policy."""

    def block(match: re.Match[str]) -> str:
        if match["source"] != SOURCE:
            raise SystemExit(f"{path}: generated block from unknown source {match['source']}")
        indent = match["indent"]
        body = "".join(f"{indent}{line}\n" for line in policy_text().splitlines())
        return f"{indent}# BEGIN GENERATED from {SOURCE}\n{body}{indent}# END GENERATED"

    rendered, count = _BLOCK.subn(block, text)
    if count == 0:
        raise SystemExit(f"{path}: no '# BEGIN GENERATED from {SOURCE}' block")
    return rendered


def expected() -> dict[str, str]:
    """Every generated file's path and the text it must have."""
    out = {p: render_template((ROOT / p).read_text(encoding="utf-8"), p) for p in CLOUDFORMATION}
    out.update({p: policy_text() for p in TERRAFORM_COPIES})
    return out


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or with --check, list) the files that differ from the policy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is stale")
    args = parser.parse_args(argv)
    stale = []
    for path, text in expected().items():
        target = ROOT / path
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            stale.append(path)
            if not args.check:
                target.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'} {path}", file=sys.stderr)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
