"""Evidence packages: a round trip verifies; every kind of tampering, and every hostile zip, fails."""

from __future__ import annotations

import hashlib
import json
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditor.report import package as pkg
from auditor.report.package import (
    MANIFEST,
    SIGNATURE,
    PackageError,
    build_package,
    verify_package,
)

FILES = {
    "results.json": b'{"findings": []}\n',
    "snapshot.json": b'{"format": "trail-auditor-snapshot"}\n',
    "log-evidence.json": b"{}\n",
    "reports/report.html": b"<html>report</html>",
}


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _build(tmp_path: Path, key: Ed25519PrivateKey | None = None, name: str = "pkg.zip") -> Path:
    return build_package(
        tmp_path / name, FILES, tool_version="9.9.9", created_at="2026-11-20T12:03:41Z", scan_id="scan-1", sign_key=key
    )


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def _rewrite(src: Path, dst: Path, change: Callable[[dict[str, bytes]], dict[str, bytes]]) -> Path:
    members = change(_members(src))
    with zipfile.ZipFile(dst, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return dst


def _bad(report: pkg.PackageReport) -> dict[str, str]:
    return dict(report.problems)


def test_round_trip_signed_verifies_with_the_right_key(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    path = _build(tmp_path, key)
    report = verify_package(path, key.public_key())
    assert report.ok and report.signature == "valid"
    assert sorted(report.verified) == sorted(FILES)
    assert report.tool_version == "9.9.9"
    manifest = json.loads(_members(path)[MANIFEST])
    entry = next(f for f in manifest["files"] if f["path"] == "results.json")
    assert entry == {
        "path": "results.json",
        "sha256": hashlib.sha256(FILES["results.json"]).hexdigest(),
        "size": len(FILES["results.json"]),
    }


def test_the_same_inputs_build_the_same_bytes(tmp_path: Path) -> None:
    assert _build(tmp_path, name="a.zip").read_bytes() == _build(tmp_path, name="b.zip").read_bytes()


def test_unsigned_round_trip_verifies_and_says_it_is_unsigned(tmp_path: Path) -> None:
    report = verify_package(_build(tmp_path))
    assert report.ok and report.signature == "unsigned" and "not signed" in report.notes[0]


def test_a_changed_member_fails(tmp_path: Path) -> None:
    path = _rewrite(
        _build(tmp_path), tmp_path / "t.zip", lambda m: {**m, "results.json": b'{"findings": ["hidden"]}\n'}
    )
    report = verify_package(path)
    assert not report.ok and _bad(report)["results.json"].startswith("changed:")


def test_an_added_member_fails(tmp_path: Path) -> None:
    path = _rewrite(_build(tmp_path), tmp_path / "t.zip", lambda m: {**m, "reports/extra.html": b"x"})
    assert _bad(verify_package(path))["reports/extra.html"].startswith("added:")


def test_a_removed_member_fails(tmp_path: Path) -> None:
    path = _rewrite(
        _build(tmp_path), tmp_path / "t.zip", lambda m: {k: v for k, v in m.items() if k != "snapshot.json"}
    )
    assert _bad(verify_package(path))["snapshot.json"].startswith("removed:")


def test_a_changed_manifest_fails_by_hash_and_by_signature(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    def forge(m: dict[str, bytes]) -> dict[str, bytes]:
        doc = json.loads(m[MANIFEST])
        new = b'{"findings": ["forged"]}\n'
        for f in doc["files"]:
            if f["path"] == "results.json":
                f["sha256"], f["size"] = hashlib.sha256(new).hexdigest(), len(new)
        return {**m, "results.json": new, MANIFEST: json.dumps(doc).encode()}

    signed = _rewrite(_build(tmp_path, key), tmp_path / "t.zip", forge)
    report = verify_package(signed, key.public_key())
    assert not report.ok and report.signature == "invalid" and SIGNATURE in _bad(report)
    # without the signature a consistent rewrite is undetectable, and the report says so
    assert verify_package(signed).signature == "not checked"
    stale = _rewrite(
        _build(tmp_path, name="u.zip"),
        tmp_path / "s.zip",
        lambda m: {**m, MANIFEST: m[MANIFEST].replace(b'"size": 3', b'"size": 4')},
    )
    assert _bad(verify_package(stale))["log-evidence.json"].startswith("changed:")


def test_a_bad_signature_and_a_wrong_key_fail(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    path = _build(tmp_path, key)
    flipped = _rewrite(
        path, tmp_path / "f.zip", lambda m: {**m, SIGNATURE: bytes([m[SIGNATURE][0] ^ 1]) + m[SIGNATURE][1:]}
    )
    assert verify_package(flipped, key.public_key()).signature == "invalid"
    short = _rewrite(path, tmp_path / "s.zip", lambda m: {**m, SIGNATURE: b"short"})
    assert "64 bytes" in _bad(verify_package(short, key.public_key()))[SIGNATURE]
    other = Ed25519PrivateKey.generate().public_key()
    assert verify_package(path, other).signature == "invalid"
    unsigned = _build(tmp_path, name="unsigned.zip")
    assert _bad(verify_package(unsigned, key.public_key()))[SIGNATURE].startswith("missing")


@pytest.mark.parametrize(
    "name", ["../evil.json", "/etc/passwd", "a/../../b", "reports\\x.html", "C:x", "a//b", "bad\x1bname"]
)
def test_path_traversal_and_odd_names_are_bad_members(tmp_path: Path, name: str) -> None:
    path = _rewrite(_build(tmp_path), tmp_path / "t.zip", lambda m: {**m, name: b"x"})
    report = verify_package(path)
    assert not report.ok and name in _bad(report)


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    path = _build(tmp_path)
    with zipfile.ZipFile(path, "a") as zf, pytest.warns(UserWarning):
        zf.writestr("results.json", b'{"findings": ["shadow"]}\n')
    assert "duplicate" in _bad(verify_package(path))["results.json"]


def test_symlinks_and_folders_are_refused(tmp_path: Path) -> None:
    path = _build(tmp_path)
    with zipfile.ZipFile(path, "a") as zf:
        link = zipfile.ZipInfo("reports/link")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr(zipfile.ZipInfo("reports/dir/"), b"")
    bad = _bad(verify_package(path))
    assert bad["reports/link"] == "a symbolic link" and bad["reports/dir/"] == "a folder entry"


def test_a_member_that_inflates_past_the_bound_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bomb.zip"
    big = b"\0" * (3 * 1024 * 1024)
    files = {"results.json": big}
    build_package(path, files, tool_version="1", created_at="2026-01-01T00:00:00Z")
    monkeypatch.setattr(pkg, "MAX_MEMBER_BYTES", 2 * 1024 * 1024)
    # the declared size is caught before inflating ...
    assert "member limit" in _bad(verify_package(path))["results.json"]
    # ... and a header that understates it is refused while inflating (zipfile stops at the declared size)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("results.json")
        info.file_size = 10
        assert pkg._hash_member(zf, info) == "cannot be read (BadZipFile)"


def test_too_many_members_is_not_a_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _build(tmp_path)
    monkeypatch.setattr(pkg, "MAX_MEMBERS", 2)
    with pytest.raises(PackageError, match="over the limit"):
        verify_package(path)


@pytest.mark.parametrize("content", [b"not a zip", b""])
def test_garbage_is_not_a_package(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.zip"
    path.write_bytes(content)
    with pytest.raises(PackageError, match="not a zip"):
        verify_package(path)


def test_a_zip_without_manifest_or_with_a_foreign_one_is_not_a_package(tmp_path: Path) -> None:
    bare = _rewrite(_build(tmp_path), tmp_path / "bare.zip", lambda m: {k: v for k, v in m.items() if k != MANIFEST})
    with pytest.raises(PackageError, match=r"no manifest\.json"):
        verify_package(bare)
    foreign = _rewrite(_build(tmp_path), tmp_path / "f.zip", lambda m: {**m, MANIFEST: b'{"format": "other"}'})
    with pytest.raises(PackageError, match="not a trail-auditor evidence package"):
        verify_package(foreign)
    deep = _rewrite(_build(tmp_path), tmp_path / "d.zip", lambda m: {**m, MANIFEST: b"[" * 5000 + b"]" * 5000})
    with pytest.raises(PackageError):
        verify_package(deep)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "p.zip"
    os.mkfifo(fifo)
    with pytest.raises(PackageError, match="not a regular file"):
        verify_package(fifo)


def test_member_names_the_builder_refuses(tmp_path: Path) -> None:
    from auditor.report.interface import ReportError

    for name in ("../x", MANIFEST, "/abs"):
        with pytest.raises(ReportError):
            build_package(tmp_path / "x.zip", {name: b"x"}, tool_version="1", created_at="2026-01-01T00:00:00Z")
