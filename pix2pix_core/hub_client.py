"""The Hugging Face Hub client every Hub call goes through: repo id and revision checks, offline rules, bounded
timeouts, commit pinning, the cache layout, and one wording for every failure.

``HF_ENDPOINT``, ``HF_HUB_OFFLINE``, ``HF_HOME``, ``HF_HUB_CACHE`` and ``PIX2PIX_HUB_TIMEOUT`` are read when a call is
made (not at import), so they can be set at any time. Model layouts live in :mod:`pix2pix_core.weights.hub`, dataset
reading in :mod:`pix2pix_core.training.hub_datasets`.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from huggingface_hub import HfApi, hf_hub_download, hf_hub_url
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.file_download import repo_folder_name
from huggingface_hub.utils import get_session

from .atomic import atomic_write_text
from .errors import HubError
from .paths import contained_path

REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")
REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$")
COMMIT = re.compile(r"^[0-9a-f]{40}$")
def is_repo_id(source: str | os.PathLike) -> bool:
    """Whether ``source`` should be read as a Hub repo id rather than a local path."""
    text = str(source)
    return not Path(text).expanduser().exists() and text.count("/") == 1 and not text.startswith((".", "/", "~"))


def check_repo_id(repo_id: str) -> None:
    if not REPO_ID.match(repo_id or "") or ".." in repo_id or repo_id.endswith((".git", ".")):
        raise HubError(
            f"{repo_id!r} is neither an existing local path nor a valid Hub repo id. A repo id looks like "
            "'org/name' (letters, digits, '-', '_', '.'; no spaces, no '..'), e.g. 'huggan/pix2pix-edge2shoes'."
        )


def check_revision(revision: str | None) -> None:
    """A branch, tag or commit as the Hub accepts them (git ref rules): never a path that could climb out."""
    if revision is None:
        return
    if (not isinstance(revision, str) or not REVISION.match(revision) or ".." in revision or "//" in revision
            or revision.endswith(("/", ".", ".lock"))):
        raise HubError(f"revision {revision!r} is not a valid branch, tag or commit name (letters, digits, '.', '_', "
                       "'-' and '/' between names; no '..'), e.g. 'main', 'v1.0' or a 40-character commit id.")


def checked_commit(commit: str | None, repo_id: str) -> str:
    """The commit id a server answered: it becomes part of cache paths, so it must be a plain 40-hex id."""
    if not isinstance(commit, str) or not COMMIT.match(commit):
        raise HubError(f"the Hub's answer for {repo_id} carries no valid commit id ({str(commit)[:60]!r}): the "
                       f"endpoint {endpoint()} does not behave like the Hugging Face Hub.")
    return commit


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def fetch_file(repo_id: str, filename: str, *, revision: str | None = None, cache_dir=None, local_dir=None,
               local_files_only: bool | None = None, token: str | bool | None = None) -> Path:
    """One file of a repo (auxiliary weights such as HED), with the same pinning and offline rules as models:
    the repo is listed first (one bounded request, no retries), so a missing network fails at once."""
    check_repo_id(repo_id)
    check_revision(revision)
    if local_files_only is None:
        local_files_only = offline()
    if not local_files_only:
        commit, files = list_repo(repo_id, revision, token, filename, local_dir)
        if filename not in files:
            raise HubError(f"{repo_id}@{revision or 'main'} has no file {filename}; files in the repo: "
                           f"{', '.join(sorted(files)[:20]) or 'none'}.")
        return fetch(repo_id, filename, commit, cache_dir, local_dir, token, revision)
    path = local_file(repo_id, filename, revision, cache_dir, local_dir)
    if path is None:
        raise HubError(f"offline (HF_HUB_OFFLINE or local_files_only) and {filename} of {repo_id}@{revision or 'main'} "
                       f"is not in the local files. {by_hand(repo_id, revision, filename, local_dir)}")
    return path


def remember_ref(repo_id: str, revision: str, commit: str, cache_dir=None, repo_type: str = "model") -> None:
    """Point the cache's ref for ``revision`` at ``commit`` (the files were fetched by commit, which records no ref),
    so that offline loads by branch or tag find them, as huggingface_hub's own cache layout expects."""
    if revision == commit:
        return
    refs = cached_repo(repo_id, repo_type, cache_dir) / "refs"
    atomic_write_text(contained_path(refs, revision, what="revision", nested=True), commit)


def cached_repo(repo_id: str, repo_type: str = "model", cache_dir=None) -> Path:
    """The folder of a repo in the Hub cache (``datasets--org--name`` for a dataset)."""
    root = Path(cache_dir) if cache_dir is not None else default_cache()
    return root / repo_folder_name(repo_id=repo_id, repo_type=repo_type)


def default_cache() -> Path:
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "huggingface"
    return Path(home) / "hub"


def list_repo(repo_id: str, revision: str | None, token: str | bool | None, filename: str | None = None,
              local_dir=None, instead: str | None = None) -> tuple[str, list[str]]:
    """The commit ``revision`` resolves to and the repo's file names (one bounded request, no retries)."""
    try:
        info = HfApi(endpoint=endpoint(), token=token).model_info(repo_id, revision=revision, timeout=timeout())
    except Exception as exc:  # noqa: BLE001 - translated into one clear message
        raise explain(exc, repo_id, revision, filename, local_dir, instead) from exc
    return checked_commit(info.sha, repo_id), [s.rfilename for s in info.siblings or []]


def timeout() -> float:
    """Seconds one Hub request may wait for an answer (``PIX2PIX_HUB_TIMEOUT``, default 30)."""
    try:
        return max(0.1, float(os.environ.get("PIX2PIX_HUB_TIMEOUT", 30)))
    except ValueError as exc:
        raise HubError(f"PIX2PIX_HUB_TIMEOUT must be a number of seconds, got "
                       f"{os.environ['PIX2PIX_HUB_TIMEOUT']!r}.") from exc


class RequestTimedOut(TimeoutError):
    """A Hub request of a push got no answer within :func:`timeout` seconds."""


@dataclass
class _BoundedWork:
    repo_id: str
    done: threading.Event = field(default_factory=threading.Event)
    gave_up: threading.Event = field(default_factory=threading.Event)
    outcome: dict = field(default_factory=dict)

    def timed_out(self, exc: Exception) -> None:
        self.outcome.setdefault("timed_out", exc)
        self.done.set()


_ACTIVE: list[_BoundedWork] = []  # the bounded works in progress (huggingface_hub sends from threads of its own)


def _bounded_send(send: Callable) -> Callable:
    """huggingface_hub's session ``send``, unchanged while no :func:`run_bounded` work is in progress. During one,
    each request gets :func:`timeout` for its connect, read and write (harmless for other callers), a timeout ends
    the work's wait, and requests for a repo whose work was given up fail at once."""
    def bounded(request, *args, **options):
        works = list(_ACTIVE)
        if not works:
            return send(request, *args, **options)
        url = str(getattr(request, "url", ""))
        mine = [work for work in works if f"/{work.repo_id}/" in url] or works
        if all(work.gave_up.is_set() for work in mine):
            raise RequestTimedOut("this push was given up after a request that got no answer")
        if hasattr(request, "extensions"):  # httpx (huggingface_hub 1.x+): the timeout travels with the request
            request.extensions["timeout"] = dict.fromkeys(("connect", "read", "write", "pool"), timeout())
        else:  # requests (older huggingface_hub)
            options["timeout"] = timeout()
        try:
            return send(request, *args, **options)
        except Exception as exc:
            if "Timeout" in type(exc).__name__:
                for work in mine:
                    work.timed_out(exc)
            raise

    bounded.pix2pix_bounded = True
    return bounded


def run_bounded(repo_id: str, work: Callable[[], object]) -> object:
    """``work()`` (calls about ``repo_id`` through huggingface_hub's shared HTTP session, whose requests carry no
    timeout) with each request bounded by :func:`timeout`, and the whole wait ended by the first request that times
    out (huggingface_hub would retry it with back-off, for minutes). The work runs in a worker thread; once it is
    given up, each further request it makes fails at once."""
    session = get_session()
    if not getattr(session.send, "pix2pix_bounded", False):
        session.send = _bounded_send(session.send)
    state = _BoundedWork(repo_id)

    def run() -> None:
        try:
            state.outcome["result"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            state.outcome.setdefault("error", exc)
        finally:
            _ACTIVE.remove(state)
            state.done.set()

    _ACTIVE.append(state)
    threading.Thread(target=run, name="pix2pix-hub-request", daemon=True).start()
    try:
        state.done.wait()
    finally:
        state.gave_up.set()
    for failure in ("timed_out", "error"):
        if failure in state.outcome:
            raise state.outcome[failure]
    return state.outcome["result"]


def fetch(repo_id: str, filename: str, commit: str, cache_dir, local_dir, token, revision) -> Path:
    try:
        return Path(hf_hub_download(repo_id, filename, revision=commit, cache_dir=cache_dir, local_dir=local_dir,
                                    token=token, endpoint=endpoint(), etag_timeout=timeout()))
    except Exception as exc:  # noqa: BLE001 - translated into one clear message
        raise explain(exc, repo_id, revision, filename, local_dir) from exc


def local_file(repo_id: str, filename: str, revision, cache_dir, local_dir) -> Path | None:
    if local_dir is not None and (Path(local_dir) / filename).is_file():
        return Path(local_dir) / filename
    try:
        return Path(hf_hub_download(repo_id, filename, revision=revision, cache_dir=cache_dir,
                                    local_files_only=True))
    except (LocalEntryNotFoundError, EntryNotFoundError, OfflineModeIsEnabled, FileNotFoundError):
        return None


def _manual_folder(repo_id: str, local_dir) -> Path:
    return Path(local_dir) if local_dir is not None else Path.cwd() / repo_id.split("/")[1]


def by_hand(repo_id: str, revision: str | None, filename: str | None, local_dir, candidates=()) -> str:
    """How to get the file(s) without this code: where they are on the Hub and where to put them; ``candidates``
    are the layouts (name, files) a model may come in, when no single file is meant."""
    folder = _manual_folder(repo_id, local_dir)
    if filename is not None:
        url = hf_hub_url(repo_id, filename, revision=revision or "main", endpoint=endpoint())
        return f"Download {url} by hand and put it at {folder / filename} (or pass that path directly)."
    files = " or ".join(" + ".join(wanted) for _, wanted in candidates) or "the repo's files"
    return (f"Download {files} from {endpoint()}/{repo_id}/tree/{revision or 'main'} by hand into {folder}, "
            "then load that folder.")


def explain(exc: Exception, repo_id: str, revision: str | None, filename: str | None = None,
            local_dir=None, instead: str | None = None) -> HubError:
    """A download failure in words; ``instead`` (default: how to fetch the files by hand) ends the network
    messages. The local-cache miss (which subclasses EntryNotFoundError) is a network failure, not a missing file,
    so it is tested before the Hub's own answers."""
    at = f"{repo_id}@{revision or 'main'}" + (f" file {filename}" if filename else "")
    instead = instead or by_hand(repo_id, revision, filename, local_dir)
    if isinstance(exc, GatedRepoError):
        return HubError(f"{repo_id} is gated: accept its conditions on the Hub, then pass token=... (or log in with "
                        "`hf auth login`).")
    if isinstance(exc, RepositoryNotFoundError):
        return HubError(f"{repo_id} was not found, or it is private and no valid token was given (it is not a local "
                        "path either). Check the id or path, or pass token=... / set HF_TOKEN for a private repo.")
    if isinstance(exc, RevisionNotFoundError):
        return HubError(f"{repo_id} has no revision {revision!r}: give a branch, tag or commit that exists.")
    if isinstance(exc, EntryNotFoundError) and not isinstance(exc, LocalEntryNotFoundError):
        return HubError(f"{at} does not exist in the repo.")
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        return HubError(f"the Hub answered HTTP {exc.response.status_code} for {at}: {first_line(exc)}")
    if "Timeout" in type(exc).__name__:
        return HubError(
            f"the Hub at {endpoint()} did not answer within {timeout():g} s for {at} ({type(exc).__name__}). "
            "Nothing partial was kept. Check the network connection (and HF_ENDPOINT if set), raise "
            f"PIX2PIX_HUB_TIMEOUT, or set HF_HUB_OFFLINE=1 to use files already downloaded. {instead}")
    return HubError(
        f"could not download {at} from {endpoint()}: the Hub could not be reached ({type(exc).__name__}: "
        f"{first_line(exc)}). Nothing partial was kept. Check the network connection (and HF_ENDPOINT if set), "
        f"or set HF_HUB_OFFLINE=1 to use files already downloaded. {instead}"
    )


def explain_upload(exc: Exception, repo_id: str) -> HubError:
    """An upload failure in words: what failed and what to do (the repo is unchanged: a push is one commit)."""
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        status = exc.response.status_code
        if status in (401, 403):
            return HubError(f"pushing to {repo_id} needs a token with write access to it: pass token=... "
                            "(`pix2pix push --token`), set HF_TOKEN, or log in with `hf auth login`.")
        return HubError(f"the Hub refused the upload to {repo_id} (HTTP {status}: {first_line(exc)}). No commit "
                        "was made; fix what it names and push again.")
    if "Timeout" in type(exc).__name__:
        return HubError(
            f"the Hub at {endpoint()} did not answer within {timeout():g} s while pushing to {repo_id} "
            f"({type(exc).__name__}); the push was stopped, and the translator on disk is unchanged. Unless the Hub "
            f"made the commit without answering (see {endpoint()}/{repo_id}), no commit was made. Check the network "
            "connection (and HF_ENDPOINT if set) or raise PIX2PIX_HUB_TIMEOUT, then push again.")
    return HubError(
        f"could not upload to {repo_id}: {endpoint()} could not be reached ({type(exc).__name__}: "
        f"{first_line(exc)}). No commit was made. Check the network connection (and HF_ENDPOINT if set), then push "
        "again; the translator on disk is unchanged."
    )


def first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:300]
