"""The CloudFormation templates lint clean, deploy into moto, and do what they declare.

audit-role.yaml is deployed into a member account (as a StackSet instance would be) and the
member is then scanned through the role the stack created. scheduled-scan.yaml is deployed into
the scanner's account; its schedule's payload is then run by the real Lambda handler.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from auditor.aws.collect import CollectOptions, collect
from auditor.aws.lambda_handler import LambdaConfig, run
from tests.collect.aws_wire import iam_action
from tests.collect.conftest import REGION, SCAN_REGIONS, assume, client, seed_configured_account
from tests.deploy.conftest import ATHENA_POLICY, DEPLOY, POLICY, load_template

TEMPLATES = sorted((DEPLOY / "cloudformation").glob("*.yaml"))
SCANNER_ROLE = "arn:aws:iam::123456789012:role/trail-auditor-scanner"
EXTERNAL_ID = "acme-audit-7f3c"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_cfn_lint_passes(template: Path) -> None:
    exe = Path(sys.executable).parent / "cfn-lint"
    proc = subprocess.run(
        [str(exe), "--format", "parseable", str(template)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cfn_lint_is_not_a_rubber_stamp(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        (DEPLOY / "cloudformation" / "audit-role.yaml")
        .read_text()
        .replace("Type: AWS::IAM::Role", "Type: AWS::IAM::Rolle")
    )
    exe = Path(sys.executable).parent / "cfn-lint"
    proc = subprocess.run([str(exe), str(broken)], capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0


def _deploy(cfn: Any, template: str, parameters: dict[str, str]) -> dict[str, str]:
    """Create a stack; return its outputs."""
    cfn.create_stack(
        StackName=template.split(".")[0],
        TemplateBody=(DEPLOY / "cloudformation" / template).read_text(),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    (stack,) = cfn.describe_stacks(StackName=template.split(".")[0])["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _document(value: Any) -> Any:
    """A policy document as moto returns it from a stack's inline policy.

    moto's CloudFormation stores an inline PolicyDocument with str(dict), so GetRolePolicy returns
    Python's repr instead of JSON (AWS returns the JSON); read either, never evaluate code.
    """
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return ast.literal_eval(value)


def _member(session: boto3.Session) -> tuple[str, dict[str, Any]]:
    org = client(session, "organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(Email="m@example.com", AccountName="member")["CreateAccountStatus"]["AccountId"]
    return member, assume(session, member)


def test_audit_role_deploys_into_a_member_and_the_scan_goes_through_it(session: boto3.Session) -> None:
    member, creds = _member(session)
    outputs = _deploy(
        client(session, "cloudformation", creds=creds),
        "audit-role.yaml",
        {"TrustedPrincipal": SCANNER_ROLE, "ExternalId": EXTERNAL_ID},
    )
    assert outputs["RoleArn"] == f"arn:aws:iam::{member}:role/TrailAuditorAuditRole"

    iam = client(session, "iam", creds=creds)
    role = iam.get_role(RoleName="TrailAuditorAuditRole")["Role"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": SCANNER_ROLE}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}
    # off by default: only the read-only policy, and it is policy/iam-policy.json
    assert iam.list_role_policies(RoleName="TrailAuditorAuditRole")["PolicyNames"] == ["trail-auditor-read-only"]
    assert iam.list_policies(Scope="Local")["Policies"] == []
    document = iam.get_role_policy(RoleName="TrailAuditorAuditRole", PolicyName="trail-auditor-read-only")
    assert _document(document["PolicyDocument"]) == POLICY

    seed_configured_account(session, member, creds, prefix="member")
    assumed: list[dict[str, Any]] = []
    session.events.register("provide-client-params.sts.AssumeRole", lambda params, **_: assumed.append(dict(params)))
    called: set[tuple[str, str]] = set()
    session.events.register(
        "before-call", lambda model, **_: called.add((model.service_model.service_name, model.name))
    )
    snap = collect(
        CollectOptions(
            regions=SCAN_REGIONS, accounts=(member,), role_name=outputs["RoleName"], external_id=EXTERNAL_ID
        ),
        session=session,
    )

    assert {a["RoleArn"] for a in assumed} == {outputs["RoleArn"]}
    assert all(a["ExternalId"] == EXTERNAL_ID for a in assumed)
    (account,) = [a for a in snap.accounts if a.account_id == member]
    assert [t.name for t in account.trails] == ["member-trail"]
    assert snap.errors == ()
    # moto does not enforce IAM (and its CloudFormation stores inline policies as Python repr, which its
    # own enforcement could not parse), so hold every call of the scan against the deployed role's policy
    granted = {
        a
        for s in _document(document["PolicyDocument"])["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert {iam_action(s, o) for s, o in called} <= granted


def test_audit_role_write_statements_are_opt_in(session: boto3.Session) -> None:
    _, creds = _member(session)
    bucket, topic = "arn:aws:s3:::acme-audit-history", "arn:aws:sns:us-east-1:123456789012:new-failures"
    _deploy(
        client(session, "cloudformation", creds=creds),
        "audit-role.yaml",
        {
            "TrustedPrincipal": "123456789012",
            "ExternalId": EXTERNAL_ID,
            "RoleName": "Audit",
            "HistoryBucketArn": bucket,
            "NotifyTopicArn": topic,
        },
    )
    iam = client(session, "iam", creds=creds)
    attached = {}
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        attached[policy["PolicyName"]] = version["PolicyVersion"]["Document"]["Statement"]
    inline = {
        name: _document(iam.get_role_policy(RoleName="Audit", PolicyName=name)["PolicyDocument"])["Statement"]
        for name in iam.list_role_policies(RoleName="Audit")["PolicyNames"]
    }
    statements = [s for group in (*attached.values(), *inline.values()) for s in group]
    writes = {
        (s["Action"], s["Resource"])
        for s in statements
        if s.get("Sid") in {"TrailAuditorWriteHistory", "TrailAuditorNotify"}
    }
    assert writes == {("s3:PutObject", f"{bucket}/*"), ("sns:Publish", topic)}


def test_audit_role_athena_policy_is_opt_in_and_names_the_given_table_and_buckets(session: boto3.Session) -> None:
    member, creds = _member(session)
    names = {
        "WORKGROUP": "audit",
        "DATABASE": "trail",
        "TABLE": "cloudtrail_logs",
        "TRAIL_BUCKET": "org-trail-logs",
        "RESULTS_BUCKET": "acme-athena-results",
        "RESULTS_PREFIX": "trail-auditor",
    }
    parameters = {f"Athena{k.title().replace('_', '')}": v for k, v in names.items()}
    _deploy(
        client(session, "cloudformation", creds=creds),
        "audit-role.yaml",
        {"TrustedPrincipal": SCANNER_ROLE, "ExternalId": EXTERNAL_ID, "EnableAthena": "true", **parameters},
    )
    iam = client(session, "iam", creds=creds)
    policies = iam.list_role_policies(RoleName="TrailAuditorAuditRole")["PolicyNames"]
    assert sorted(policies) == ["trail-auditor-athena", "trail-auditor-read-only"]
    got = _document(
        iam.get_role_policy(RoleName="TrailAuditorAuditRole", PolicyName="trail-auditor-athena")["PolicyDocument"]
    )
    text = json.dumps(ATHENA_POLICY)
    for placeholder, value in {"ACCOUNT_ID": member, "REGION": REGION, **names}.items():
        text = re.sub(rf"\b{placeholder}\b", value, text)
    assert _document(got) == json.loads(text)


def test_scheduled_scan_deploys_and_its_schedule_runs_the_handler(session: boto3.Session) -> None:
    _member(session)
    s3 = client(session, "s3")
    s3.create_bucket(Bucket="acme-artefacts")
    s3.put_object(Bucket="acme-artefacts", Key="trail-auditor-lambda.zip", Body=b"PK\x05\x06" + bytes(18))
    outputs = _deploy(
        client(session, "cloudformation"),
        "scheduled-scan.yaml",
        {"ArtefactBucket": "acme-artefacts", "ArtefactKey": "trail-auditor-lambda.zip", "ExternalId": EXTERNAL_ID},
    )
    declared = load_template("scheduled-scan.yaml")["Resources"]
    bucket, topic = outputs["HistoryBucketName"], outputs["FailureTopicArn"]

    # the bucket and its encryption (moto's CloudFormation applies only encryption of its properties)
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    props = declared["HistoryBucket"]["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert {r["Id"] for r in props["LifecycleConfiguration"]["Rules"]} == {
        "reports",
        "history",
        "old-versions-and-uploads",
    }
    (tls,) = declared["HistoryBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert tls["Effect"] == "Deny" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}

    # the topic
    assert topic in [t["TopicArn"] for t in client(session, "sns").list_topics()["Topics"]]

    # the function and its role
    function = client(session, "lambda").get_function(FunctionName=outputs["ScanFunctionName"])["Configuration"]
    assert function["Handler"] == "auditor.aws_lambda.handler" and function["Role"] == outputs["ScannerRoleArn"]
    iam = client(session, "iam")
    role_name = outputs["ScannerRoleArn"].rsplit("/", 1)[1]
    (trust,) = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    read = iam.get_role_policy(RoleName=role_name, PolicyName="trail-auditor-read-only")["PolicyDocument"]
    assert _document(read) == POLICY
    write = _document(iam.get_role_policy(RoleName=role_name, PolicyName="trail-auditor-write")["PolicyDocument"])
    grants = {
        s["Action"] if isinstance(s["Action"], str) else tuple(s["Action"]): s["Resource"] for s in write["Statement"]
    }
    assert grants["sns:Publish"] == topic
    assert grants["s3:PutObject"] == f"arn:aws:s3:::{bucket}/trail-auditor/*"

    # the schedule targets the function with a payload the handler accepts
    events = client(session, "events")
    (rule,) = events.list_rules()["Rules"]
    assert rule["ScheduleExpression"] == "rate(1 day)" and rule["State"] == "ENABLED"
    (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert target["Arn"] == function["FunctionArn"]
    environ = function["Environment"]["Variables"]
    config = LambdaConfig.from_event(json.loads(target["Input"]), environ=environ)
    assert (config.output_bucket, config.notify_sns, config.external_id) == (bucket, topic, EXTERNAL_ID)
    assert "pdf" not in config.formats

    # and running that payload writes only where the role may write, and notifies
    written: list[str] = []
    boto3.setup_default_session(region_name=REGION)
    boto3.DEFAULT_SESSION.events.register(
        "provide-client-params.s3.PutObject", lambda params, **_: written.append(params["Key"])
    )
    try:
        summary = run(config)
    finally:
        boto3.DEFAULT_SESSION = None
    assert summary["notified"] and len(summary["reports"]) == 3
    assert written and all(fnmatch.fnmatchcase(f"arn:aws:s3:::{bucket}/{k}", grants["s3:PutObject"]) for k in written)
