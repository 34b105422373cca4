"""`blog check --external` against real HTTP servers on 127.0.0.1 (in threads of this process):
what each kind of answer is reported as, at every place that uses the URL; the cache; the bounds
on concurrency and time; and that `blog check` alone asks nothing."""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sites import post, run_blog, write_site

from mathblog import __version__
from mathblog.cli import main
from mathblog.commands.check import CheckReport, check_site
from mathblog.commands.external import CACHE_FILE, ExternalOptions

HOLD = 2.0  # seconds a request of the concurrency test is held, waiting for more to arrive


@dataclass
class Recorder:
    """What a test server was asked, and how many requests it had in flight at most."""

    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, agent
    in_flight: int = 0
    most: int = 0
    lock: threading.Condition = field(default_factory=threading.Condition)

    def paths(self) -> list[str]:
        with self.lock:
            return [path for _, path, _ in self.requests]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


@dataclass
class Crowd:
    """Requests in flight across several servers, for the concurrency bound."""

    in_flight: int = 0
    most: int = 0
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Condition = field(default_factory=threading.Condition)


def _routes(method: str, path: str) -> tuple[int, dict[str, str]]:
    if path == "/ok" or path.startswith("/ok?"):
        return 200, {}
    if path == "/gone":
        return 404, {}
    if path == "/no-head":
        return (405 if method == "HEAD" else 200), {}
    if path == "/moved":
        return 301, {"Location": "/ok"}
    if path in ("/loop-a", "/loop-b"):
        return 302, {"Location": "/loop-b" if path == "/loop-a" else "/loop-a"}
    if path.startswith("/chain/"):
        return 302, {"Location": f"/chain/{int(path.split('/')[-1]) + 1}"}
    if path == "/busy":
        return 429, {"Retry-After": "120"}
    return 500, {}


def _handler(recorder: Recorder, crowd: Crowd | None) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _answer(self) -> None:
            with recorder.lock:
                recorder.requests.append(
                    (self.command, self.path, self.headers.get("User-Agent", ""))
                )
                recorder.in_flight += 1
                recorder.most = max(recorder.most, recorder.in_flight)
            try:
                if crowd is not None:
                    self._wait_for_a_crowd(crowd)
                status, headers = _routes(self.command, self.path)
            finally:
                # Counted out before its answer goes: the checker sends its next request to
                # this host once it has read this answer, which could otherwise arrive before
                # this thread counts out (a third request "in flight", on a busy machine).
                with recorder.lock:
                    recorder.in_flight -= 1
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _wait_for_a_crowd(self, crowd: Crowd) -> None:
            """Hold the request until more arrive than the bounds allow (which then shows in
            `most`), or `HOLD` seconds pass; from then on answer at once."""
            with crowd.lock:
                crowd.in_flight += 1
                crowd.most = max(crowd.most, crowd.in_flight)
                crowd.lock.notify_all()
            deadline = time.monotonic() + HOLD
            with crowd.lock:
                while not crowd.released.is_set() and time.monotonic() < deadline:
                    if crowd.in_flight > 8 or recorder.in_flight > 2:
                        break
                    crowd.lock.wait(timeout=deadline - time.monotonic())
                crowd.released.set()
                crowd.lock.notify_all()
                crowd.in_flight -= 1

        do_HEAD = _answer
        do_GET = _answer

    return Handler


@contextmanager
def http_server(recorder: Recorder, crowd: Crowd | None = None) -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorder, crowd))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


class _Trickle(socketserver.BaseRequestHandler):
    """Starts an answer and never ends its first line: a byte every 0.1 s, so no read of a
    client times out, and the line may grow to 64 KiB (hours) before http.client gives up."""

    def handle(self) -> None:
        try:
            self.request.sendall(b"HTTP/1.1 200 ")
            for _ in range(65536):
                time.sleep(0.1)
                self.request.sendall(b"O")
        except OSError:
            pass  # the checker gave up and closed the connection


@contextmanager
def trickling_server() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# A certificate made for this test (`openssl req -x509`, for 127.0.0.1, a hundred years) that no
# client trusts: it signs itself.
SELF_SIGNED = Path(__file__).parent / "tls" / "self-signed.pem"


@contextmanager
def https_server(recorder: Recorder) -> Iterator[int]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(SELF_SIGNED)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorder, None))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Servers:
    recorder: Recorder
    port: int  # the routes above
    silent: int
    trickle: int
    closed: int

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    recorder = Recorder()
    with http_server(recorder) as port, silent_port() as silent, trickling_server() as trickle:
        yield Servers(recorder, port, silent, trickle, closed_port())


def linking_site(root: Path, s: Servers) -> Path:
    a = f"""\
[ok]({s.url("/ok")}) and [gone]({s.url("/gone#top")})

![no HEAD]({s.url("/no-head")}) [moved]({s.url("/moved")}) [mail](mailto:a@b.invalid)

[busy]({s.url("/busy")}) [silent](http://127.0.0.1:{s.silent}/)

[refused](http://127.0.0.1:{s.closed}/x)

[long chain]({s.url("/chain/1")}) [local](/posts/b/)
"""
    b = f"Again [gone]({s.url('/gone')}), and [ok]({s.url('/ok#x')}).\n"
    return write_site(
        root,
        {"a.md": post("A", "2024-05-01", a), "b.md": post("B", "2024-05-02", b)},
        f'[[nav]]\ntitle = "Loop"\nurl = "{s.url("/loop-a")}"\n',
    )


def test_without_external_no_request_is_made(tmp_path: Path, servers: Servers) -> None:
    site = linking_site(tmp_path / "site", servers)
    servers.recorder.clear()
    result = run_blog("check", cwd=site)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "external" not in result.stdout
    assert servers.recorder.paths() == []
    assert not (site / ".blog-cache" / CACHE_FILE).exists()


def test_each_broken_link_is_reported_once_with_its_reason_and_places(
    tmp_path: Path, servers: Servers
) -> None:
    site = linking_site(tmp_path / "site", servers)
    servers.recorder.clear()
    # (A generous timeout: the servers that answer must never miss it on a busy machine.)
    result = run_blog("check", "--external", "--timeout", "3", cwd=site)
    assert result.returncode == 1, result.stdout + result.stderr
    url = servers.url
    lines = [line for line in result.stdout.splitlines() if not line.startswith("  hint:")]
    assert lines == [
        f"posts/a.md:5: broken external link: {url('/gone')} (404 Not Found); also at posts/b.md:5",
        f"posts/a.md:9: broken external link: http://127.0.0.1:{servers.silent}/ "
        "(timeout after 3 s)",
        f"posts/a.md:11: broken external link: http://127.0.0.1:{servers.closed}/x "
        "(connection refused)",
        f"posts/a.md:13: broken external link: {url('/chain/1')} (more than 10 redirects)",
        f"site.toml:3: broken external link: {url('/loop-a')} (redirect loop: "
        f"{url('/loop-a')} → {url('/loop-b')} → {url('/loop-a')})",
    ]
    assert "  hint: the page moved or is gone: update the link" in result.stdout
    stderr = result.stderr.splitlines()
    assert stderr[0] == (
        f"warning: posts/a.md:9: rate limited: {url('/busy')} "
        "(429 Too Many Requests, Retry-After: 120)"
    )
    assert stderr[1].startswith("  hint: the server asks us to slow down; not counted as broken")
    assert stderr[-1].startswith("check failed: 5 problems in 2 files (2 posts, ")
    assert stderr[-1].endswith(", 9 external links checked)")
    asked = servers.recorder.requests
    assert [m for m, p, _ in asked if p == "/no-head"] == ["HEAD", "GET"]
    assert [m for m, p, _ in asked if p == "/moved"] == ["HEAD"]
    assert {agent for _, _, agent in asked} == {f"blog/{__version__} (+link checker)"}
    # Each URL once, whatever its fragment and however many places use it.
    assert [p for _, p, _ in asked].count("/gone") == 1
    assert [p for _, p, _ in asked].count("/chain/11") == 1
    assert "/chain/12" not in [p for _, p, _ in asked]
    cache = json.loads((site / ".blog-cache" / CACHE_FILE).read_text(encoding="utf-8"))
    assert sorted(cache["ok"]) == [url("/moved"), url("/no-head"), url("/ok")]


def _asked(recorder: Recorder) -> set[str]:
    return set(recorder.paths())


def test_an_ok_answer_is_cached_and_a_failure_is_asked_again(
    tmp_path: Path, servers: Servers
) -> None:
    url = servers.url
    body = f"[ok]({url('/ok')}) [moved]({url('/moved')}) [gone]({url('/gone')})\n"
    site = write_site(tmp_path / "site", {"a.md": post("A", body=body)})
    cache = site / ".blog-cache" / CACHE_FILE
    options = ExternalOptions(timeout=5)
    servers.recorder.clear()
    first = check_site(site, external=options)
    assert _asked(servers.recorder) == {"/ok", "/moved", "/gone"}
    assert [p.message.split(" (")[0] for p in first.problems] == [
        f"broken external link: {url('/gone')}"
    ]
    assert first.external is not None and first.external.cached == 0

    servers.recorder.clear()
    second = check_site(site, external=options)
    assert _asked(servers.recorder) == {"/gone"}
    assert second.problems == first.problems
    assert second.external is not None and second.external.cached == 2

    # An answer older than cache_hours is asked again (the entries are aged on disk, so the
    # test does not hang on how fast the machine is); a damaged cache file is no crash.
    data = json.loads(cache.read_bytes())
    data["ok"] = {link: when - 2 * 3600 for link, when in data["ok"].items()}
    cache.write_text(json.dumps(data))
    servers.recorder.clear()
    check_site(site, external=ExternalOptions(timeout=5, cache_hours=3))
    assert _asked(servers.recorder) == {"/gone"}
    servers.recorder.clear()
    check_site(site, external=ExternalOptions(timeout=5, cache_hours=1))
    assert _asked(servers.recorder) == {"/ok", "/moved", "/gone"}
    for damaged in (b"{not json", b'{"version": 1, "ok": [1]}', b"[]", b"\xff\xfe"):
        cache.write_bytes(damaged)
        servers.recorder.clear()
        again = check_site(site, external=options)
        assert _asked(servers.recorder) == {"/ok", "/moved", "/gone"}
        assert again.problems == first.problems
        assert sorted(json.loads(cache.read_bytes())["ok"]) == [url("/moved"), url("/ok")]
    assert [p.name for p in cache.parent.iterdir() if p.name.startswith(".tmp-")] == []


def test_skip_external_in_site_toml(tmp_path: Path, servers: Servers) -> None:
    url = servers.url
    body = f"[gone]({url('/gone')}) [chain]({url('/chain/1')}) [ok]({url('/ok')})\n"
    config = f'[check]\nskip_external = ["{url("/go")}", "http://127.0.0.1:*/chain/"]\n'
    site = write_site(tmp_path / "site", {"a.md": post("A", body=body)}, config)
    servers.recorder.clear()
    report = check_site(site, external=ExternalOptions(timeout=5))
    assert _asked(servers.recorder) == {"/ok"}
    assert report.problems == ()
    assert report.external is not None and report.external.summary() == (
        "3 external links (2 skipped)"
    )


def test_no_more_requests_at_once_than_the_bounds(tmp_path: Path) -> None:
    crowd = Crowd()
    recorders = [Recorder() for _ in range(6)]
    with contextlib.ExitStack() as stack:
        ports = [stack.enter_context(http_server(r, crowd)) for r in recorders]
        links = [f"[{n}](http://127.0.0.1:{port}/ok?{n})" for port in ports for n in range(3)]
        site = write_site(tmp_path / "site", {"a.md": post("A", body=" ".join(links))})
        report = check_site(site, external=ExternalOptions(timeout=30))
    assert report.problems == ()
    assert [len(r.requests) for r in recorders] == [3] * 6
    assert crowd.most <= 8
    assert max(r.most for r in recorders) <= 2


def test_a_server_that_never_finishes_its_answer_is_cut_off(
    tmp_path: Path, servers: Servers
) -> None:
    # No read waits past the timeout here: the watchdog's bound on the whole URL ends it.
    body = f"[trickle](http://127.0.0.1:{servers.trickle}/)\n"
    site = write_site(tmp_path / "site", {"a.md": post("A", body=body)})
    reports: list[CheckReport] = []
    check = threading.Thread(
        target=lambda: reports.append(check_site(site, external=ExternalOptions(timeout=1))),
        daemon=True,
    )
    check.start()
    check.join(timeout=60)  # without the watchdog, it would wait for 64 Ki bytes: hours
    assert not check.is_alive(), "the check still waits for the trickling server"
    [report] = reports
    assert [str(p).split("\n")[0] for p in report.problems] == [
        f"posts/a.md:5: broken external link: http://127.0.0.1:{servers.trickle}/ "
        "(timeout after 3 s in all)"
    ]


def test_a_certificate_no_one_trusts_is_a_tls_error(tmp_path: Path) -> None:
    recorder = Recorder()
    with https_server(recorder) as port:
        body = f"[secure](https://127.0.0.1:{port}/ok)\n"
        site = write_site(tmp_path / "site", {"a.md": post("A", body=body)})
        report = check_site(site, external=ExternalOptions(timeout=30))
    [problem] = report.problems
    assert problem.location() == "posts/a.md:5"
    # OpenSSL 3 says "self-signed certificate", 1.1 "self signed certificate".
    assert re.fullmatch(
        rf"broken external link: https://127\.0\.0\.1:{port}/ok "
        r"\(TLS: self[- ]signed certificate\)",
        problem.message,
    ), problem.message
    assert problem.hint.startswith("the site's certificate is not valid (expired, or not")
    assert recorder.requests == []  # the handshake failed: no request was made


def test_a_template_link_names_the_template_and_its_pages(tmp_path: Path, servers: Servers) -> None:
    gone = servers.url("/gone")
    site = write_site(
        tmp_path / "site",
        {"a.md": post("A"), "b.md": post("B", "2024-01-01", f"[x]({gone}#top)")},
        templates__post_html=f"""\
            {{% extends "base.html" %}}
            {{% block head %}}<link rel="icon" href="{gone}">{{% endblock %}}
            """,
    )
    (site / "templates/post_html").rename(site / "templates/post.html")
    report = check_site(site, external=ExternalOptions(timeout=30))
    [problem] = report.problems
    assert problem.location() == "posts/b.md:5"
    assert re.fullmatch(
        rf"broken external link: {re.escape(gone)} \(404 Not Found\); also at "
        r"templates/post\.html \(on the page posts/\w/index\.html \(line \d+\) and 1 more page\)",
        problem.message,
    ), problem.message


def test_a_timeout_that_is_not_a_number_of_seconds_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for bad in ("0", "-1", "ten", "3601"):
        with pytest.raises(SystemExit) as stop:
            main(["check", "--external", "--timeout", bad])
        assert stop.value.code == 2
        assert f"--timeout: expected seconds, above 0 and up to 3600, got '{bad}'" in (
            capsys.readouterr().err
        )
