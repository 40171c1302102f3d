"""The audit role's opt-in Athena permissions are exactly policy/iam-policy-athena.json, off by default.

The policy file names what it grants on with placeholders (REGION, ACCOUNT_ID,
WORKGROUP, ...); the CloudFormation template fills them from its parameters and
pseudo parameters, the Terraform module from its variables and data sources.
Put back in place of those, each copy must give the policy file, statement by
statement: the same Sids, actions and resources.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.deploy.conftest import ATHENA_POLICY, DEPLOY, load_template, load_terraform, load_variables
from tests.policydocs import actions_of

#: The policy file's placeholder each template parameter stands for ("aws": the partition of its ARNs).
CLOUDFORMATION = {
    "AWS::Partition": "aws",
    "AWS::Region": "REGION",
    "AWS::AccountId": "ACCOUNT_ID",
    "AthenaWorkgroup": "WORKGROUP",
    "AthenaDatabase": "DATABASE",
    "AthenaTable": "TABLE",
    "AthenaTrailBucket": "TRAIL_BUCKET",
    "AthenaResultsBucket": "RESULTS_BUCKET",
    "AthenaResultsPrefix": "RESULTS_PREFIX",
}
#: The same for the Terraform module's expressions.
TERRAFORM = {
    "data.aws_partition.current.partition": "aws",
    "data.aws_region.current.name": "REGION",
    "data.aws_caller_identity.current.account_id": "ACCOUNT_ID",
    "var.athena_workgroup": "WORKGROUP",
    "var.athena_database": "DATABASE",
    "var.athena_table": "TABLE",
    "var.athena_trail_bucket": "TRAIL_BUCKET",
    "var.athena_results_bucket": "RESULTS_BUCKET",
    "var.athena_results_prefix": "RESULTS_PREFIX",
}
_VARIABLE = re.compile(r"\$\{([\w:]+)\}")


def _placeholders(value: Any, names: dict[str, str]) -> Any:
    """A CloudFormation document with every ``Fn::Sub`` resolved to the policy file's placeholders."""
    if isinstance(value, dict):
        if set(value) == {"Fn::Sub"}:
            return _VARIABLE.sub(lambda m: names[m[1]], value["Fn::Sub"])
        return {k: _placeholders(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v, names) for v in value]
    return value


def test_cloudformation_athena_statements_are_the_policy_file() -> None:
    template = load_template("audit-role.yaml")
    policy = template["Resources"]["AthenaPolicy"]
    document = policy["Properties"]["PolicyDocument"]
    assert _placeholders(document, CLOUDFORMATION) == ATHENA_POLICY
    assert actions_of(document) == actions_of(ATHENA_POLICY)
    assert policy["Properties"]["Roles"] == [{"Ref": "AuditRole"}]
    # opt-in: a parameter, off by default, and a condition the policy depends on
    assert policy["Condition"] == "QueriesAthena"
    assert template["Conditions"]["QueriesAthena"] == {"Fn::Equals": [{"Ref": "EnableAthena"}, "true"]}
    assert template["Parameters"]["EnableAthena"]["Default"] == "false"
    # nothing else in the template grants Athena or Glue
    others = [
        s
        for name, resource in template["Resources"].items()
        if name != "AthenaPolicy"
        for doc in [resource["Properties"].get("PolicyDocument")]
        + [p["PolicyDocument"] for p in resource["Properties"].get("Policies", [])]
        if doc
        for s in doc["Statement"]
    ]
    assert others and not any(a.startswith(("athena:", "glue:")) for a in actions_of({"Statement": others}))


def _template_call(expression: str) -> tuple[str, dict[str, str]]:
    """The file and the variables of `${templatefile("${path.module}/F", {k = v, ...})}` as python-hcl2 renders it."""
    match = re.fullmatch(r'\$\{templatefile\("\$\{path\.module\}/([^"]+)", \{(.*)\}\)\}', expression, re.S)
    assert match, expression
    return match[1], dict(re.findall(r"(\w+) = ([\w.]+)", match[2]))


def test_terraform_athena_statements_are_the_policy_file() -> None:
    policy = load_terraform("audit-role")["aws_iam_role_policy"]["athena"]
    name, variables = _template_call(policy["policy"])
    template = (DEPLOY / "terraform" / "audit-role" / name).read_text()
    used = set(_VARIABLE.findall(template))
    assert used == set(variables), "every template variable is given, and no other"
    rendered = _VARIABLE.sub(lambda m: TERRAFORM[variables[m[1]]], template)
    assert json.loads(rendered) == ATHENA_POLICY
    assert policy["role"] == "${aws_iam_role.audit.id}"
    # opt-in: a variable, false by default, and the policy counted by it
    assert policy["count"] == "${var.enable_athena ? 1 : 0}"
    assert load_variables("audit-role")["enable_athena"]["default"] is False
    (check,) = policy["lifecycle"][0]["precondition"]
    assert check["condition"] == '${var.athena_trail_bucket != "" && var.athena_results_bucket != ""}'


def test_the_copies_take_every_placeholder_from_a_parameter_or_variable() -> None:
    """Each placeholder of the policy file has its CloudFormation parameter and Terraform variable."""
    parameters = load_template("audit-role.yaml")["Parameters"]
    variables = load_variables("audit-role")
    for name in CLOUDFORMATION:
        assert name.startswith("AWS::") or name in parameters, name
    for expression in TERRAFORM:
        assert not expression.startswith("var.") or expression.removeprefix("var.") in variables, expression
    assert set(CLOUDFORMATION.values()) == set(TERRAFORM.values())
