"""loggroup-resource-policy: no resource policy shares the trail's log group with other accounts."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.trailconfig import TrailLogGroup, foreign_grants, log_group_check
from auditor.engine.trails import collected
from auditor.model.snapshot import CollectionError

META = CheckMeta(
    id="loggroup-resource-policy",
    title="No resource policy lets other accounts read or write the trail's log group",
    severity=Severity.MEDIUM,
    section="monitoring",
    resource_type="AwsLogsLogGroup",
    rationale=(
        "A CloudWatch Logs resource policy can let principals of another account (or anyone) "
        "write to or read the log group the CIS alarms watch: forged events can then trip or "
        "drown the alarms, and read access discloses every recorded call."
    ),
    remediation=Remediation(
        summary=(
            "Remove or narrow the statements that grant other accounts logs:* actions on the "
            "trail's log group; give services an aws:SourceAccount or aws:SourceArn condition."
        ),
        cli=("aws logs describe-resource-policies\naws logs delete-resource-policy --policy-name <name>"),
        terraform=(
            'resource "aws_cloudwatch_log_resource_policy" "services" {\n'
            '  policy_name     = "delivery"\n'
            "  policy_document = data.aws_iam_policy_document.logs_delivery.json\n"
            "  # statements for services only, each with an aws:SourceAccount condition\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl.html",
    ),
    references=("CloudWatch Logs user guide: resource-based policies",),
    permissions=("cloudtrail:DescribeTrails", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies"),
    notes=(
        "Reads the region's account-scoped resource policies and the log group's own "
        "resource-scoped ones. A statement FAILs the group when it allows a write or read action "
        "(PutLogEvents, CreateLogStream, DeleteLogGroup, GetLogEvents, StartQuery...) on it to an "
        "AWS principal of an account other than the owner and the trusted accounts, to Principal "
        "'*' or NotPrincipal without an aws:SourceAccount/SourceArn condition naming only those "
        "accounts, or to a service principal without such a condition (the confused-deputy case). "
        "aws:PrincipalOrgID alone still shares with other accounts of the organisation and FAILs."
    ),
)


def _judge(ctx: CheckContext, tlg: TrailLogGroup) -> Judgement | CollectionError:
    policies = collected(tlg.resource_policies, "the region's log resource policies were")
    if isinstance(policies, Judgement | CollectionError):
        return policies
    unreadable = [p for p in policies if isinstance(p.document, CollectionError)]
    if unreadable:
        errs = [p.document for p in unreadable if isinstance(p.document, CollectionError)]
        return Judgement(
            Status.ERROR,
            "resource policy " + ", ".join(p.name for p in unreadable) + " could not be read: " + errs[0].reason(),
            {"collection_errors": [e.evidence() for e in errs]},
        )
    grants = [g for p in policies for g in foreign_grants(p, tlg.arn, tlg.account_id, ctx.settings.trusted_accounts)]
    ev = {"policies": [p.name for p in policies], "grants": [g.as_evidence() for g in grants]}
    if grants:
        who = sorted({pr for g in grants for pr in g.principals})
        actions = "/".join(grants[0].actions[:3])
        return Judgement(Status.FAIL, f"resource policy {grants[0].policy} lets {', '.join(who)} {actions} on it", ev)
    return Judgement(Status.PASS, f"no resource policy opens it to other accounts ({len(policies)} policies read)", ev)


CHECK = log_group_check(META, _judge)
