"""A small Hub-compatible HTTP server on 127.0.0.1 for the tests: the real huggingface_hub client talks to it.

It implements what downloads and uploads use: the model and dataset info APIs, the tree and paths-info listings
(what the ``datasets`` library reads), ``resolve`` (HEAD/GET with the commit, ETag
and size headers, Range requests), repo creation, model-card YAML validation, ``preupload`` (every file uploaded
inline) and ``commit`` (NDJSON with base64 contents). It can make a repo private or gated, and truncate a
file's next responses, stall a repo's requests (accepted, never answered) or claim a malformed commit id.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse


@dataclass
class Repo:
    private: bool = False
    gated: bool = False
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)


class HubState:
    def __init__(self, token: str = "hf_test_token") -> None:
        self.token = token
        self.repos: dict[str, Repo] = {}
        self.downloads: list[str] = []  # "repo/file@commit" of each GET of a file
        self.truncate: dict[str, int] = {}  # file path -> how many next GETs to cut short
        self.stall: set[str] = set()  # repo ids whose requests are accepted and never answered (until shutdown)
        self.stall_posts: set[str] = set()  # POST routes (create, preupload, commit) accepted and never answered
        self.fake_commit: dict[str, str] = {}  # repo id -> the commit id its info claims (a hostile server)
        self.closing = threading.Event()
        self.lock = threading.Lock()

    def add_commit(self, repo_id: str, files: dict[str, bytes], branch: str = "main", private: bool = False) -> str:
        """Create the repo if needed and commit ``files`` on top of ``branch``; return the commit sha. A dataset's
        ``repo_id`` is ``datasets/org/name``."""
        with self.lock:
            repo = self.repos.setdefault(repo_id, Repo(private=private))
            parent = repo.commits.get(repo.refs.get(branch, ""), {})
            tree = {**parent, **files}
            sha = hashlib.sha1(repr(sorted((k, hashlib.sha256(v).hexdigest()) for k, v in tree.items())).encode()
                               + str(len(repo.commits)).encode()).hexdigest()
            repo.commits[sha] = tree
            repo.refs[branch] = sha
            return sha

    def resolve(self, repo_id: str, revision: str) -> tuple[Repo, str] | None:
        repo = self.repos.get(repo_id)
        if repo is None:
            return None
        sha = repo.refs.get(revision, revision if revision in repo.commits else None)
        return (repo, sha) if sha else (repo, "")


def _key(kind: str | None, repo_id: str) -> str:
    """Where a repo lives in HubState.repos: models under their id, datasets under ``datasets/<id>``."""
    return f"datasets/{repo_id}" if kind in ("datasets", "datasets/") else repo_id


def _entry(path: str, content: bytes | None) -> dict:
    """A file (or, with no content, a folder) as the tree and paths-info APIs describe it."""
    if content is None:
        return {"type": "directory", "path": path, "oid": hashlib.sha1(path.encode()).hexdigest(), "size": 0}
    return {"type": "file", "path": path, "size": len(content), "oid": hashlib.sha1(content).hexdigest()}


class Handler(BaseHTTPRequestHandler):
    state: HubState
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    # -------------------------------------------------------------------------------------------- helpers
    def _authorized(self, repo: Repo) -> bool:
        return not repo.private or self.headers.get("Authorization") == f"Bearer {self.state.token}"

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
              content_length: int | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body) if content_length is None else content_length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: object, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})})

    def _error(self, status: int, code: str, message: str) -> None:
        self._json(status, {"error": message}, {"X-Error-Code": code, "X-Error-Message": message})

    def _lookup(self, repo_id: str, revision: str) -> tuple[Repo, str] | None:
        found = self.state.resolve(repo_id, revision)
        if found is not None and found[0].gated and not self.headers.get("Authorization"):
            self._error(403, "GatedRepo", f"Access to model {repo_id} is restricted.")
            return None
        if found is None or not self._authorized(found[0]):
            self._error(401 if found else 404, "RepoNotFound", f"Repository {repo_id} not found")
            return None
        if not found[1]:
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
            return None
        return found

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    # -------------------------------------------------------------------------------------------- routes
    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        url = urlparse(self.path)
        path = unquote(url.path)
        if m := re.fullmatch(r"/api/(models|datasets)/([^/]+/[^/]+)/tree/([^/]+)(?:/(.*))?", path):
            return self._tree(_key(m.group(1), m.group(2)), m.group(3), m.group(4) or "",
                              "recursive=true" in url.query.lower() or "recursive=1" in url.query)
        if m := re.fullmatch(r"/api/(models|datasets)/([^/]+/[^/]+?)(?:/revision/(.+))?", path):
            return self._model_info(_key(m.group(1), m.group(2)), m.group(3) or "main")
        if m := re.fullmatch(r"/(datasets/)?([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path):
            return self._resolve(_key(m.group(1), m.group(2)), m.group(3), m.group(4))
        self._error(404, "NotFound", f"no route for {path}")

    def do_POST(self) -> None:
        path = unquote(urlparse(self.path).path)
        route = "create" if path == "/api/repos/create" else next(
            (name for name in ("preupload", "commit") if f"/{name}/" in path), None)
        if route in self.state.stall_posts:
            self._body()
            self.state.closing.wait(300)  # bounded: the server's shutdown ends it, without an answer
            self.close_connection = True
            return None
        if path == "/api/repos/create":
            return self._create_repo(json.loads(self._body()))
        if path == "/api/validate-yaml":  # the client checks a model card's front matter before committing it
            content = json.loads(self._body()).get("content", "")
            ok = content.startswith("---\n") and "\n---\n" in content[4:]
            return self._json(200 if ok else 400, {"errors": [] if ok else [{"message": "no YAML front matter"}],
                                                   "warnings": []})
        if m := re.fullmatch(r"/api/(models|datasets)/([^/]+/[^/]+)/paths-info/([^/]+)", path):
            fields = parse_qs(self._body().decode())
            return self._paths_info(_key(m.group(1), m.group(2)), m.group(3), fields.get("paths", []))
        if m := re.fullmatch(r"/api/models/([^/]+/[^/]+)/preupload/(.+)", path):
            files = json.loads(self._body()).get("files", [])
            return self._json(200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                              for f in files]})
        if m := re.fullmatch(r"/api/models/([^/]+/[^/]+)/commit/(.+)", path):
            return self._commit(m.group(1), m.group(2), self._body())
        self._error(404, "NotFound", f"no route for {path}")

    def _model_info(self, repo_id: str, revision: str) -> None:
        if repo_id in self.state.stall:
            self.state.closing.wait(300)  # bounded: the server's shutdown ends it, without an answer
            self.close_connection = True
            return None
        found = self._lookup(repo_id, revision)
        if found:
            repo, sha = found
            self._json(200, {"id": repo_id, "modelId": repo_id, "sha": self.state.fake_commit.get(repo_id, sha),
                             "private": repo.private,
                             "siblings": [{"rfilename": name} for name in sorted(repo.commits[sha])], "tags": []})

    def _tree(self, repo_id: str, revision: str, folder: str, recursive: bool) -> None:
        found = self._lookup(repo_id, revision)
        if found:
            tree = found[0].commits[found[1]]
            self._json(200, [_entry(p, tree.get(p)) for p in _listing(tree, folder.strip("/"), recursive)])

    def _paths_info(self, repo_id: str, revision: str, paths: list[str]) -> None:
        found = self._lookup(repo_id, revision)
        if found:
            tree = found[0].commits[found[1]]
            folders = {"/".join(p.split("/")[:i]) for p in tree for i in range(1, p.count("/") + 1)}
            self._json(200, [_entry(p, tree.get(p)) for p in paths if p in tree or p in folders])

    def _resolve(self, repo_id: str, revision: str, filename: str) -> None:
        found = self._lookup(repo_id, revision)
        if not found:
            return
        repo, sha = found
        content = repo.commits[sha].get(filename)
        if content is None:
            return self._error(404, "EntryNotFound", f"{filename} does not exist at {revision}")
        headers = {"X-Repo-Commit": sha, "ETag": f'"{hashlib.sha256(content).hexdigest()}"',
                   "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
        if self.command == "HEAD":
            return self._send(200, content, headers)
        with self.state.lock:
            self.state.downloads.append(f"{repo_id}/{filename}@{sha}")
            cut = self.state.truncate.get(filename, 0)
            if cut:
                self.state.truncate[filename] = cut - 1
        start = 0
        if m := re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", "")):
            start = int(m.group(1))
            headers["Content-Range"] = f"bytes {start}-{len(content) - 1}/{len(content)}"
        body = content[start:]
        if cut:  # promise the whole body, send half, close: an interrupted download
            self.send_response(206 if start else 200)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self._send(206 if start else 200, body, headers)

    def _create_repo(self, data: dict) -> None:
        if self.headers.get("Authorization") != f"Bearer {self.state.token}":
            return self._error(401, "Unauthorized", "Invalid credentials in Authorization header")
        repo_id = f"{data['organization']}/{data['name']}" if data.get("organization") else data["name"]
        if repo_id in self.state.repos:  # as the real Hub answers: the error names the existing repo's url
            return self._json(409, {"error": "You already created this model repo",
                                    "url": f"http://{self.headers['Host']}/{repo_id}"}, {"X-Error-Code": "Conflict"})
        with self.state.lock:
            self.state.repos[repo_id] = Repo(private=data.get("visibility") == "private" or bool(data.get("private")))
        self.state.add_commit(repo_id, {".gitattributes": b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"})
        self._json(200, {"url": f"http://{self.headers['Host']}/{repo_id}", "name": repo_id})

    def _commit(self, repo_id: str, revision: str, body: bytes) -> None:
        found = self._lookup(repo_id, revision)
        if not found:
            return
        if self.headers.get("Authorization") != f"Bearer {self.state.token}":
            return self._error(401, "Unauthorized", "Invalid credentials in Authorization header")
        files = {}
        for line in body.decode().splitlines():
            item = json.loads(line)
            if item["key"] == "file":
                files[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
        sha = self.state.add_commit(repo_id, files, branch=revision)
        host = self.headers["Host"]
        self._json(200, {"commitUrl": f"http://{host}/{repo_id}/commit/{sha}", "commitOid": sha,
                         "pullRequestUrl": None})


def _listing(tree: dict[str, bytes], folder: str, recursive: bool) -> list[str]:
    """The paths under ``folder`` (files and sub-folders), only its direct children unless ``recursive``."""
    prefix = f"{folder}/" if folder else ""
    found = set()
    for path in tree:
        if not path.startswith(prefix):
            continue
        parts = path[len(prefix):].split("/")
        depth = len(parts) if recursive else 1
        found.update(prefix + "/".join(parts[:i]) for i in range(1, min(depth, len(parts)) + 1))
    return sorted(found)


def random_png(width: int, height: int, seed: int) -> bytes:
    """The bytes of a PNG of random RGB pixels: the images of a test dataset."""
    import numpy as np
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def parquet_bytes(columns: dict[str, list]) -> bytes:
    """One parquet file as the datasets library writes one: a column of PNG/JPEG bytes (None: no image) is an Image
    feature (struct of bytes and path), a column of strings a Value; the features in the ``huggingface`` metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    image = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    fields, arrays, features = [], [], {}
    for name, values in columns.items():
        if any(isinstance(v, bytes) for v in values):
            fields.append(pa.field(name, image))
            arrays.append(pa.array([None if v is None else {"bytes": v, "path": None} for v in values], image))
            features[name] = {"_type": "Image"}
        else:
            fields.append(pa.field(name, pa.string()))
            arrays.append(pa.array(values, pa.string()))
            features[name] = {"dtype": "string", "_type": "Value"}
    metadata = {"huggingface": json.dumps({"info": {"features": features}})}
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=metadata)), buffer)
    return buffer.getvalue()


def dataset_files(splits: dict[str, dict[str, list]]) -> dict[str, bytes]:
    """A dataset repo in the Hub's parquet layout: ``data/<split>-00000-of-00001.parquet`` and a card whose front
    matter describes the features and splits, as the Hub's converted datasets (e.g. huggan/facades) have."""
    files = {f"data/{split}-00000-of-00001.parquet": parquet_bytes(columns) for split, columns in splits.items()}
    first = next(iter(splits.values()))
    dtypes = {name: "image" if any(isinstance(v, bytes) for v in vals) else "string" for name, vals in first.items()}
    features = "".join(f"  - name: {name}\n    dtype: {dtype}\n" for name, dtype in dtypes.items())
    counts = "".join(f"  - name: {split}\n    num_bytes: {len(files[f'data/{split}-00000-of-00001.parquet'])}\n"
                     f"    num_examples: {len(next(iter(columns.values())))}\n" for split, columns in splits.items())
    card = f"---\nlicense: mit\ndataset_info:\n  features:\n{features}  splits:\n{counts}---\n# a test dataset\n"
    return {**files, "README.md": card.encode()}


class HubServer:
    """``with HubServer() as hub:`` serves on ``hub.endpoint`` until the block ends."""

    def __init__(self) -> None:
        self.state = HubState()
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> HubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.state.closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()
