"""The single-event rules behind the logs-* checks, as data.

Each rule is a CloudWatch Logs metric filter pattern (the language the CIS
benchmark writes its monitoring items in, parsed by
:mod:`auditor.semantics.filterpattern`), plus an exact pre-filter on ``eventName`` (or
``userIdentity.type``) so that the vast majority of events are rejected by one
dictionary lookup, plus, only where the pattern language cannot express the
condition (parsing an IAM policy document inside ``requestParameters``), a
named Python predicate. Tests hold the pre-filters consistent with the patterns.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from auditor.logs.parse import get_path
from auditor.model.arn import arn_part
from auditor.semantics import cis


@dataclass(frozen=True)
class Rule:
    """One single-event rule feeding one logs-* check."""

    id: str
    check_id: str
    title: str
    #: Filter pattern text (CloudWatch Logs syntax); None: the pre-filter is the whole rule.
    pattern: str | None
    #: eventName values the pattern can match (an exact pre-filter); None: any name.
    names: frozenset[str] | None = None
    #: For rules without names: (dotted field, values) pre-filter.
    field_filter: tuple[tuple[str, ...], frozenset[str]] | None = None
    #: Name of an extra predicate in :data:`PREDICATES` (conditions patterns cannot state).
    predicate: str | None = None
    #: Dotted path of the resource the check may restrict to (bucket name, key id).
    resource_field: tuple[str, ...] | None = None


def _names_pattern(source: str | None, names: tuple[str, ...], extra: str = "") -> str:
    alts = " || ".join(f'($.eventName = "{n}")' for n in names)
    src = f'($.eventSource = "{source}") && ' if source else ""
    return "{ " + src + f"({alts})" + extra + " }"


#: Tampering rules keep failed attempts (an attempt to stop logging is itself the finding;
#: samples carry the errorCode); privilege-escalation rules count only calls that succeeded.
_NO_ERROR = " && ($.errorCode NOT EXISTS)"
#: Tampering rules keep failed attempts (an attempt to stop logging is itself the finding;
#: samples carry the errorCode); privilege-escalation rules count only calls that succeeded.

TRAIL_TAMPERING = (
    "StopLogging",
    "DeleteTrail",
    "UpdateTrail",
    "PutEventSelectors",
    "PutAdvancedEventSelectors",
    "PutInsightSelectors",
    "DeleteEventDataStore",
    "StopEventDataStoreIngestion",
)
BUCKET_TAMPERING = (
    "PutBucketPolicy",
    "DeleteBucketPolicy",
    "PutBucketAcl",
    "PutBucketLifecycle",
    "PutBucketLifecycleConfiguration",
    "DeleteBucketLifecycle",
    "DeleteBucket",
    "DeleteObjects",
)
KEY_TAMPERING = ("DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy")

_CIS_NAMES: dict[str, tuple[str, ...]] = {
    "4.2": ("ConsoleLogin",),
    "4.4": (
        "DeleteGroupPolicy",
        "DeleteRolePolicy",
        "DeleteUserPolicy",
        "PutGroupPolicy",
        "PutRolePolicy",
        "PutUserPolicy",
        "CreatePolicy",
        "DeletePolicy",
        "CreatePolicyVersion",
        "DeletePolicyVersion",
        "AttachRolePolicy",
        "DetachRolePolicy",
        "AttachUserPolicy",
        "DetachUserPolicy",
        "AttachGroupPolicy",
        "DetachGroupPolicy",
    ),
    "4.10": (
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress",
        "CreateSecurityGroup",
        "DeleteSecurityGroup",
        "ModifySecurityGroupRules",
    ),
    "4.11": (
        "CreateNetworkAcl",
        "CreateNetworkAclEntry",
        "DeleteNetworkAcl",
        "DeleteNetworkAclEntry",
        "ReplaceNetworkAclEntry",
        "ReplaceNetworkAclAssociation",
    ),
    "4.12": (
        "CreateCustomerGateway",
        "DeleteCustomerGateway",
        "AttachInternetGateway",
        "CreateInternetGateway",
        "DeleteInternetGateway",
        "DetachInternetGateway",
    ),
    "4.13": (
        "CreateRoute",
        "CreateRouteTable",
        "ReplaceRoute",
        "ReplaceRouteTableAssociation",
        "DeleteRouteTable",
        "DeleteRoute",
        "DisassociateRouteTable",
    ),
    "4.14": (
        "CreateVpc",
        "DeleteVpc",
        "ModifyVpcAttribute",
        "AcceptVpcPeeringConnection",
        "CreateVpcPeeringConnection",
        "DeleteVpcPeeringConnection",
        "RejectVpcPeeringConnection",
        "AttachClassicLinkVpc",
        "DetachClassicLinkVpc",
        "DisableVpcClassicLink",
        "EnableVpcClassicLink",
    ),
}


def cis_pattern(item: str) -> str:
    """The CIS item's pattern as the benchmark means it (shared table in :mod:`auditor.semantics.cis`)."""
    entry = cis.item_by_number(item)
    return entry.intent or entry.pattern


def _cis_rule(item: str, check_id: str, title: str, **kw: Any) -> Rule:
    names = _CIS_NAMES.get(item)
    return Rule(
        f"cis-{item}",
        check_id,
        f"CIS {item}: {title}",
        cis_pattern(item),
        frozenset(names) if names else None,
        **kw,
    )


# --------------------------------------------------------------------------- predicates


def _policy_doc(event: dict[str, Any]) -> Any:
    raw = get_path(event, ("requestParameters", "policyDocument"))
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str):
        return None
    for text in (raw, unquote(raw)):
        try:
            return json.loads(text)
        except (ValueError, RecursionError):  # hostile nesting must not stop the pass
            continue
    return None


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def _inline_star(event: dict[str, Any]) -> bool:
    doc = _policy_doc(event)
    if not isinstance(doc, dict):
        return False
    for st in _as_list(doc.get("Statement")):
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        actions = _as_list(st.get("Action"))
        resources = _as_list(st.get("Resource"))
        if any(a in ("*", "*:*") for a in actions) and "*" in resources:
            return True
    return False


def _other_user(event: dict[str, Any]) -> bool:
    target = get_path(event, ("requestParameters", "userName"))
    if not isinstance(target, str):
        return False  # no userName: the caller acts on itself
    ident = event.get("userIdentity")
    me = None
    if isinstance(ident, dict):
        me = ident.get("userName")
        if me is None and isinstance(ident.get("arn"), str):
            me = ident["arn"].rsplit("/", 1)[-1]
    return target != me


def _external_trust(event: dict[str, Any]) -> bool:
    doc = _policy_doc(event)
    if not isinstance(doc, dict):
        return False
    own = event.get("recipientAccountId")
    for st in _as_list(doc.get("Statement")):
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        values: list[Any] = []
        if principal == "*":
            values = ["*"]
        elif isinstance(principal, dict):
            values = _as_list(principal.get("AWS", []))
        for v in values:
            if not isinstance(v, str):
                continue
            if v == "*":
                return True
            acct = v if v.isdigit() else arn_part(v, 4)
            if acct and acct != own:
                return True
    return False


def _cloudtrail_log_object(event: dict[str, Any]) -> bool:
    key = get_path(event, ("requestParameters", "key"))
    return isinstance(key, str) and "AWSLogs/" in key


def _versioning_suspended(event: dict[str, Any]) -> bool:
    st = get_path(event, ("requestParameters", "VersioningConfiguration", "Status"))
    return bool(st == "Suspended")


def _iam_user_success(event: dict[str, Any]) -> bool:
    return bool(
        get_path(event, ("userIdentity", "type")) == "IAMUser"
        and get_path(event, ("responseElements", "ConsoleLogin")) == "Success"
    )


#: invokedBy values that name the person's own way in, not an AWS service acting for root:
#: the console sign-in (signin.amazonaws.com) and the console itself.
CONSOLE_INVOKERS = frozenset({"signin.amazonaws.com", "console.amazonaws.com", "console.aws.amazon.com"})


def root_invoked_by_service(invoked_by: Any) -> bool:
    """Whether a root event's ``userIdentity.invokedBy`` names an AWS service acting for root.

    AWS documents invokedBy as "the name of the AWS service that made the
    request" (a service principal such as support.amazonaws.com, or "AWS
    Internal"). CIS 4.3's pattern excludes every event carrying it, which
    also excludes root working through the console: CloudTrail records
    actions taken in the console by root with invokedBy signin.amazonaws.com.
    So only a service principal other than the console counts as a service;
    anything else (absent, not a string, the console, an unknown name) is
    human use, the fail-closed reading.
    """
    if not isinstance(invoked_by, str):
        return False
    name = invoked_by.strip().lower()
    if name in CONSOLE_INVOKERS:
        return False
    return name == "aws internal" or (name.endswith(".amazonaws.com") and len(name) > len(".amazonaws.com"))


def _root_not_service(event: dict[str, Any]) -> bool:
    return not root_invoked_by_service(get_path(event, ("userIdentity", "invokedBy")))


PREDICATES: dict[str, Callable[[dict[str, Any]], bool]] = {
    "root_not_service": _root_not_service,
    "inline_star": _inline_star,
    "other_user": _other_user,
    "external_trust": _external_trust,
    "cloudtrail_log_object": _cloudtrail_log_object,
    "versioning_suspended": _versioning_suspended,
    "iam_user_success": _iam_user_success,
}

_BUCKET = ("requestParameters", "bucketName")
_KEY = ("requestParameters", "keyId")

RULES: tuple[Rule, ...] = (
    Rule(
        "trail-tampering",
        "logs-trail-tampering",
        "CloudTrail logging stopped, deleted or narrowed",
        _names_pattern("cloudtrail.amazonaws.com", TRAIL_TAMPERING),
        frozenset(TRAIL_TAMPERING),
    ),
    Rule(
        "bucket-tampering",
        "logs-bucket-tampering",
        "Log bucket policy, ACL, lifecycle or bucket changed",
        _names_pattern("s3.amazonaws.com", BUCKET_TAMPERING),
        frozenset(BUCKET_TAMPERING),
        resource_field=_BUCKET,
    ),
    Rule(
        "bucket-versioning-suspended",
        "logs-bucket-tampering",
        "Log bucket versioning suspended",
        _names_pattern("s3.amazonaws.com", ("PutBucketVersioning",)),
        frozenset({"PutBucketVersioning"}),
        predicate="versioning_suspended",
        resource_field=_BUCKET,
    ),
    Rule(
        "log-object-deleted",
        "logs-bucket-tampering",
        "CloudTrail log object deleted",
        _names_pattern("s3.amazonaws.com", ("DeleteObject",)),
        frozenset({"DeleteObject"}),
        predicate="cloudtrail_log_object",
        resource_field=_BUCKET,
    ),
    Rule(
        "key-tampering",
        "logs-key-tampering",
        "KMS key disabled, scheduled for deletion or re-policied",
        _names_pattern("kms.amazonaws.com", KEY_TAMPERING),
        frozenset(KEY_TAMPERING),
        resource_field=_KEY,
    ),
    Rule(
        "root-human-use",
        "logs-root-activity",
        "Root user acting (CIS 4.3, including through the console)",
        '{ ($.userIdentity.type = "Root") && ($.eventType != "AwsServiceEvent") }',
        field_filter=(("userIdentity", "type"), frozenset({"Root"})),
        predicate="root_not_service",
    ),
    _cis_rule(
        "4.2",
        "logs-console-login-no-mfa",
        "console login without MFA",
        predicate="iam_user_success",
    ),
    _cis_rule("4.4", "logs-iam-policy-changes", "IAM policy changes"),
    _cis_rule("4.10", "logs-network-changes", "security group changes"),
    _cis_rule("4.11", "logs-network-changes", "network ACL changes"),
    _cis_rule("4.12", "logs-network-changes", "network gateway changes"),
    _cis_rule("4.13", "logs-network-changes", "route table changes"),
    _cis_rule("4.14", "logs-network-changes", "VPC changes"),
    Rule(
        "admin-policy-attached",
        "logs-privilege-escalation",
        "AdministratorAccess attached",
        _names_pattern(
            "iam.amazonaws.com",
            ("AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy"),
            ' && ($.requestParameters.policyArn = "*/AdministratorAccess")' + _NO_ERROR,
        ),
        frozenset({"AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy"}),
    ),
    Rule(
        "inline-star-policy",
        "logs-privilege-escalation",
        "Inline policy allowing *:* on *",
        _names_pattern("iam.amazonaws.com", ("PutUserPolicy", "PutRolePolicy", "PutGroupPolicy"), _NO_ERROR),
        frozenset({"PutUserPolicy", "PutRolePolicy", "PutGroupPolicy"}),
        predicate="inline_star",
    ),
    Rule(
        "credentials-for-other-user",
        "logs-privilege-escalation",
        "Access key or console password created for another user",
        _names_pattern(
            "iam.amazonaws.com",
            ("CreateAccessKey", "CreateLoginProfile", "UpdateLoginProfile"),
            _NO_ERROR,
        ),
        frozenset({"CreateAccessKey", "CreateLoginProfile", "UpdateLoginProfile"}),
        predicate="other_user",
    ),
    Rule(
        "trust-opened-externally",
        "logs-privilege-escalation",
        "Role trust policy opened to another account",
        _names_pattern("iam.amazonaws.com", ("UpdateAssumeRolePolicy",), _NO_ERROR),
        frozenset({"UpdateAssumeRolePolicy"}),
        predicate="external_trust",
    ),
)
