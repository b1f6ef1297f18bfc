"""import_repo against a real git repository served by `git http-backend` on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from vzero.config import Settings
from vzero.errors import InvalidInput, PayloadTooLarge, SourceError, UnsafeSource
from vzero.sources.fetch import SafeFetcher
from vzero.sources.repo import RepoSource, import_repo, parse_repo_url

OPEN = Settings(allow_private_urls=True)
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


class GitHttpServer:
    """Smart HTTP for every repository under `root`, through git's own CGI program."""

    def __init__(self, root: Path) -> None:
        self.requests: list[str] = []
        self.stall: float = 0.0
        self.redirect_to: str | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.cgi()

            def do_POST(self) -> None:  # noqa: N802
                self.cgi()

            def cgi(self) -> None:
                server.requests.append(self.path)
                if server.stall:
                    time.sleep(server.stall)
                    return
                if server.redirect_to:
                    self.send_response(302)
                    self.send_header("Location", server.redirect_to + self.path)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                path, _, query = self.path.partition("?")
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                env = {
                    "PATH": os.environ["PATH"], "GIT_PROJECT_ROOT": str(root), "GIT_HTTP_EXPORT_ALL": "1",
                    "PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": self.command,
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
                    "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                    "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""), "REMOTE_ADDR": "127.0.0.1",
                    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
                }
                out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, timeout=30).stdout
                separator = b"\r\n\r\n" if b"\r\n\r\n" in out else b"\n\n"
                head, _, payload = out.partition(separator)
                status, headers = 200, []
                for line in head.decode().splitlines():
                    name, _, value = line.partition(":")
                    if name.lower() == "status":
                        status = int(value.split()[0])
                    elif name:
                        headers.append((name, value.strip()))
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitHttpServer]:
    """A repository with a main branch, a `feature/new-ui` branch, links, a submodule and a big blob."""
    base = tmp_path_factory.mktemp("git")
    work = base / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "app").mkdir()
    (work / "app/page.tsx").write_text("export default function Page() { return 'main' }\n")
    (work / "package.json").write_text('{"name": "demo"}\n')
    (work / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (work / "node_modules/pkg").mkdir(parents=True)
    (work / "node_modules/pkg/index.js").write_text("module.exports = 1\n")
    (work / ".gitattributes").write_text("*.tsx filter=evil\n")  # a filter that must never run
    os.symlink("/etc/passwd", work / "passwd-link")
    os.symlink("../../..", work / "up-link")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "first")
    commit = git(work, "rev-parse", "HEAD").strip()
    git(work, "update-index", "--add", "--cacheinfo", f"160000,{commit},vendor/sub")  # a submodule entry
    git(work, "commit", "-q", "-m", "submodule")
    git(work, "checkout", "-q", "-b", "feature/new-ui")
    (work / "app/page.tsx").write_text("export default function Page() { return 'feature' }\n")
    (work / "apps/web").mkdir(parents=True)
    (work / "apps/web/index.ts").write_text("export const web = true\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "feature")
    git(work, "checkout", "-q", "-b", "big", "main")
    (work / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "big")
    git(work, "checkout", "-q", "main")
    root = base / "srv"
    (root / "group").mkdir(parents=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(root / "group/demo.git")], check=True, env={**os.environ, **GIT_ENV})
    server = GitHttpServer(root)
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def contents(files: list) -> dict[str, bytes]:
    return {f.path: f.content for f in files}


async def test_default_branch_is_imported_without_links_submodules_or_dependencies(served: GitHttpServer) -> None:
    files = contents(await import_repo(served.url("/group/demo.git"), None, OPEN))
    assert set(files) == {"app/page.tsx", "package.json", "logo.png", ".gitattributes"}
    assert files["app/page.tsx"] == b"export default function Page() { return 'main' }\n"
    assert files["logo.png"].startswith(b"\x89PNG")


async def test_branch_with_a_slash_is_imported(served: GitHttpServer) -> None:
    files = contents(await import_repo(served.url("/group/demo.git"), "feature/new-ui", OPEN))
    assert files["app/page.tsx"] == b"export default function Page() { return 'feature' }\n"
    assert "apps/web/index.ts" in files


async def test_tree_url_is_split_into_branch_and_folder(served: GitHttpServer) -> None:
    files = contents(await import_repo(served.url("/group/demo/-/tree/feature/new-ui/apps/web"), None, OPEN))
    assert files == {"index.ts": b"export const web = true\n"}


async def test_private_address_is_refused_before_git_runs(served: GitHttpServer) -> None:
    served.requests.clear()
    with pytest.raises(UnsafeSource, match="Refused to clone .*loopback"):
        await import_repo(served.url("/group/demo.git"), None, Settings())
    with pytest.raises(UnsafeSource, match="Refused to clone .*loopback"):
        await import_repo(f"http://localhost:{served.port}/group/demo.git", None, Settings())
    assert served.requests == []


def pretend_public(name: str) -> SafeFetcher:
    """A fetcher for default (strict) settings that treats `name` as a public host living at 127.0.0.1."""
    fetcher = SafeFetcher(Settings())
    real = fetcher.vetted_addresses

    async def vetted(url: httpx.URL, *, action: str = "fetch") -> list[str]:
        return ["127.0.0.1"] if url.host == name else await real(url, action=action)

    fetcher.vetted_addresses = vetted  # type: ignore[method-assign]
    return fetcher


async def test_git_connects_to_the_checked_address(served: GitHttpServer) -> None:
    # "repo.test" does not resolve: the clone only works because git is pinned to the checked address.
    url = f"http://repo.test:{served.port}/group/demo.git"
    files = contents(await import_repo(url, None, Settings(), fetcher=pretend_public("repo.test")))
    assert "package.json" in files


async def test_git_does_not_follow_redirects_to_unchecked_hosts(served: GitHttpServer) -> None:
    served.redirect_to = f"http://127.0.0.1:{served.port}/elsewhere"
    served.requests.clear()
    try:
        with pytest.raises(SourceError, match="redirects elsewhere"):
            await import_repo(f"http://repo.test:{served.port}/group/demo.git", None, Settings(), fetcher=pretend_public("repo.test"))
    finally:
        served.redirect_to = None
    assert all(not path.startswith("/elsewhere") for path in served.requests)


@pytest.mark.parametrize(
    "url",
    ["git@github.com:owner/repo.git", "ssh://git@github.com/owner/repo", "file:///tmp/repo", "ext::sh -c touch% /tmp/pwned"],
)
async def test_only_http_urls_can_be_cloned(url: str) -> None:
    with pytest.raises(UnsafeSource, match="only http and https"):
        await import_repo(url, None, OPEN)


async def test_missing_branch_and_missing_repository(served: GitHttpServer) -> None:
    with pytest.raises(SourceError, match="branch 'nope' was not found"):
        await import_repo(served.url("/group/demo.git"), "nope", OPEN)
    with pytest.raises(SourceError, match="Could not clone"):
        await import_repo(served.url("/group/absent.git"), None, OPEN)


async def test_clone_size_is_limited(served: GitHttpServer) -> None:
    with pytest.raises(PayloadTooLarge, match="VZERO_FETCH_MAX_BYTES"):
        await import_repo(served.url("/group/demo.git"), "big", Settings(allow_private_urls=True, fetch_max_bytes=1024 * 1024))


async def test_file_limits_apply_before_blobs_are_read(served: GitHttpServer) -> None:
    with pytest.raises(PayloadTooLarge, match="VZERO_MAX_FILE_BYTES"):
        await import_repo(served.url("/group/demo.git"), "big", Settings(allow_private_urls=True, max_file_bytes=1024 * 1024))
    with pytest.raises(PayloadTooLarge, match="VZERO_MAX_FILES"):
        await import_repo(served.url("/group/demo.git"), None, Settings(allow_private_urls=True, max_files=2))


async def test_stalled_server_hits_the_deadline(served: GitHttpServer) -> None:
    served.stall = 3.0
    try:
        started = time.monotonic()
        with pytest.raises(SourceError, match="took longer than 0.8 s"):
            await import_repo(served.url("/group/demo.git"), None, Settings(allow_private_urls=True, fetch_timeout=0.8))
        assert time.monotonic() - started < 2.5
    finally:
        served.stall = 0.0


@pytest.mark.parametrize(
    ("url", "branch", "expected"),
    [
        ("https://github.com/o/r", None, RepoSource("https://github.com/o/r.git", None, "")),
        ("https://github.com/o/r.git/", None, RepoSource("https://github.com/o/r.git", None, "")),
        ("https://github.com/o/r/tree/dev", None, RepoSource("https://github.com/o/r.git", "dev", "")),
        ("https://github.com/o/r/tree/main/apps/web", None, RepoSource("https://github.com/o/r.git", None, "", "main/apps/web")),
        ("https://github.com/o/r/tree/feat/x/app", "feat/x", RepoSource("https://github.com/o/r.git", "feat/x", "app")),
        ("https://gitlab.com/g/p/-/tree/dev", None, RepoSource("https://gitlab.com/g/p.git", "dev", "")),
        ("https://git.example.com/team/app.git", "v1.2", RepoSource("https://git.example.com/team/app.git", "v1.2", "")),
    ],
)
def test_parse_repo_url(url: str, branch: str | None, expected: RepoSource) -> None:
    assert parse_repo_url(url, branch) == expected


@pytest.mark.parametrize("branch", ["--upload-pack=touch /tmp/x", "-b", "a..b", "a b", "x.lock", "a\x00b", "x" * 251, ""])
def test_hostile_branch_names_are_refused(branch: str) -> None:
    with pytest.raises(InvalidInput):
        parse_repo_url("https://github.com/o/r", branch)


def test_github_url_without_repository_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not a repository URL"):
        parse_repo_url("https://github.com/only-owner")
