"""The Athena engine's tests against moto's Athena, Glue and S3: one account, DuckDB answering each query.

Every StartQueryExecution is answered with what DuckDB returns for the very
text Athena received (Trino, transpiled by sqlglot) over the same files,
encoded as Athena encodes results (:mod:`tests.logs.sql.moto_athena`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.athena.models import QueryResults, athena_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_api import state_manager

from auditor.aws.athena import AthenaOptions, read_athena, remote_window
from auditor.logs.sql import duckdb_engine
from tests.logs.factory import FIXTURES
from tests.logs.sql.moto_athena import (
    BUCKET,
    MOTO_ENV,
    REGION,
    TABLE,
    WINDOW,
    answer,
    corpus,
    duckdb_table,
    seed_bucket_and_table,
)

#: The Sigma rules the fixture's rules folder starts with.
SIGMA = ("aws_cloudtrail_disable_logging.yml", "aws_root_account_usage.yml")


@dataclass
class Athena:
    """A moto account with the trail bucket, the Glue table, and DuckDB answering each query."""

    session: boto3.Session
    root: Path
    rules: Path
    loaded: duckdb_engine.Loaded
    started: list[str] = field(default_factory=list)

    @property
    def backend(self) -> Any:
        return athena_backends[DEFAULT_ACCOUNT_ID][REGION]

    def options(self, **kw: Any) -> AthenaOptions:
        return AthenaOptions(table=TABLE, workgroup="primary", output=f"s3://{BUCKET}-results/q/", **kw)

    def read(self, runner_options: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        fast = {"poll_first": 0.001, "poll_max": 0.004}
        return read_athena(
            self.options(**kw),
            WINDOW,
            rules_dir=self.rules,
            session=self.session,
            runner_options={**fast, **(runner_options or {})},
        )

    def answer(self, params: dict[str, Any], **_: Any) -> None:
        """Register DuckDB's answer to the statement about to start, encoded as Athena returns it."""
        sql = params["QueryString"]
        self.started.append(sql)
        rows, info = answer(self.loaded, sql, self.root)
        self.backend.query_results_queue.append(QueryResults(rows=rows, column_info=info))


@pytest.fixture
def athena(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Athena]:
    for k, v in MOTO_ENV.items():
        monkeypatch.setenv(k, v)
    root = tmp_path / "bucket"
    corpus(root)
    rules = tmp_path / "rules"
    rules.mkdir()
    for name in SIGMA:
        shutil.copy(FIXTURES / "sigma" / "rules" / "cloud" / "aws" / "cloudtrail" / name, rules / name)
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        seed_bucket_and_table(session, root)
        session.client("s3").create_bucket(Bucket=f"{BUCKET}-results")
        loaded = duckdb_table(root, *remote_window(WINDOW))
        a = Athena(session, root, rules, loaded)
        session.events.register("provide-client-params.athena.StartQueryExecution", a.answer)
        try:
            yield a
        finally:
            loaded.con.close()
            state_manager.unset_transition("athena::execution")
