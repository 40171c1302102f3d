"""The CIS AWS Foundations Benchmark monitoring items (4.1-4.15) as data.

Each item carries the metric filter pattern exactly as the benchmark prints it
(v3.0-v5.0 numbering; 4.10 includes ModifySecurityGroupRules as in v5.0). The
``alarm-*`` checks judge configured metric filters against these patterns with
:func:`auditor.semantics.filterpattern.satisfies`; the ``logs-*`` checks evaluate the
same patterns over CloudTrail events with :func:`compiled`.

CIS 4.1 mixes ``||`` and ``&&`` without full parentheses. Under the precedence
this project implements (``&&`` binds tighter, see
:mod:`auditor.semantics.filterpattern`) it reads ``A || (B && C && D)``; the benchmark's
intent (and its audit prose) is ``(A || B) && C && D``. A configured filter
implementing either reading is accepted (``alternatives``), and the textual
CIS pattern always satisfies itself. 4.13 reads the same both ways.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.semantics.filterpattern import Pattern, compile_pattern

__all__ = ["CIS_ITEMS", "CisItem", "compiled", "compiled_intent", "item_by_check", "item_by_number", "readings"]

#: Namespace the remediation snippets publish to (any namespace passes the checks).
METRIC_NAMESPACE = "CISBenchmark"


@dataclass(frozen=True)
class CisItem:
    """One CIS monitoring recommendation: which check judges it, and its pattern."""

    number: str
    check_id: str
    title: str
    #: The Security Hub control for the same requirement, if there is one.
    security_hub: str | None
    #: Metric name the remediation snippets use.
    metric_name: str
    #: The pattern exactly as the benchmark prints it.
    pattern: str
    #: Other readings of an ambiguous pattern that a configured filter may implement.
    alternatives: tuple[str, ...] = ()
    #: The reading that matches the benchmark's intent, when it differs from ``pattern``.
    intent: str | None = None


_CIS_4_1_INTENT = (
    '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) '
    '&& ($.sourceIPAddress != "delivery.logs.amazonaws.com") '
    '&& ($.eventName != "HeadBucket") }'
)

CIS_ITEMS: tuple[CisItem, ...] = (
    CisItem(
        number="4.1",
        check_id="alarm-unauthorized-api-calls",
        title="Unauthorized API calls are alarmed",
        security_hub="CloudWatch.2",
        metric_name="UnauthorizedApiCalls",
        pattern=(
            '{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode '
            '="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") '
            '&& ($.eventName!="HeadBucket") }'
        ),
        alternatives=(_CIS_4_1_INTENT,),
        intent=_CIS_4_1_INTENT,
    ),
    CisItem(
        number="4.2",
        check_id="alarm-console-login-no-mfa",
        title="Console sign-in without MFA is alarmed",
        security_hub="CloudWatch.3",
        metric_name="ConsoleLoginNoMfa",
        pattern=('{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }'),
    ),
    CisItem(
        number="4.3",
        check_id="alarm-root-usage",
        title="Root account usage is alarmed",
        security_hub="CloudWatch.1",
        metric_name="RootUsage",
        pattern=(
            '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
            '$.eventType != "AwsServiceEvent" }'
        ),
    ),
    CisItem(
        number="4.4",
        check_id="alarm-iam-policy-changes",
        title="IAM policy changes are alarmed",
        security_hub="CloudWatch.4",
        metric_name="IamPolicyChanges",
        pattern=(
            "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||"
            "($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||"
            "($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||"
            "($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||"
            "($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||"
            "($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||"
            "($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||"
            "($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}"
        ),
    ),
    CisItem(
        number="4.5",
        check_id="alarm-cloudtrail-changes",
        title="CloudTrail configuration changes are alarmed",
        security_hub="CloudWatch.5",
        metric_name="CloudtrailChanges",
        pattern=(
            "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || "
            "($.eventName = DeleteTrail) || ($.eventName = StartLogging) || "
            "($.eventName = StopLogging) }"
        ),
    ),
    CisItem(
        number="4.6",
        check_id="alarm-console-auth-failures",
        title="Console authentication failures are alarmed",
        security_hub="CloudWatch.6",
        metric_name="ConsoleAuthFailures",
        pattern=('{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'),
    ),
    CisItem(
        number="4.7",
        check_id="alarm-cmk-disable-deletion",
        title="Disabling or scheduled deletion of customer managed keys is alarmed",
        security_hub="CloudWatch.7",
        metric_name="CmkDisableDeletion",
        pattern=(
            "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }"
        ),
    ),
    CisItem(
        number="4.8",
        check_id="alarm-s3-bucket-policy-changes",
        title="S3 bucket policy changes are alarmed",
        security_hub="CloudWatch.8",
        metric_name="S3BucketPolicyChanges",
        pattern=(
            "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || "
            "($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || "
            "($.eventName = PutBucketLifecycle) || ($.eventName = "
            "PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || "
            "($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) "
            "|| ($.eventName = DeleteBucketReplication)) }"
        ),
    ),
    CisItem(
        number="4.9",
        check_id="alarm-config-changes",
        title="AWS Config configuration changes are alarmed",
        security_hub="CloudWatch.9",
        metric_name="ConfigChanges",
        pattern=(
            "{ ($.eventSource = config.amazonaws.com) && "
            "(($.eventName=StopConfigurationRecorder)||"
            "($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||"
            "($.eventName=PutConfigurationRecorder)) }"
        ),
    ),
    CisItem(
        number="4.10",
        check_id="alarm-security-group-changes",
        title="Security group changes are alarmed",
        security_hub="CloudWatch.10",
        metric_name="SecurityGroupChanges",
        pattern=(
            "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = "
            "AuthorizeSecurityGroupEgress) || ($.eventName = "
            "RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) "
            "|| ($.eventName = CreateSecurityGroup) || ($.eventName = "
            "DeleteSecurityGroup) || ($.eventName = ModifySecurityGroupRules) }"
        ),
    ),
    CisItem(
        number="4.11",
        check_id="alarm-nacl-changes",
        title="Network ACL changes are alarmed",
        security_hub="CloudWatch.11",
        metric_name="NaclChanges",
        pattern=(
            "{ ($.eventName = CreateNetworkAcl) || ($.eventName = "
            "CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || "
            "($.eventName = DeleteNetworkAclEntry) || ($.eventName = "
            "ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }"
        ),
    ),
    CisItem(
        number="4.12",
        check_id="alarm-network-gateway-changes",
        title="Network gateway changes are alarmed",
        security_hub="CloudWatch.12",
        metric_name="NetworkGatewayChanges",
        pattern=(
            "{ ($.eventName = CreateCustomerGateway) || ($.eventName = "
            "DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || "
            "($.eventName = CreateInternetGateway) || ($.eventName = "
            "DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }"
        ),
    ),
    CisItem(
        number="4.13",
        check_id="alarm-route-table-changes",
        title="Route table changes are alarmed",
        security_hub="CloudWatch.13",
        metric_name="RouteTableChanges",
        pattern=(
            "{($.eventSource = ec2.amazonaws.com) && ($.eventName = CreateRoute) || "
            "($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || "
            "($.eventName = ReplaceRouteTableAssociation) || ($.eventName = "
            "DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = "
            "DisassociateRouteTable) }"
        ),
    ),
    CisItem(
        number="4.14",
        check_id="alarm-vpc-changes",
        title="VPC changes are alarmed",
        security_hub="CloudWatch.14",
        metric_name="VpcChanges",
        pattern=(
            "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName "
            "= ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || "
            "($.eventName = CreateVpcPeeringConnection) || ($.eventName = "
            "DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) "
            "|| ($.eventName = AttachClassicLinkVpc) || ($.eventName = "
            "DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || "
            "($.eventName = EnableVpcClassicLink) }"
        ),
    ),
    CisItem(
        number="4.15",
        check_id="alarm-organizations-changes",
        title="AWS Organizations changes are alarmed",
        security_hub=None,
        metric_name="OrganizationsChanges",
        pattern=(
            "{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "
            '"AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = '
            '"CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || '
            '($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || '
            '($.eventName = "DeleteOrganization") || ($.eventName = '
            '"DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || '
            '($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || '
            '($.eventName = "EnablePolicyType") || ($.eventName = '
            '"InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || '
            '($.eventName = "MoveAccount") || ($.eventName = '
            '"RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || '
            '($.eventName = "UpdateOrganizationalUnit")) }'
        ),
    ),
)

_BY_NUMBER = {item.number: item for item in CIS_ITEMS}
_BY_CHECK = {item.check_id: item for item in CIS_ITEMS}


def item_by_number(number: str) -> CisItem:
    """The item with this CIS number, e.g. "4.3"; KeyError if unknown."""
    return _BY_NUMBER[number]


def item_by_check(check_id: str) -> CisItem:
    """The item a check id judges, e.g. "alarm-root-usage"; KeyError if unknown."""
    return _BY_CHECK[check_id]


def compiled(item: CisItem) -> Pattern:
    """The benchmark's pattern, compiled as CloudWatch Logs reads it (cached)."""
    return compile_pattern(item.pattern)


def compiled_intent(item: CisItem) -> Pattern:
    """The pattern the benchmark means; for log evidence, where intent matters.

    Identical to :func:`compiled` except for 4.1, whose printed form does not
    exclude delivery.logs.amazonaws.com and HeadBucket from UnauthorizedOperation
    errors under operator precedence.
    """
    return compile_pattern(item.intent or item.pattern)


def readings(item: CisItem) -> tuple[Pattern, ...]:
    """Every accepted reading: the printed pattern first, then the alternatives."""
    return (compiled(item), *(compile_pattern(alt) for alt in item.alternatives))
