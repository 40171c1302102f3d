"""config-recorder-all-regions: AWS Config records every resource type in every scanned region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.engine.accounts import Finding, account_check
from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.model.arn import GLOBAL
from auditor.model.snapshot import AccountSnapshot, CollectionError, ConfigRecorder, RegionSnapshot

META = CheckMeta(
    id="config-recorder-all-regions",
    title="AWS Config is recording all resource types in every scanned region",
    severity=Severity.MEDIUM,
    section="account",
    resource_type="AwsConfigConfigurationRecorder",
    rationale=(
        "CloudTrail says who called an API; AWS Config says what the resource looked like "
        "before and after. Without a recorder in a region, changes there (including changes to "
        "the logging setup itself) have no configuration history, and a region nobody watches "
        "is where an attacker goes (CIS AWS 3.3, PCI DSS 10.7)."
    ),
    remediation=Remediation(
        summary="In every region, create a configuration recorder recording all supported "
        "resource types, a delivery channel, and start it; record global resource types "
        "(IAM) in one region.",
        cli=(
            "aws configservice put-configuration-recorder --region <region> "
            "--configuration-recorder name=default,roleARN=<config-role-arn> "
            "--recording-group allSupported=true,includeGlobalResourceTypes=true\n"
            "aws configservice put-delivery-channel --region <region> "
            "--delivery-channel name=default,s3BucketName=<config-bucket>\n"
            "aws configservice start-configuration-recorder --region <region> "
            "--configuration-recorder-name default"
        ),
        terraform=(
            'resource "aws_config_configuration_recorder" "default" {\n'
            '  name     = "default"\n'
            "  role_arn = aws_iam_role.config.arn\n"
            "  recording_group {\n"
            "    all_supported                 = true\n"
            "    include_global_resource_types = true\n"
            "  }\n"
            "}\n\n"
            'resource "aws_config_configuration_recorder_status" "default" {\n'
            "  name       = aws_config_configuration_recorder.default.name\n"
            "  is_enabled = true\n"
            "  depends_on = [aws_config_delivery_channel.default]\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html",
    ),
    references=("CIS AWS Foundations 3.3 (v3.0/v5.0; 3.5 in v1.x)", "Security Hub Config.1", "PCI DSS 10.7.2"),
    permissions=("config:DescribeConfigurationRecorders", "config:DescribeConfigurationRecorderStatus"),
    notes=(
        "One result per account and scanned region: PASS needs a recorder that is recording "
        "with allSupported. CIS v1.x also asked includeGlobalResourceTypes in every region; AWS "
        "now recommends recording global types in one region only, so that is judged once per "
        'account (region "global"): some recorder in a scanned region must include them.'
    ),
)


def _describe(rec: ConfigRecorder) -> str:
    gaps = []
    if not rec.recording:
        gaps.append("not recording")
    if not rec.all_supported:
        gaps.append("not recording all supported resource types")
    return f"recorder {rec.name} is " + " and ".join(gaps)


def _judge(ctx: CheckContext, account: AccountSnapshot) -> Iterator[Finding]:
    """Per account: one finding per scanned region plus one for global resource types."""
    acc = account.account_id
    for reg in ctx.regions(account):
        yield Finding(reg.region, _region_judgement(reg), f"{acc}/{reg.region}")
    yield Finding(GLOBAL, _global_judgement(ctx, account), f"{acc}/global-resource-types")


def _region_judgement(reg: RegionSnapshot) -> Judgement | CollectionError:
    recs = reg.config_recorders
    if isinstance(recs, CollectionError):
        return recs
    evidence: dict[str, Any] = {
        "recorders": [
            {
                "name": r.name,
                "recording": r.recording,
                "all_supported": r.all_supported,
                "include_global_resource_types": r.include_global_resource_types,
                "last_status": r.last_status,
            }
            for r in recs
        ]
    }
    good = [r for r in recs if r.recording and r.all_supported]
    if good:
        return Judgement(
            Status.PASS,
            f"AWS Config recorder {good[0].name} records all supported resource types in {reg.region}",
            evidence,
        )
    unknown = next((r for r in recs if r.recording is None and r.all_supported), None)
    if unknown is not None:
        return Judgement(
            Status.ERROR,
            f"AWS Config in {reg.region}: the recording status of recorder "
            f"{unknown.name} was not reported; nothing can be concluded",
            evidence,
        )
    if not recs:
        return Judgement(Status.FAIL, f"no AWS Config recorder in {reg.region}", evidence)
    return Judgement(Status.FAIL, f"AWS Config in {reg.region}: " + "; ".join(_describe(r) for r in recs), evidence)


def _global_judgement(ctx: CheckContext, account: AccountSnapshot) -> Judgement | CollectionError:
    errors: list[CollectionError] = []
    for reg in ctx.regions(account):
        recs = reg.config_recorders
        if isinstance(recs, CollectionError):
            errors.append(recs)
            continue
        for rec in recs:
            if rec.recording and rec.include_global_resource_types:
                return Judgement(
                    Status.PASS,
                    f"global resource types (IAM) are recorded by {rec.name} in {reg.region}",
                    {"region": reg.region, "recorder": rec.name},
                )
    if errors:
        return errors[0]
    return Judgement.no(
        "no recording AWS Config recorder in the scanned regions includes global "
        "resource types: IAM changes have no configuration history"
    )


CHECK = account_check(META, _judge, no_region="no region of this account was scanned")
