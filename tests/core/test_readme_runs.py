"""The README's usage examples run, as written, against moto_server (not only parse).

Each ``trail-auditor ...`` line of the README's Usage block is run in order by the
installed console script in one folder, against a moto_server seeded with what
the examples name: a profile ``prod``, an organisation, a validated trail ``org``,
a folder of CloudTrail logs and one of Sigma rules, a baseline and last week's
results. The only change to a command is the documentation account id
111122223333, which becomes moto's account. Every example must end with an
exit code the README documents for a finished run (0, 1 or 3): never a usage
error, never an internal error, never a traceback. (moto lacks CloudTrail
ListPublicKeys, so verify-logs ends with that call's ERROR and exit 1: the run
finished and says why.)
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import boto3

from tests.cli.conftest import moto_server, run_cli  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "logs"
MOTO_ACCOUNT = "123456789012"


def _usage_block() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    usage = readme.split("## Usage", 1)[1]
    block = re.search(r"```sh\n(.*?)```", usage, re.S)
    assert block, "the README's Usage section has a shell block"
    return [line for line in block.group(1).splitlines() if shlex.split(line, comments=True)[:1] == ["trail-auditor"]]


def _seed(endpoint: str) -> None:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    session.client("organizations", endpoint_url=endpoint).create_organization(FeatureSet="ALL")
    session.client("s3", endpoint_url=endpoint).create_bucket(Bucket="org-trail-logs")
    trail = session.client("cloudtrail", endpoint_url=endpoint)
    trail.create_trail(Name="org", S3BucketName="org-trail-logs", IsMultiRegionTrail=True, EnableLogFileValidation=True)
    trail.start_logging(Name="org")


def test_every_usage_example_runs_against_moto_server(moto_server: str, tmp_path: Path) -> None:  # noqa: F811
    _seed(moto_server)
    (tmp_path / "aws-config").write_text("[profile prod]\nregion = us-east-1\n")
    (tmp_path / "aws-credentials").write_text("[prod]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    shutil.copytree(FIXTURES / "stratus" / "detonation-logs", tmp_path / "cloudtrail-logs")
    shutil.copytree(FIXTURES / "sigma", tmp_path / "sigma")
    (tmp_path / "baseline.yaml").write_text("version: 1\n")
    env = {
        "AWS_ENDPOINT_URL": moto_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
    }
    lines = _usage_block()
    assert len(lines) >= 10
    ran = []
    for line in lines:
        argv = [a.replace("111122223333", MOTO_ACCOUNT) for a in shlex.split(line, comments=True)[1:]]
        if argv[0] == "gate" and not (tmp_path / "last-week.json").exists():
            shutil.copy(tmp_path / "results.json", tmp_path / "last-week.json")
        proc = run_cli(argv, env_extra=env, cwd=tmp_path)
        assert proc.returncode in (0, 1, 3), (line, proc.returncode, proc.stderr[-2000:])
        assert "Traceback" not in proc.stderr, (line, proc.stderr)
        assert "trail-auditor: error: internal error" not in proc.stderr, (line, proc.stderr)
        ran.append(argv[0])
    assert {"scan", "evaluate", "logs", "verify-logs", "report", "gate", "checks", "frameworks"} <= set(ran)
    assert (tmp_path / "snapshot.json").is_file() and (tmp_path / "audit.pdf").is_file()
