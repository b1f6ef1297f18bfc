"""Importing a git repository: a shallow, hook-free clone from a public http(s) host, read without a checkout."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import httpx

from vzero.config import Settings
from vzero.core.files import safe_path
from vzero.errors import InvalidInput, PayloadTooLarge, SourceError, UnsafeSource
from vzero.sources._types import ImportedFile, human_bytes
from vzero.sources.fetch import SafeFetcher, display_url, parse_url
from vzero.sources.filters import FileBudget, is_ignored

MAX_REF_CHARS = 250
# git 2.37 added http.curloptResolve, which pins the address git connects to (no second DNS lookup).
_MIN_PINNING_GIT = (2, 37)
_GITHUB_HOSTS = frozenset({"github.com", "www.github.com"})
_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")
_CREDENTIALS = re.compile(r"(?<=//)[^/@\s]+@")
_REGULAR_MODES = frozenset({b"100644", b"100755", b"100664"})

# Everything a clone could run or follow is switched off. A bare clone never checks files out, so no
# smudge/process filter, hook, symlink or case-folding trick on disk can fire; submodules are never fetched.
_SAFE_CONFIG = (
    "core.hooksPath=/dev/null",
    "core.symlinks=false",
    "core.fsmonitor=false",
    "protocol.file.allow=never",
    "protocol.ext.allow=never",
    "submodule.recurse=false",
    "filter.lfs.smudge=",
    "filter.lfs.process=",
    "filter.lfs.required=false",
    "credential.helper=",
    "http.followRedirects=false",  # a redirect would reach a host whose address was never checked
    "http.proxy=",
)


@dataclass(frozen=True, slots=True)
class RepoSource:
    """What to clone: the clone URL, the ref (None for the default branch) and an optional sub-folder."""

    clone_url: str
    ref: str | None
    subdir: str
    ref_path: str | None = None  # `tree/<ref>/<folder>` text still to be split once the refs are known


async def import_repo(
    url: str, branch: str | None, settings: Settings, *, fetcher: SafeFetcher | None = None
) -> list[ImportedFile]:
    """The files of one branch of a repository, cloned shallowly over http(s) within the fetch limits."""
    source = parse_repo_url(url, branch)
    target = parse_url(source.clone_url, action="clone")
    fetcher = fetcher or SafeFetcher(settings)
    addresses = await fetcher.vetted_addresses(target, action="clone")
    if git_version() < _MIN_PINNING_GIT and not settings.allow_private_urls:
        raise SourceError(
            "Importing repositories needs git 2.37 or newer (it pins the checked address);"
            " upgrade git, or set VZERO_ALLOW_PRIVATE_URLS=true to accept the risk"
        )
    shown = display_url(target)
    try:
        async with asyncio.timeout(settings.fetch_timeout):
            with tempfile.TemporaryDirectory(prefix="vzero-repo-") as workdir:
                git = _Git(Path(workdir), settings, target, addresses)
                if source.ref_path is not None:
                    source = await _split_ref_path(git, source)
                await git.clone(source.ref, shown)
                return await _read_files(git, source, settings)
    except TimeoutError:
        raise SourceError(f"Cloning {shown} took longer than {settings.fetch_timeout:g} s (VZERO_FETCH_TIMEOUT)") from None


def parse_repo_url(url: str, branch: str | None = None) -> RepoSource:
    """Understand plain clone URLs and GitHub/GitLab web URLs such as https://github.com/o/r/tree/main/app."""
    parsed = parse_url(url, action="clone")
    if branch is not None:
        branch = _check_ref(branch)
    ref_path: str | None = None
    parts = [p for p in parsed.path.split("/") if p]
    if parsed.host.lower() in _GITHUB_HOSTS:
        if len(parts) < 2:
            raise InvalidInput(f"{display_url(parsed)} is not a repository URL; expected https://github.com/<owner>/<repo>")
        owner, name = parts[0], parts[1].removesuffix(".git")
        clone = parsed.copy_with(host="github.com", path=f"/{owner}/{name}.git", query=None)
        if len(parts) >= 4 and parts[2] == "tree":
            ref_path = "/".join(parts[3:])
    elif "-" in parts and parts.index("-") >= 2 and parts[parts.index("-") + 1 : parts.index("-") + 2] == ["tree"]:
        dash = parts.index("-")  # GitLab: /<group>/<project>/-/tree/<ref>/<folder>
        clone = parsed.copy_with(path="/" + "/".join(parts[:dash]) + ".git", query=None)
        ref_path = "/".join(parts[dash + 2 :]) or None
    else:
        clone = parsed
    if ref_path is not None:
        ref_path = httpx.URL("http://x/" + ref_path).path[1:]  # percent-decoded
    if branch is not None:
        subdir = ""
        if ref_path is not None and ref_path.startswith(branch + "/"):
            subdir = safe_path(ref_path[len(branch) + 1 :])
        return RepoSource(str(clone), branch, subdir)
    if ref_path is not None and "/" not in ref_path:
        return RepoSource(str(clone), _check_ref(ref_path), "")
    return RepoSource(str(clone), None, "", ref_path)


@lru_cache(maxsize=1)
def git_version() -> tuple[int, int]:
    """The installed git's (major, minor), or SourceError when git is missing."""
    git = shutil.which("git")
    if git is None:
        raise SourceError("git is not installed; install git to import repositories")
    out = subprocess.run([git, "--version"], capture_output=True, text=True, timeout=10, check=False).stdout
    match = re.search(r"(\d+)\.(\d+)", out)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


class _Git:
    """Runs git in a private directory with a scrubbed environment, a pinned address and hard limits."""

    def __init__(self, workdir: Path, settings: Settings, url: httpx.URL, addresses: list[str]) -> None:
        self.workdir = workdir
        self.repo = workdir / "repo.git"
        self.settings = settings
        self.url = str(url)
        port = url.port or (443 if url.scheme == "https" else 80)
        pinned = ",".join(f"[{a}]" if ":" in a else a for a in addresses)
        self.config = [*_SAFE_CONFIG, f"http.curloptResolve={url.raw_host.decode('ascii')}:{port}:{pinned}"]
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "HOME": str(workdir),
            "LC_ALL": "C",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_LFS_SKIP_SMUDGE": "1",
            "GIT_ALLOW_PROTOCOL": "http:https",
            "GIT_PROTOCOL_FROM_USER": "0",
            "GIT_NO_REPLACE_OBJECTS": "1",
        }

    async def clone(self, ref: str | None, shown: str) -> None:
        args = ["clone", "--bare", "--depth", "1", "--single-branch", "--no-tags", "--template="]
        if ref is not None:
            args.append(f"--branch={ref}")
        code, _, err = await self.run(*args, "--", self.url, str(self.repo), watch=True)
        if code != 0:
            raise _clone_error(err, ref, shown)

    async def ls_remote_refs(self) -> list[str]:
        code, out, _ = await self.run("ls-remote", "--heads", "--tags", "--", self.url)
        if code != 0:
            return []
        names = []
        for line in out.decode("utf-8", "replace").splitlines():
            ref = line.partition("\t")[2]
            for prefix in ("refs/heads/", "refs/tags/"):
                if ref.startswith(prefix):
                    names.append(ref[len(prefix) :].removesuffix("^{}"))
        return names

    async def run(self, *args: str, stdin: bytes | None = None, watch: bool = False) -> tuple[int, bytes, bytes]:
        """Run one git command; kill its whole process group on timeout, error or when the clone grows too big."""
        command = ["git"]
        for item in self.config:
            command += ["-c", item]
        command += args
        cwd = self.repo if self.repo.exists() else self.workdir
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=cwd,
            env=self.env,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # its own process group, so git-remote-https dies with it
        )
        try:
            talk = asyncio.ensure_future(process.communicate(stdin))
            while watch and not talk.done():
                await asyncio.wait({talk}, timeout=0.1)
                self._check_size()
            out, err = await talk
            if watch:
                self._check_size()  # a fast clone can finish between two looks
        except BaseException:
            _kill_group(process)
            await process.wait()
            raise
        return process.returncode or 0, out, err


    def _check_size(self) -> None:
        if _disk_usage(self.workdir) > self.settings.fetch_max_bytes:
            limit = human_bytes(self.settings.fetch_max_bytes)
            raise PayloadTooLarge(f"The repository is larger than {limit} (VZERO_FETCH_MAX_BYTES)")


async def _split_ref_path(git: _Git, source: RepoSource) -> RepoSource:
    """Split `feature/x/app` into the longest ref the remote has and the folder after it."""
    assert source.ref_path is not None
    best = ""
    for name in await git.ls_remote_refs():
        if (source.ref_path == name or source.ref_path.startswith(name + "/")) and len(name) > len(best):
            best = name
    if not best:
        best = source.ref_path.split("/", 1)[0]
    rest = source.ref_path[len(best) + 1 :]
    return RepoSource(source.clone_url, _check_ref(best), safe_path(rest) if rest else "")


async def _read_files(git: _Git, source: RepoSource, settings: Settings) -> list[ImportedFile]:
    """List the tree (sizes known before reading), filter and budget it, then read the blobs in one batch."""
    code, listing, err = await git.run("ls-tree", "-r", "-z", "-l", "--full-tree", "HEAD")
    if code != 0:
        raise SourceError(f"The cloned repository could not be listed: {_last_line(err)}")
    budget = FileBudget(settings)
    chosen: list[tuple[str, str]] = []
    prefix = source.subdir + "/" if source.subdir else ""
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, raw_path = record.partition(b"\t")
        mode, kind, object_id, size = meta.split()
        if kind != b"blob" or mode not in _REGULAR_MODES:
            continue  # symlinks (120000) and submodules (160000) are skipped, never followed
        try:
            name = raw_path.decode("utf-8")
        except UnicodeDecodeError:
            raise SourceError(f"The repository has a file name that is not UTF-8: {raw_path[:120]!r}") from None
        if prefix:
            if not name.startswith(prefix):
                continue
            name = name[len(prefix) :]
        path = safe_path(name)
        if is_ignored(path):
            continue
        budget.add(path, int(size))
        chosen.append((path, object_id.decode("ascii")))
    if prefix and not chosen:
        raise SourceError(f"The folder {source.subdir!r} was not found (or holds no files) in that branch")
    if not chosen:
        return []
    code, blobs, err = await git.run("cat-file", "--batch", stdin="".join(f"{blob}\n" for _, blob in chosen).encode())
    if code != 0:
        raise SourceError(f"The cloned repository could not be read: {_last_line(err)}")
    files: list[ImportedFile] = []
    position = 0
    for path, _ in chosen:
        end = blobs.index(b"\n", position)
        header = blobs[position:end].split()
        if len(header) != 3 or header[1] != b"blob":
            raise SourceError(f"The cloned repository is missing the content of {path}")
        length = int(header[2])
        files.append(ImportedFile(path, blobs[end + 1 : end + 1 + length]))
        position = end + 1 + length + 1
    return files


def _check_ref(ref: str) -> str:
    """A branch or tag name git accepts and that cannot be mistaken for an option."""
    if not isinstance(ref, str) or not ref or len(ref) > MAX_REF_CHARS:
        raise InvalidInput(f"The branch name must be 1 to {MAX_REF_CHARS} characters long")
    if ref.startswith(("-", "/", ".")) or ref.endswith(("/", ".", ".lock")) or _REF_FORBIDDEN.search(ref) or ref == "@":
        raise UnsafeSource(f"{ref[:120]!r} is not a valid branch name")
    return ref


def _clone_error(err: bytes, ref: str | None, shown: str) -> SourceError:
    line = _last_line(err)
    lowered = line.lower()
    if ref is not None and "remote branch" in lowered and "not found" in lowered:
        return SourceError(f"The branch {ref!r} was not found in {shown}")
    if "not found" in lowered or "could not read username" in lowered or "authentication failed" in lowered:
        return SourceError(f"Could not clone {shown}: the repository does not exist or is not public ({line})")
    if "redirect" in lowered or re.search(r"returned error: 30[1278]", lowered):
        return SourceError(f"Could not clone {shown}: the server redirects elsewhere; use the final repository URL")
    return SourceError(f"Could not clone {shown}: {line or 'git failed'}")


def _last_line(err: bytes) -> str:
    lines = [line.strip() for line in err.decode("utf-8", "replace").splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    text = (fatal or lines or [""])[-1]
    return _CREDENTIALS.sub("", text)[:300]


def _disk_usage(root: Path) -> int:
    total = 0
    for directory, _, names in os.walk(root):
        for name in names:
            try:
                total += os.lstat(os.path.join(directory, name)).st_size
            except OSError:
                continue  # git renames temporary files while we look
    return total


def _kill_group(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
