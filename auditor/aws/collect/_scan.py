"""The scan: which calls to make, in which account and region, and what they mean.

Order of work:

1. caller identity and organisation (main thread; the identity is the only
   fatal call, because without it there is nothing to scan);
2. per account, in parallel: AssumeRole, then DescribeRegions and (outside
   the caller's organisation) DescribeOrganization;
3. per account and region, in parallel: trails (status, selectors, Insights,
   and the tags of the trails the account owns), log groups with their metric
   filters and the region's log resource policies, alarms and their topics,
   Config recorders, CloudTrail Lake event data stores; per account: S3
   ListBuckets (to find bucket owners) and account-level Block Public Access;
4. each distinct bucket and KMS key, once, with the owner's credentials
   (see :mod:`auditor.aws.collect._resources`).

State is kept in small mutable builders guarded by one lock, then frozen into
the snapshot. A builder field starts as a "NotCollected" error so that a task
that crashed can never leave something that looks like a clean answer.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from auditor import __version__
from auditor.aws.collect import _parse as parse
from auditor.aws.collect import _regional as regional
from auditor.aws.collect._aws import (
    NOT_CONFIGURED,
    PARTITION_DEFAULT_REGION,
    AccountAccess,
    Aws,
    RoleSpec,
    as_dict,
    not_collected,
)
from auditor.aws.collect._resources import Resources
from auditor.aws.collect._runner import Counter, Runner
from auditor.aws.collect._sessions import AccountSessions
from auditor.aws.collect._state import AccountState, RegionState
from auditor.model.arn import arn_part
from auditor.model.errors import AuditorError
from auditor.model.progress import ProgressSink
from auditor.model.snapshot import (
    CollectionError,
    OrgAccount,
    Organization,
    Snapshot,
)

#: The service principal whose delegated administrators may manage organisation trails.
CLOUDTRAIL_PRINCIPAL = "cloudtrail.amazonaws.com"


class CollectError(AuditorError):
    """The scan could not start at all (for example no usable credentials)."""


@dataclass(frozen=True)
class ScanSettings:
    """What the scan needs from CollectOptions, resolved."""

    regions: tuple[str, ...] | None
    organization: bool
    accounts: tuple[str, ...]
    role_name: str | None
    external_id: str | None
    trusted_accounts: tuple[str, ...]
    max_workers: int


class Scan:
    """One collection run. Create, call :meth:`run` once."""

    def __init__(
        self,
        session: Any,
        aws: Aws,
        settings: ScanSettings,
        progress: ProgressSink,
        errors: list[CollectionError],
    ) -> None:
        self._session = session
        self._aws = aws
        self._settings = settings
        self._progress = progress
        self._errors = errors
        self._lock = threading.Lock()
        self._accounts: dict[str, AccountState] = {}
        self._partition = "aws"
        self._home = "us-east-1"
        self._caller = ""
        self._org: Organization | CollectionError | None = None
        self._runner: Runner | None = None

    # ------------------------------------------------------------------ plumbing

    def _record(self, err: CollectionError) -> None:
        self._aws.report(err)

    def _crash(self, task: str, exc: BaseException) -> None:
        self._record(
            CollectionError(
                account_id="",
                region="",
                service="auditor",
                operation=task,
                error_code="InternalError",
                message=f"{type(exc).__name__}: {exc}",
            )
        )

    def _submit(self, name: str, fn: Callable[[], None], unit: Counter | None = None) -> None:
        assert self._runner is not None
        self._runner.submit(name, fn, unit)

    # ------------------------------------------------------------------ run

    def run(self, collected_at: str) -> Snapshot:
        """Collect everything; per-call failures become values, never exceptions."""
        base_region = self._session.region_name or "us-east-1"
        caller_access = AccountAccess(account_id="")
        ident = self._aws.call(caller_access, "sts", base_region, "GetCallerIdentity", record=False)
        if not isinstance(ident, dict):
            reason = ident.reason() if isinstance(ident, CollectionError) else "no answer"
            raise CollectError(f"cannot identify the AWS caller (check credentials): {reason}")
        self._caller = str(ident.get("Account", ""))
        self._partition = arn_part(str(ident.get("Arn", "")), 1) or "aws"
        self._home = self._pick_home_region(self._session.region_name)
        caller_access = AccountAccess(account_id=self._caller)

        self._org = self._describe_organization(caller_access)
        self._plan_accounts(caller_access)

        with ThreadPoolExecutor(max_workers=self._settings.max_workers, thread_name_prefix="collect") as pool:
            self._runner = Runner(pool, self._crash)
            for acc in self._accounts.values():
                self._submit(f"account {acc.account_id}", partial(self._setup_account, acc))
            self._runner.wait()

            total = sum(len(a.enabled) for a in self._accounts.values() if a.access is not None)
            self._progress.start(total)
            for acc in self._accounts.values():
                if acc.access is not None:
                    self._start_account_scan(acc)
            self._runner.wait()

            self._read_unclaimed_trails()
            resources = self._plan_buckets_and_keys()
            self._runner.wait()

        return Snapshot(
            collected_at=collected_at,
            tool_version=__version__,
            partition=self._partition,
            caller_account_id=self._caller,
            requested_regions=self._settings.regions,
            organization=self._org,
            accounts=tuple(self._accounts[a].freeze() for a in sorted(self._accounts)),
            buckets=resources.buckets(),
            keys=resources.keys(),
        )

    def _pick_home_region(self, region: str | None) -> str:
        default = PARTITION_DEFAULT_REGION.get(self._partition, "us-east-1")
        if region and self._partition_of(region) == self._partition:
            return region
        return default

    def _partition_of(self, region: str) -> str:
        try:
            return str(self._session.get_partition_for_region(region))
        except Exception:  # unknown region naming: do not guess it away
            return self._partition

    # ------------------------------------------------------------------ organisation

    def _describe_organization(self, access: AccountAccess) -> Organization | CollectionError | None:
        res = self._aws.call(
            access,
            "organizations",
            self._home,
            "DescribeOrganization",
            not_configured=("AWSOrganizationsNotInUseException",),
        )
        if res is NOT_CONFIGURED:
            return None
        if isinstance(res, CollectionError):
            return res
        assert isinstance(res, dict)
        org = res.get("Organization") or {}
        org_id = str(org.get("Id", ""))
        mgmt = str(org.get("MasterAccountId", ""))
        if not self._settings.organization:
            return Organization(id=org_id, management_account_id=mgmt)
        listed = self._aws.call(access, "organizations", self._home, "ListAccounts", paginate=True)
        if isinstance(listed, CollectionError):
            return listed
        assert isinstance(listed, dict)
        accounts = tuple(
            sorted(
                (
                    OrgAccount(
                        account_id=str(a.get("Id", "")),
                        name=str(a.get("Name", "")),
                        status=str(a.get("Status", "ACTIVE")),
                    )
                    for a in listed.get("Accounts") or ()
                ),
                key=lambda a: a.account_id,
            )
        )
        admins = self._aws.call(
            access,
            "organizations",
            self._home,
            "ListDelegatedAdministrators",
            paginate=True,
            ServicePrincipal=CLOUDTRAIL_PRINCIPAL,
        )
        delegated: tuple[str, ...] | CollectionError = (
            admins
            if isinstance(admins, CollectionError)
            else tuple(sorted(str(a.get("Id", "")) for a in as_dict(admins).get("DelegatedAdministrators") or ()))
        )
        return Organization(
            id=org_id, management_account_id=mgmt, accounts=accounts, cloudtrail_delegated_admins=delegated
        )

    def _plan_accounts(self, caller_access: AccountAccess) -> None:
        names: dict[str, str | None] = {}
        wanted: list[str] = []
        if self._settings.organization:
            if isinstance(self._org, Organization):
                for oa in self._org.accounts:
                    names[oa.account_id] = oa.name or None
                    if oa.status == "ACTIVE":
                        wanted.append(oa.account_id)
            else:
                wanted.append(self._caller)  # organisation unreadable: still scan ourselves
        wanted.extend(self._settings.accounts)
        if not wanted:
            wanted.append(self._caller)
        needs_role = any(a != self._caller for a in wanted)
        if needs_role and not self._settings.role_name:
            raise CollectError("scanning other accounts needs the role to assume in each: give --role-name")
        for account_id in dict.fromkeys(wanted):
            acc = AccountState(account_id=account_id, name=names.get(account_id))
            if account_id == self._caller:
                acc.access = caller_access
            self._accounts[account_id] = acc

    # ------------------------------------------------------------------ account setup

    def _setup_account(self, acc: AccountState) -> None:
        if acc.access is None and not self._assume(acc):
            return
        assert acc.access is not None
        org = self._org
        if acc.account_id == self._caller or (
            isinstance(org, Organization) and any(o.account_id == acc.account_id for o in org.accounts)
        ):
            if isinstance(org, Organization):
                acc.is_management = acc.account_id == org.management_account_id
            elif org is None:
                acc.is_management = False
        else:
            self._submit(f"organization {acc.account_id}", lambda: self._account_org(acc))
        self._resolve_regions(acc)

    def _assume(self, acc: AccountState) -> bool:
        res = self._aws.assume(
            acc.account_id,
            self.role_spec(acc.account_id),
            via=AccountAccess(account_id=self._caller),
            region=self._home,
        )
        if isinstance(res, CollectionError):
            err = dataclasses.replace(res, account_id=acc.account_id)
            acc.access_error = err
            self._record(err)
            return False
        acc.access = res
        return True

    def role_spec(self, account_id: str) -> RoleSpec:
        """The AssumeRole request that enters ``account_id`` (``--role-name`` required)."""
        assert self._settings.role_name is not None
        return RoleSpec.for_account(self._partition, account_id, self._settings.role_name, self._settings.external_id)

    def account_sessions(self) -> AccountSessions:
        """After :meth:`run`: clients in the scanned accounts, with the roles this scan assumed."""
        known: dict[str, AccountAccess | CollectionError] = {}
        for acc in self._accounts.values():
            if acc.access is not None:
                known[acc.account_id] = acc.access
            elif acc.access_error is not None:
                known[acc.account_id] = acc.access_error
        return AccountSessions(
            self._aws,
            caller_account_id=self._caller,
            partition=self._partition,
            home_region=self._home,
            role_name=self._settings.role_name,
            external_id=self._settings.external_id,
            known=known,
        )

    def _account_org(self, acc: AccountState) -> None:
        assert acc.access is not None
        is_management = self._aws.read(
            acc.access,
            "organizations",
            self._home,
            "DescribeOrganization",
            lambda res: (res.get("Organization") or {}).get("MasterAccountId") == acc.account_id,
            not_configured=("AWSOrganizationsNotInUseException",),
            absent=False,
        )
        if not isinstance(is_management, CollectionError):
            acc.is_management = is_management

    def _resolve_regions(self, acc: AccountState) -> None:
        assert acc.access is not None
        requested = self._settings.regions
        res = self._aws.call(acc.access, "ec2", self._home, "DescribeRegions", record=False, AllRegions=True)
        if isinstance(res, CollectionError):
            if requested:
                fallback, source = tuple(requested), "the requested regions"
            else:
                fallback = tuple(
                    sorted(self._session.get_available_regions("cloudtrail", partition_name=self._partition))
                )
                source = f"botocore's list of {self._partition} regions for CloudTrail"
            err = dataclasses.replace(res, message=f"{res.message}; scanning {source} instead (opt-in status unknown)")
            self._record(err)
            acc.enabled = fallback
            return
        assert isinstance(res, dict)
        status = {
            str(r["RegionName"]): str(r.get("OptInStatus", ""))
            for r in res.get("Regions") or ()
            if self._partition_of(str(r["RegionName"])) == self._partition
        }
        opted_in = {name for name, st in status.items() if st != "not-opted-in"}
        if requested:
            acc.enabled = tuple(r for r in requested if r in opted_in)
            acc.disabled = tuple(r for r in requested if r not in opted_in)
        else:
            acc.enabled = tuple(sorted(opted_in))
            acc.disabled = tuple(sorted(set(status) - opted_in))

    # ------------------------------------------------------------------ account scan

    def _start_account_scan(self, acc: AccountState) -> None:
        acc.account_pab = not_collected(acc.account_id, self._home, "s3control", "GetPublicAccessBlock")
        self._submit(f"s3 buckets {acc.account_id}", lambda: self._list_buckets(acc))
        self._submit(f"s3 account BPA {acc.account_id}", lambda: self._account_pab(acc))
        for region in acc.enabled:
            unit = Counter(partial(self._progress.task_done, acc.account_id, region))
            reg = RegionState(account_id=acc.account_id, region=region, unit=unit)
            acc.regions[region] = reg
            self._submit(
                f"region {acc.account_id}/{region}",
                partial(self._scan_region, acc, reg),
                unit,
            )

    def _list_buckets(self, acc: AccountState) -> None:
        assert acc.access is not None
        acc.bucket_names = self._aws.read(
            acc.access,
            "s3",
            self._home,
            "ListBuckets",
            lambda res: frozenset(str(b["Name"]) for b in res.get("Buckets") or ()),
        )

    def _account_pab(self, acc: AccountState) -> None:
        assert acc.access is not None
        acc.account_pab = self._aws.read(
            acc.access,
            "s3control",
            self._home,
            "GetPublicAccessBlock",
            parse.public_access_block,
            not_configured=("NoSuchPublicAccessBlockConfiguration",),
            absent=None,
            AccountId=acc.account_id,
        )

    def _scan_region(self, acc: AccountState, reg: RegionState) -> None:
        assert acc.access is not None
        access, region = acc.access, reg.region
        reads = {
            "alarms": lambda: regional.read_alarms(self._aws, access, reg),
            "config": lambda: regional.read_config_recorders(self._aws, access, reg),
            "event data stores": lambda: regional.read_event_data_stores(self._aws, access, reg, acc.enabled),
        }
        for name, read in reads.items():
            self._submit(f"{name} {acc.account_id}/{region}", read, reg.unit)
        res = self._aws.call(access, "cloudtrail", region, "DescribeTrails", includeShadowTrails=True)
        if isinstance(res, CollectionError):
            reg.trail_arns = reg.log_groups = reg.metric_filters = res
            return
        assert isinstance(res, dict)
        listed = [t for t in res.get("trailList") or () if t.get("TrailARN")]
        reg.trail_arns = tuple(sorted({str(t["TrailARN"]) for t in listed}))
        to_claim: list[tuple[str, str, bool]] = []
        group_names: set[str] = set()
        with self._lock:
            for t in listed:
                arn = str(t["TrailARN"])
                home = str(t.get("HomeRegion") or arn_part(arn, 3))
                acc.trail_raw.setdefault(arn, dict(t))
                acc.trail_seen.setdefault(arn, set()).add(region)
                if arn not in acc.claimed and (home == region or home not in acc.enabled):
                    acc.claimed.add(arn)
                    to_claim.append((arn, home, bool(t.get("HasCustomEventSelectors", False))))
                lg_arn = str(t.get("CloudWatchLogsLogGroupArn") or "")
                if home == region and arn_part(lg_arn, 3) == region and arn_part(lg_arn, 4) == acc.account_id:
                    group_names.add(regional.log_group_name(lg_arn))
        for arn, home, custom in to_claim:
            self._submit_trail_details(acc, access, reg, arn, home, custom)
        if group_names:
            self._submit(
                f"log groups {acc.account_id}/{region}",
                lambda: regional.read_log_groups(self._aws, access, reg, sorted(group_names)),
                reg.unit,
            )
        else:
            reg.log_groups = ()
            reg.metric_filters = ()

    def _read_unclaimed_trails(self) -> None:
        """Read trails whose home region's DescribeTrails failed, from their home region anyway."""
        for acc in self._accounts.values():
            if acc.access is None:
                continue
            for arn in sorted(set(acc.trail_raw) - acc.claimed):
                raw = acc.trail_raw[arn]
                acc.claimed.add(arn)
                home = str(raw.get("HomeRegion") or arn_part(arn, 3))
                custom = bool(raw.get("HasCustomEventSelectors", False))
                self._submit_trail_details(acc, acc.access, None, arn, home, custom)

    def _submit_trail_details(
        self,
        acc: AccountState,
        access: AccountAccess,
        reg: RegionState | None,
        arn: str,
        home: str,
        custom: bool,
    ) -> None:
        details: dict[str, Any] = {}
        with self._lock:
            acc.trail_details[arn] = details

        def read(detail: str, operation: str, parser: Callable[[dict[str, Any]], Any], **params: Any) -> None:
            details[detail] = self._aws.read(access, "cloudtrail", home, operation, parser, resource=arn, **params)

        selectors = partial(parse.event_selectors, has_custom_selectors=custom)
        tasks = [
            partial(read, "status", "GetTrailStatus", parse.trail_status, Name=arn),
            partial(read, "selectors", "GetEventSelectors", selectors, TrailName=arn),
            partial(
                read,
                "insights",
                "GetInsightSelectors",
                parse.insight_types,
                not_configured=("InsightNotEnabledException",),
                TrailName=arn,
            ),
        ]
        if arn_part(arn, 4) == acc.account_id:  # tags are read from the owner only
            tags = partial(parse.trail_tags, arn=arn)
            tasks.append(partial(read, "tags", "ListTags", tags, paginate=True, ResourceIdList=[arn]))
        for task in tasks:
            self._submit(f"trail {task.args[0]} {arn}", task, reg.unit if reg is not None else None)

    # ------------------------------------------------------------------ buckets and keys

    def _plan_buckets_and_keys(self) -> Resources:
        """Each distinct bucket and key the trails name, read once (ListBuckets all done)."""
        accessible = {a.account_id: a.access for a in self._accounts.values() if a.access is not None}
        owners: dict[str, AccountAccess] = {}
        unknown: list[str] = []
        for account_id in sorted(accessible):
            names = self._accounts[account_id].bucket_names
            if isinstance(names, frozenset):
                for name in names:
                    owners.setdefault(name, accessible[account_id])
            else:
                unknown.append(account_id)
        resources = Resources(
            self._aws,
            partition=self._partition,
            home=self._home,
            trusted_accounts=self._settings.trusted_accounts,
            submit=self._submit,
            bucket_owners=owners,
            unlisted_accounts=tuple(unknown),
            accessible=accessible,
        )
        for account_id in sorted(accessible):
            acc = self._accounts[account_id]
            for arn in sorted(acc.trail_raw):
                raw = acc.trail_raw[arn]
                requester = accessible.get(arn_part(arn, 4)) or accessible[account_id]
                home = str(raw.get("HomeRegion") or arn_part(arn, 3))
                if raw.get("S3BucketName"):
                    resources.request_bucket(str(raw["S3BucketName"]), requester)
                if raw.get("KmsKeyId"):
                    resources.request_key(str(raw["KmsKeyId"]), requester, home)
        return resources


def _bucket_names(res: dict[str, Any]) -> frozenset[str]:
    """ListBuckets: the names of the account's buckets."""
    return frozenset(str(b["Name"]) for b in res.get("Buckets") or ())
