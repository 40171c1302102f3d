"""Pure helpers to read IAM-style policies (S3 bucket policies, KMS key policies).

Policy documents come from AWS as loosely shaped JSON: ``Statement`` may be one
object or a list, ``Action``/``Principal``/``Resource`` may be a string, a list
or a map, condition keys are case-insensitive, and boolean condition values may
be JSON booleans or strings. Every check that judges a policy needs the same
normalisation, so it lives here once, typed and free of AWS calls.

The second half of the module ("log buckets") gathers the S3 buckets the
scanned trails deliver to and runs a per-bucket judgement with the fail-closed
rules every ``bucket-*`` check shares (bucket not collected, out of scope,
missing), so that each check module only states what it judges.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Status
from auditor.engine.judgement import Judgement
from auditor.engine.trails import unlisted_trail_errors
from auditor.model.arn import arn_part
from auditor.model.snapshot import Bucket, CollectionError, PublicAccessBlock, Trail
from auditor.model.wildcard import glob_match

Statement = Mapping[str, Any]

#: Condition keys that, with a concrete value under a positive operator, stop a
#: wildcard-principal Allow from being public (the idea of the S3 "public"
#: definition in the Block Public Access documentation).
RESTRICTING_KEYS: frozenset[str] = frozenset(
    {
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:sourceowner",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceip",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:userid",
        "aws:username",
        "s3:dataaccesspointaccount",
        "s3:dataaccesspointarn",
    }
)

#: Operators that only match when the key is present and equal to the value.
_POSITIVE_OPERATORS: frozenset[str] = frozenset(
    {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "ipaddress"}
)
_ARN_KEYS: frozenset[str] = frozenset({"aws:sourcearn", "aws:principalarn"})
_IP_KEYS: frozenset[str] = frozenset({"aws:sourceip"})


# --------------------------------------------------------------------------- statements


def statements(policy: Mapping[str, Any] | None) -> list[Statement]:
    """The policy's statements as a list, even when ``Statement`` is a single object.

    Anything that is not a mapping (malformed input) is dropped: callers judge
    what AWS would enforce, and AWS rejects such statements on write.
    """
    if not policy:
        return []
    raw = policy.get("Statement")
    items: list[Any] = raw if isinstance(raw, list) else [raw]
    return [s for s in items if isinstance(s, Mapping)]


def as_str_list(value: object) -> list[str]:
    """A policy scalar-or-list field as a list of strings (booleans as "true"/"false")."""
    if value is None:
        return []
    items: list[Any] = list(value) if isinstance(value, list | tuple) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, str | int | float):
            out.append(str(item))
    return out


def is_allow(stmt: Statement) -> bool:
    """Effect is Allow."""
    return str(stmt.get("Effect", "")).lower() == "allow"


def is_deny(stmt: Statement) -> bool:
    """Effect is Deny."""
    return str(stmt.get("Effect", "")).lower() == "deny"


def wildcard_match(pattern: str, value: str, *, case_sensitive: bool = False) -> bool:
    """IAM wildcard match: ``*`` any run of characters, ``?`` one character, nothing else.

    Both sides may come from a scanned account, so matching goes through
    :mod:`auditor.model.wildcard`, which cannot backtrack.
    """
    return glob_match(pattern, value, case_sensitive=case_sensitive)


def actions_cover(stmt: Statement, action: str) -> bool:
    """Whether the statement applies to ``action`` (``Action`` wildcards, or not in ``NotAction``).

    Action names are case-insensitive in IAM, so ``S3:*`` covers ``s3:PutObject``.
    """
    if "Action" in stmt:
        return any(wildcard_match(p, action) for p in as_str_list(stmt["Action"]))
    if "NotAction" in stmt:
        return not any(wildcard_match(p, action) for p in as_str_list(stmt["NotAction"]))
    return False


def resources_cover(stmt: Statement, arn: str) -> bool:
    """Whether the statement applies to the resource ARN (``Resource`` or ``NotResource``).

    A statement without either (as in KMS key policies, where the key is implied)
    applies to the policy's own resource.
    """
    if "Resource" in stmt:
        patterns = as_str_list(stmt["Resource"])
        return any(wildcard_match(p, arn, case_sensitive=True) for p in patterns)
    if "NotResource" in stmt:
        return not any(wildcard_match(p, arn, case_sensitive=True) for p in as_str_list(stmt["NotResource"]))
    return True


# --------------------------------------------------------------------------- principals


def principal_map(stmt: Statement, field_name: str = "Principal") -> dict[str, list[str]]:
    """``Principal`` as ``{type: [values]}``; ``"*"`` becomes ``{"AWS": ["*"]}`` (equivalent)."""
    raw = stmt.get(field_name)
    if raw is None:
        return {}
    if isinstance(raw, str):
        return {"AWS": [raw]}
    if isinstance(raw, Mapping):
        return {str(k): as_str_list(v) for k, v in raw.items()}
    return {}


def is_wildcard_principal(stmt: Statement) -> bool:
    """``Principal`` is ``"*"``, or its ``AWS`` (or any) list holds ``"*"``."""
    return any("*" in values for values in principal_map(stmt).values())


def is_public_principal(stmt: Statement) -> bool:
    """Everyone is a principal: a wildcard ``Principal``, or an Allow with ``NotPrincipal``
    (everyone except the listed principals)."""
    if is_wildcard_principal(stmt):
        return True
    return is_allow(stmt) and "NotPrincipal" in stmt


def has_service_principal(stmt: Statement, service: str) -> bool:
    """``Principal.Service`` names ``service`` (e.g. ``cloudtrail.amazonaws.com``)."""
    services = principal_map(stmt).get("Service", [])
    return any(s.lower() == service.lower() for s in services)


# --------------------------------------------------------------------------- conditions


@dataclass(frozen=True)
class ConditionEntry:
    """One ``Condition`` operator/key pair, normalised.

    ``base`` is the operator without ``ForAnyValue:``/``ForAllValues:`` and
    ``IfExists`` (lower-case); ``key`` keeps its original spelling.
    """

    operator: str
    base: str
    key: str
    values: tuple[str, ...]
    if_exists: bool = False
    qualifier: str | None = None  # "foranyvalue" | "forallvalues"


def condition_entries(stmt: Statement) -> list[ConditionEntry]:
    """Every operator/key pair of the statement's ``Condition`` block."""
    block = stmt.get("Condition")
    if not isinstance(block, Mapping):
        return []
    out: list[ConditionEntry] = []
    for operator, pairs in block.items():
        if not isinstance(pairs, Mapping):
            continue
        op = str(operator)
        base = op.lower()
        qualifier: str | None = None
        if ":" in base:
            qualifier, base = base.split(":", 1)
        if_exists = base.endswith("ifexists")
        if if_exists:
            base = base[: -len("ifexists")]
        for key, values in pairs.items():
            out.append(ConditionEntry(op, base, str(key), tuple(as_str_list(values)), if_exists, qualifier))
    return out


def condition_values(stmt: Statement, key: str) -> list[ConditionEntry]:
    """The entries for one condition key (keys compare case-insensitively, as in IAM)."""
    wanted = key.lower()
    return [e for e in condition_entries(stmt) if e.key.lower() == wanted]


def _concrete_value(key: str, value: str) -> bool:
    """A value that narrows the key to something less than "anyone"."""
    if not value or set(value) <= {"*", "?"}:
        return False
    if key in _IP_KEYS:
        try:
            return ipaddress.ip_network(value, strict=False).prefixlen > 0
        except ValueError:
            return False
    if key in _ARN_KEYS and value.startswith("arn:"):
        account = arn_part(value, 4)
        # An ARN with a wildcard account matches every account in AWS.
        return not ("*" in account or "?" in account)
    return True


def is_restricting(entry: ConditionEntry, keys: frozenset[str] = RESTRICTING_KEYS) -> bool:
    """Whether the entry narrows who can use the statement.

    Only positive operators count (``StringNotEquals aws:PrincipalOrgID`` opens
    the statement to everyone outside the organisation); ``...IfExists`` and
    ``ForAllValues:`` are satisfied when the key is absent, so they do not
    restrict; every value must be concrete (not ``*``, not ``0.0.0.0/0``).
    """
    key = entry.key.lower()
    if key not in keys or entry.base not in _POSITIVE_OPERATORS:
        return False
    if entry.if_exists or entry.qualifier == "forallvalues" or not entry.values:
        return False
    return all(_concrete_value(key, v) for v in entry.values)


def restricting_conditions(stmt: Statement, keys: frozenset[str] = RESTRICTING_KEYS) -> list[ConditionEntry]:
    """The statement's restricting condition entries (see :func:`is_restricting`)."""
    wanted = frozenset(k.lower() for k in keys)
    return [e for e in condition_entries(stmt) if is_restricting(e, wanted)]


def has_restricting_condition(stmt: Statement, keys: frozenset[str] = RESTRICTING_KEYS) -> bool:
    """Whether any condition restricts the statement to concrete sources or principals."""
    return bool(restricting_conditions(stmt, keys))


def requires_bool(stmt: Statement, key: str, value: bool) -> bool:
    """The statement has ``Bool`` (or ``BoolIfExists``) ``key`` = ``value``.

    Accepts the JSON boolean or the string, in any case, as IAM does.
    """
    wanted = "true" if value else "false"
    return any(
        e.base == "bool" and e.qualifier is None and e.values and all(v.lower() == wanted for v in e.values)
        for e in condition_values(stmt, key)
    )


def public_allow_statements(policy: Mapping[str, Any] | None) -> list[Statement]:
    """Allow statements open to everyone with no restricting condition."""
    return [
        s for s in statements(policy) if is_allow(s) and is_public_principal(s) and not has_restricting_condition(s)
    ]


# --------------------------------------------------------------------------- log buckets

ALL_USERS_URI = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS_URI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
PUBLIC_GRANTEE_URIS: frozenset[str] = frozenset({ALL_USERS_URI, AUTHENTICATED_USERS_URI})


def effective_block(
    *settings: PublicAccessBlock | CollectionError | None,
) -> tuple[dict[str, bool | None], list[CollectionError]]:
    """Combine bucket- and account-level Block Public Access, setting by setting.

    A setting is True when any level turns it on, False when every level is
    known and off, None (unknown) when no level turns it on and one could not
    be read. ``None`` at a level means "not configured" (all off).
    """
    names = ("block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets")
    errors = [s for s in settings if isinstance(s, CollectionError)]
    out: dict[str, bool | None] = {}
    for name in names:
        on = any(isinstance(s, PublicAccessBlock) and getattr(s, name) for s in settings)
        out[name] = True if on else (None if errors else False)
    return out, errors


@dataclass(frozen=True)
class LogBucketTarget:
    """One S3 bucket that one or more scanned trails deliver to."""

    name: str
    trails: tuple[Trail, ...]

    @property
    def trail_account_id(self) -> str:
        """The first trail's owner (used when the bucket owner is unknown)."""
        return self.trails[0].owner_account_id

    @property
    def home_region(self) -> str:
        """The first trail's home region (used when the bucket region is unknown)."""
        return self.trails[0].home_region

    def account_id(self, bucket: Bucket | None) -> str:
        """The account a result about this bucket belongs to."""
        if bucket is not None and bucket.owner_account_id:
            return bucket.owner_account_id
        return self.trail_account_id

    def region(self, bucket: Bucket | None) -> str:
        """The region a result about this bucket belongs to."""
        if bucket is not None and isinstance(bucket.region, str) and bucket.region:
            return bucket.region
        return self.home_region

    def log_prefixes(self) -> tuple[str, ...]:
        """Where CloudTrail writes in the bucket: ``<prefix>/AWSLogs/`` per trail.

        Digest files live under the same ``AWSLogs/`` tree, so one prefix per
        trail covers logs and digests.
        """
        out: list[str] = []
        for t in self.trails:
            prefix = (t.s3_key_prefix or "").strip("/")
            p = f"{prefix}/AWSLogs/" if prefix else "AWSLogs/"
            if p not in out:
                out.append(p)
        return tuple(out)

    def applies_to_logs(self, rule_prefix: str, has_tag_filter: bool) -> bool:
        """Whether a lifecycle rule with this filter reaches some of the trails' log objects.

        A rule whose prefix is a prefix of the log prefix covers every log; a
        rule whose prefix lies inside the log tree (``AWSLogs/1111/``) covers
        some logs, which is enough to lose them. CloudTrail writes objects
        without tags, so rules with a tag filter never apply.
        """
        if has_tag_filter:
            return False
        return any(p.startswith(rule_prefix) or rule_prefix.startswith(p) for p in self.log_prefixes())

    @property
    def uses_kms(self) -> bool:
        """Whether any trail delivering here encrypts with KMS."""
        return any(t.kms_key_id for t in self.trails)


def log_bucket_targets(ctx: CheckContext) -> list[LogBucketTarget]:
    """The buckets named by trails owned by accessible accounts, plus organisation trails' buckets.

    Deduplicated by bucket name in discovery order, so a central log-archive
    bucket is judged once however many trails deliver to it.
    """
    by_name: dict[str, list[Trail]] = {}
    seen_arns: set[tuple[str, str]] = set()
    for account in ctx.accounts():
        for trail in account.trails:
            if not trail.s3_bucket_name:
                continue
            if trail.owner_account_id != account.account_id and not trail.is_organization_trail:
                continue
            key = (trail.s3_bucket_name, trail.arn)
            if key in seen_arns:
                continue
            seen_arns.add(key)
            best = ctx.snapshot.trail(trail.arn) or trail
            by_name.setdefault(trail.s3_bucket_name, []).append(best)
    return [LogBucketTarget(name, tuple(trails)) for name, trails in by_name.items()]


BucketJudge = Callable[[LogBucketTarget, Bucket], Judgement | CollectionError]


def bucket_check(
    meta: CheckMeta,
    judge: Callable[[CheckContext, LogBucketTarget, Bucket], Judgement | CollectionError],
    *,
    judge_existence: bool = False,
) -> Check:
    """A bucket-* check: ``judge`` on every trail destination bucket (see :func:`judge_log_buckets`)."""

    def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
        """One result per trail destination bucket."""
        return judge_log_buckets(ctx, lambda t, b: judge(ctx, t, b), judge_existence=judge_existence)

    return Check(meta, evaluate)


def out_of_scope_message(bucket: Bucket, err: CollectionError) -> str:
    """Why an out-of-scope bucket cannot be judged, and what to do about it."""
    owner = f" (owner {bucket.owner_account_id})" if bucket.owner_account_id else ""
    return (
        f"bucket {bucket.name}{owner} belongs to an account outside the scanned scope, so its "
        f"configuration could not be read: include the log-archive account in the scan to judge "
        f"it ({err.reason()})"
    )


def judge_log_buckets(ctx: CheckContext, judge: BucketJudge, *, judge_existence: bool = False) -> Iterator[CheckResult]:
    """Run ``judge`` on every trail destination bucket with the shared fail-closed rules.

    - a bucket the collector did not record: ERROR ("bucket was not collected");
    - unless ``judge_existence`` (bucket-exists does its own): existence that
      could not be read is ERROR with the reason (out of scope: include the
      log-archive account), a missing bucket is NOT_APPLICABLE (bucket-exists
      reports it);
    - a ``CollectionError`` returned by the judge becomes ERROR with its reason;
    - every accessible account without a result gets NOT_APPLICABLE saying why.
    """
    partition = ctx.snapshot.partition
    covered: set[str] = set()
    for target in log_bucket_targets(ctx):
        bucket = ctx.snapshot.bucket(target.name)
        account_id = target.account_id(bucket)
        region = target.region(bucket)
        arn = f"arn:{partition}:s3:::{target.name}"
        trail_arns = [t.arn for t in target.trails]
        covered.add(account_id)
        if bucket is None:
            yield ctx.result(
                account_id,
                region,
                Status.ERROR,
                f"bucket {target.name} was not collected; nothing can be concluded",
                resource_id=target.name,
                resource_arn=arn,
                evidence={"trails": trail_arns},
            )
            continue
        verdict: Judgement | CollectionError
        if not judge_existence and isinstance(bucket.existence, CollectionError):
            err = bucket.existence
            if err.error_code == "OutOfScope":
                verdict = Judgement(
                    Status.ERROR, out_of_scope_message(bucket, err), {"collection_error": err.evidence(located=False)}
                )
            else:
                verdict = err
        elif not judge_existence and bucket.existence != "exists":
            verdict = Judgement(Status.NOT_APPLICABLE, f"bucket {target.name} does not exist; see bucket-exists")
        else:
            verdict = judge(target, bucket)
        if isinstance(verdict, CollectionError):
            res = ctx.error(verdict, resource_id=target.name, resource_arn=arn, region=region, account_id=account_id)
            yield replace(res, evidence={**res.evidence, "trails": trail_arns})
            continue
        yield verdict.result(
            ctx, account_id, region, resource_id=target.name, resource_arn=arn, evidence={"trails": trail_arns}
        )
    yield from _uncovered_accounts(ctx, covered)


def _uncovered_accounts(ctx: CheckContext, covered: set[str]) -> Iterator[CheckResult]:
    for account in ctx.accounts():
        # The bucket of a trail that could not be listed goes unjudged: say so.
        unlisted = unlisted_trail_errors(ctx, account)
        yield from unlisted
        if account.account_id in covered or unlisted:
            continue
        named = sorted({t.s3_bucket_name for t in account.trails if t.s3_bucket_name})
        if named:
            message = (
                f"no log bucket of this account's trails is owned here; bucket(s) "
                f"{', '.join(named)} are judged under their owner's account"
            )
        else:
            message = "no trail delivers to S3 in this account"
        yield ctx.result(
            account.account_id,
            "global",
            Status.NOT_APPLICABLE,
            message,
            resource_id=account.account_id,
            resource_type="AwsAccount",
        )
