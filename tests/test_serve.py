"""`blog serve` on a real port with real file edits: live reload, errors in the browser, and a
server that serves the output folder and nothing else."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from serving import DEADLINE, EventStream, Server, serving
from sites import post, write_site

from mathblog.config import load_config
from mathblog.incremental.fingerprints import post_fingerprint
from mathblog.incremental.post_cache import PostCache

BAD_YAML = "---\ntitle: [unclosed\ndate: 2024-05-01\n---\nBody.\n"


def make_site(root: Path, config: str = "") -> Path:
    return write_site(
        root,
        {
            "a.md": post("Alpha", body="First body."),
            "b.md": post("Beta", date="2024-06-01"),
            "扩散模型.md": post("扩散", date="2024-07-01"),
        },
        "# site-toml-marker\n" + config,
        static__css__extra_css="body { color: black; }",
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with serving(make_site(tmp_path / "site")) as running:
        yield running


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the tests that only make requests (each start builds the site and costs a
    process): what they add to the site is the same for all of them."""
    with serving(make_site(tmp_path_factory.mktemp("shared") / "site")) as running:
        yield running


def test_pages_get_the_reload_script_but_files_on_disk_never_do(served: Server) -> None:
    status, headers, body = served.request("/posts/a/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert b"First body." in body and b"/__blog/events" in body
    on_disk = (served.root / "public/posts/a/index.html").read_bytes()
    assert b"__blog/events" not in on_disk
    status, _, body = served.request("/posts/%E6%89%A9%E6%95%A3%E6%A8%A1%E5%9E%8B/")
    assert status == 200 and "扩散".encode() in body
    status, headers, _ = served.request("/posts/a")
    assert (status, headers["location"]) == (301, "/posts/a/")
    status, headers, body = served.request("/posts/a/", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0


@pytest.mark.parametrize(
    "path",
    [
        "/../site.toml",
        "/%2e%2e/site.toml",
        "/%2E%2E/%2e%2e/etc/passwd",
        "/..%2fsite.toml",
        "/css/..%2f..%2fsite.toml",
        "/..%5csite.toml",
        "/%5c..%5csite.toml",
        "//etc/passwd",
        "/posts/../../site.toml",
        "/.blog-build",
        "/.git/config",
        "/posts/a.md",
        "/%00",
        "/outside/",
        "/outside/secret.txt",
        "/link-to-file",
    ],
)
def test_nothing_outside_the_output_folder_is_served(served: Server, path: str) -> None:
    root = served.root
    (root / ".git").mkdir(exist_ok=True)
    (root / ".git/config").write_text("[core]\n")
    (root / "secret.txt").write_text("secret")
    for name, target in (("outside", root), ("link-to-file", root / "secret.txt")):
        link = root / "public" / name
        if not link.is_symlink():
            link.symlink_to(target)
    status, _, body = served.request(path)
    assert status == 404, (path, status)
    for leaked in (b"secret", b"[core]", b"site-toml-marker", b"title: Alpha"):
        assert leaked not in body, (path, leaked)


def test_only_get_and_head(served: Server) -> None:
    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        status, headers, _ = served.request("/", method=method)
        assert status == 405, method
        assert headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("evil.example", 403),
        ("evil.example:{port}", 403),
        ("127.0.0.1.evil.example", 403),
        ("192.168.1.20:{port}", 403),
        ("localhost:{port}", 200),
        ("127.0.0.1:{port}", 200),
        ("[::1]:{port}", 200),
    ],
)
def test_foreign_host_headers_are_refused(served: Server, host: str, expected: int) -> None:
    status, _, _ = served.request("/", headers={"Host": host.format(port=served.port)})
    assert status == expected


def test_the_event_stream_refuses_a_foreign_origin(served: Server) -> None:
    port = served.port
    other = port + 1 if port < 65535 else port - 1  # another local server's pages
    for origin in (
        "https://evil.example",
        f"http://localhost:{other}",
        f"http://127.0.0.1:{other}",
        "http://localhost",  # port 80
        f"https://localhost:{port}",
        f"http://localhost:{port}x",
        "null",
    ):
        refused = EventStream(served, origin=origin)  # a stream, if let in: never read to its end
        assert refused.response.status == 403, origin
        refused.close()
    for origin in (f"http://localhost:{port}", f"http://127.0.0.1:{port}", f"http://[::1]:{port}"):
        stream = EventStream(served, origin=origin)
        assert stream.response.status == 200, origin
        assert stream.next() == ("hello", "1")
        stream.close()


def test_an_edit_sends_a_reload_and_the_page_changes(server: Server) -> None:
    root = server.root
    stream = EventStream(server)
    assert stream.next() == ("hello", "1")
    (root / "posts/a.md").write_text(post("Alpha", body="Edited body."), encoding="utf-8")
    assert stream.next() == ("reload", "page")
    assert b"Edited body." in server.request("/posts/a/")[2]
    line = server.wait_for_line("rebuilt")
    assert "1 Markdown file parsed" in line

    (root / "static/css/extra.css").write_text("body { color: navy; }", encoding="utf-8")
    assert stream.next() == ("reload", "css")
    assert b"navy" in server.request("/css/extra.css")[2]

    (root / "static/.well-known").mkdir()  # a dotfile of static/ is published, so watched
    (root / "static/.well-known/security.txt").write_text("Contact: a@b.c", encoding="utf-8")
    assert stream.next()[0] == "reload"
    assert server.request("/.well-known/security.txt")[2] == b"Contact: a@b.c"

    (root / "posts/b.md").unlink()  # gone without a restart
    assert stream.next() == ("reload", "page")
    assert server.request("/posts/b/")[0] == 404
    stream.close()


def files(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        path.relative_to(folder).as_posix(): (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_file()
    }


def test_an_edit_rewrites_only_the_files_that_show_it(server: Server) -> None:
    root = server.root
    stream = EventStream(server)
    assert stream.next() == ("hello", "1")
    # A summary, so the card on the index does not show the body.
    (root / "posts/a.md").write_text(
        post("Alpha", body="First body.", summary="A fixed summary."), encoding="utf-8"
    )
    assert stream.next() == ("reload", "page")
    server.wait_for_line("rebuilt")
    before = files(root / "public")

    (root / "posts/a.md").write_text(
        post("Alpha", body="Other body.", summary="A fixed summary."), encoding="utf-8"
    )
    assert stream.next() == ("reload", "page")
    after = files(root / "public")
    assert after.keys() == before.keys()
    changed = {name for name in after if after[name] != before[name]}
    # The post's page, the feed (which carries whole posts), and the search index (the term and
    # prefix shards of the words that came and went, the post's document with its text for
    # snippets, and the index version on the search page); not the neighbours, listings, tag
    # pages, archive or sitemap, whose bytes are the same.
    shards = {name for name in changed if name.startswith(("search/shards/", "search/prefixes/"))}
    assert shards, "the search index did not change"
    page, document = "posts/a/index.html", "search/docs/0.json"
    assert changed - shards == {page, "atom.xml", "search/index.html", document}
    line = server.wait_for_line("rebuilt")
    assert "1 Markdown file parsed" in line and f", {len(changed)} files written" in line, line
    stream.close()


def test_a_failed_rebuild_shows_in_the_page_and_clears_when_fixed(server: Server) -> None:
    root = server.root
    stream = EventStream(server)
    assert stream.next()[0] == "hello"
    (root / "posts/a.md").write_text(BAD_YAML, encoding="utf-8")
    name, data = stream.next()
    assert name == "build-error"
    messages = json.loads(data)
    assert messages[0].startswith("posts/a.md:3: front matter:")
    assert not any(str(root) in message for message in messages)  # no absolute paths
    server.wait_for_line("rebuild failed")
    # The last good page is still served, and a page opened now learns of the error at once.
    assert b"First body." in server.request("/posts/a/")[2]
    late = EventStream(server)
    assert late.next() == ("hello", "1")
    assert late.next()[0] == "build-error"
    late.close()

    (root / "posts/a.md").write_text(post("Alpha", body="Fixed body."), encoding="utf-8")
    assert stream.next() == ("reload", "page")
    assert b"Fixed body." in server.request("/posts/a/")[2]
    stream.close()


def test_an_error_message_is_text_not_markup(server: Server) -> None:
    root = server.root
    stream = EventStream(server)
    stream.next()
    (root / "templates").mkdir()
    (root / "templates/post.html").write_text("{% if <script>alert(1)</script> %}")
    name, data = stream.next()
    assert name == "build-error"
    assert "templates/post.html:1" in data
    # The overlay sets textContent; the script must never build HTML from these lines.
    script = server.request("/posts/a/")[2].decode()
    assert "textContent = lines.join" in script and "innerHTML" not in script
    stream.close()


SELF_INCLUDE = (
    "{% extends 'base.html' %}\n{% block content %}\n{% include 'post.html' %}\n{% endblock %}\n"
)


def test_a_template_that_includes_itself_is_shown_and_fixing_it_rebuilds(server: Server) -> None:
    root = server.root
    stream = EventStream(server)
    assert stream.next() == ("hello", "1")
    (root / "templates").mkdir()
    (root / "templates/post.html").write_text(SELF_INCLUDE, encoding="utf-8")
    name, data = stream.next()
    assert name == "build-error"
    assert json.loads(data)[0].startswith(
        "templates/post.html:3: template error: templates include or extend each other without end"
    )
    status, _, body = server.request("/posts/a/")  # the last good build, still served
    assert status == 200 and b"First body." in body
    (root / "templates/post.html").unlink()
    assert stream.next() == ("reload", "page")
    (root / "posts/a.md").write_text(post("Alpha", body="After the fix."), encoding="utf-8")
    assert stream.next() == ("reload", "page")  # and the edits after it are rebuilt too
    assert b"After the fix." in server.request("/posts/a/")[2]
    stream.close()


def test_any_failure_of_a_rebuild_is_shown_and_serving_goes_on(server: Server) -> None:
    root = server.root
    stream = EventStream(server)
    assert stream.next() == ("hello", "1")
    # A file name that is not UTF-8 cannot become a page's path: the build raises something
    # no part of it expected, which must not end the rebuilds.
    odd = root / "posts" / "\udcff.md"
    odd.write_text(post("Odd"), encoding="utf-8")
    name, data = stream.next()
    assert name == "build-error", (name, data)
    assert server.request("/")[0] == 200
    odd.unlink()
    (root / "posts/a.md").write_text(post("Alpha", body="Still rebuilt."), encoding="utf-8")
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if (
            stream.next() == ("reload", "page")
            and b"Still rebuilt." in server.request("/posts/a/")[2]
        ):
            break
    else:
        raise AssertionError("the edit after the failure was not rebuilt")
    stream.close()


def test_a_save_that_changes_nothing_updates_no_page(server: Server) -> None:
    root = server.root
    stream = EventStream(server)
    assert stream.next() == ("hello", "1")
    same = root / "posts/b.md"
    same.write_bytes(same.read_bytes())
    assert server.wait_for_line("rebuilt").endswith(", 0 files written")
    (root / "posts/a.md").write_text(post("Alpha", body="Edited."), encoding="utf-8")
    server.wait_for_line("rebuilt")
    assert stream.next() == ("reload", "page")
    late = EventStream(server)
    assert late.next() == ("hello", "2")  # one page update: the edit's
    stream.close()
    late.close()


def get_when_served(server: Server, path: str) -> bytes:
    deadline = time.monotonic() + DEADLINE
    while (answer := server.request(path))[0] != 200:
        assert time.monotonic() < deadline, f"GET {path}: {answer[0]} for {DEADLINE} s"
        time.sleep(0.2)
    return answer[2]


def test_deleting_the_output_while_serving_rebuilds_it(server: Server) -> None:
    shutil.rmtree(server.root / "public")
    assert b"Alpha" in get_when_served(server, "/")
    assert b"First body." in get_when_served(server, "/posts/a/")
    assert (server.root / "public/posts/a/index.html").is_file()
    assert rebuild_started(server) == "public/ is gone"


def reset(connection: socket.socket) -> None:
    """Close with a reset, as a browser does when a tab is closed mid-download."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def test_clients_that_go_away_print_nothing(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    # Far more than the socket buffers hold: the server is still sending when the reset comes.
    (root / "static/big.bin").write_bytes(bytes(64 * 1024 * 1024))
    with serving(root) as server:
        request = f"GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n".encode()
        cut_short = socket.create_connection(("127.0.0.1", server.port))
        cut_short.sendall(request)  # half a request
        reset(cut_short)
        download = socket.socket()
        download.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        download.connect(("127.0.0.1", server.port))
        download.sendall(request + b"\r\n")
        assert download.recv(12, socket.MSG_WAITALL) == b"HTTP/1.1 200"  # the answer has begun
        reset(download)
        listener = socket.create_connection(("127.0.0.1", server.port))
        listener.sendall(
            f"GET /__blog/events HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
        )
        with listener.makefile("rb") as events:
            while events.readline() != b"event: hello\n":
                pass
        reset(listener)  # a page closed: the server finds out when it next sends an event
        (root / "posts/a.md").write_text(post("Alpha", body="Edited."), encoding="utf-8")
        server.wait_for_line("rebuilt")  # and the reload for the closed stream is sent
        assert server.request("/")[0] == 200
    assert server.stderr == ""


def rebuild_started(server: Server) -> str:
    """What the next rebuild is for (`posts/a.md changed`), once it has started."""
    while True:
        line = server.wait_for_line("")
        if line.endswith(": rebuilding"):
            return line.removesuffix(": rebuilding")


def rebuild_of(server: Server, name: str) -> str:
    """What the first rebuild that includes `name` was for, once it is done."""
    while name not in (reason := rebuild_started(server)):
        pass
    server.wait_for_line("rebuilt")
    return reason


def test_temporary_files_give_no_rebuild(server: Server) -> None:
    posts = server.root / "posts"
    for name in (".a.md.swp", "a.md~", "4913", ".#a.md", "#a.md#", "a.md.tmp", ".DS_Store"):
        (posts / name).write_text("junk")
    (posts / "4913").unlink()
    # Events from one folder come in order: had any of the files above counted, the rebuild
    # after this edit, or one before it, would name it.
    (posts / "b.md").write_text(post("Beta", body="Edited."), encoding="utf-8")
    assert rebuild_started(server) == "posts/b.md changed"
    assert not [line for line in server.seen if "rebuil" in line and "posts/b.md" not in line]


def test_editor_bursts_give_one_page_update(server: Server) -> None:
    posts = server.root / "posts"
    stream = EventStream(server)
    assert stream.next() == ("hello", "1")
    # The saves reach the server at once, however slowly this machine makes them: a stopped
    # process reads none of the file events until it goes on.
    server.process.send_signal(signal.SIGSTOP)
    try:
        for n in range(50):  # 50 saves, some as an editor's atomic rename
            if n % 2:
                (posts / ".a.md.tmp-save").write_text(post("Alpha", body=f"Save {n}."))
                os.replace(posts / ".a.md.tmp-save", posts / "a.md")
            else:
                (posts / "a.md").write_text(post("Alpha", body=f"Save {n}."))
    finally:
        server.process.send_signal(signal.SIGCONT)
    assert stream.next() == ("reload", "page")
    assert b"Save 49." in server.request("/posts/a/")[2]
    # Events from one folder come in order: the rest of the burst, had it come late, is rebuilt
    # before this edit or with it. Either way the pages were updated once for the burst, and
    # once for the edit.
    (posts / "b.md").write_text(post("Beta", body="Edited."), encoding="utf-8")
    rebuild_of(server, "posts/b.md")
    assert stream.next() == ("reload", "page")
    late = EventStream(server)
    assert late.next() == ("hello", "3")
    stream.close()
    late.close()


def test_a_site_under_a_sub_path_is_served_there(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site", 'base_url = "https://me.github.io/notes/"\n')
    with serving(root) as server:
        assert server.base == "/notes/"
        status, _, body = server.request("/notes/posts/a/")
        assert status == 200 and b'href="/notes/css/style.css"' in body
        assert server.request("/")[1]["location"] == "/notes/"
        assert server.request("/notes")[1]["location"] == "/notes/"
        assert server.request("/posts/a/")[0] == 404


def test_a_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "mathblog", "serve", "-s", str(root), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr
    assert "--port" in result.stderr


def test_ctrl_c_stops_it_cleanly(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    with serving(root) as server:
        pass
    assert server.process.returncode == 0
    assert server.wait_for_line("stopped") == "stopped"


def slow_404_template(marker: str) -> str:
    """A page whose rendering takes seconds: a rebuild long enough to be interrupted."""
    busy = "{% for i in range(25000000) %}{% endfor %}"
    return f"{{% extends 'base.html' %}}{{% block content %}}{busy}{marker}{{% endblock %}}"


def test_ctrl_c_during_a_long_rebuild_stops_at_once(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    with serving(root) as server:
        (root / "templates").mkdir()
        (root / "templates/404.html").write_text(slow_404_template("first"), encoding="utf-8")
        took = server.wait_for_line("rebuilt", timeout=600)
        seconds = float(took.split()[2])  # "rebuilt in 2.41 s: ..."
        # The same rebuild again, interrupted as soon as it has begun.
        (root / "templates/404.html").write_text(slow_404_template("second"), encoding="utf-8")
        assert rebuild_started(server) == "templates/404.html changed"
        interrupted = time.monotonic()
        server.process.send_signal(signal.SIGINT)
        server.process.wait(timeout=600)
        stopped = time.monotonic() - interrupted
    assert server.process.returncode == 0
    assert server.wait_for_line("stopped").startswith("stopped")
    assert "Traceback" not in server.stderr
    # It did not wait for the rebuild (which takes `seconds` here, under this machine's load).
    assert stopped < seconds / 2, (stopped, took)


def test_sharing_on_the_network_prints_a_warning(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    with serving(root, "--host", "0.0.0.0") as server:
        assert server.request("/", headers={"Host": "evil.example"})[0] == 403
        assert server.request("/", headers={"Host": f"10.1.2.3:{server.port}"})[0] == 200
    assert "warning: serving on every network interface" in server.stderr


def test_a_warning_is_printed_once_and_then_counted_while_it_stands(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    (root / "posts/a.md").write_text(post("Alpha", body="![A plot](plot.png)"), encoding="utf-8")
    with serving(root) as server:
        # The first build prints every warning (`serving` has read up to the address).
        assert any(line.startswith("warning: posts/a.md:") for line in server.seen), server.seen
        stream = EventStream(server)
        assert stream.next()[0] == "hello"

        def next_rebuild() -> list[str]:
            assert stream.next() == ("reload", "page")
            start = len(server.seen)
            server.wait_for_line("rebuilt")
            return server.seen[start:]

        (root / "posts/b.md").write_text(post("Beta", body="![Data](data.png)"), encoding="utf-8")
        printed = next_rebuild()
        warnings = [line for line in printed if line.startswith("warning:")]
        assert len(warnings) == 1 and "posts/b.md:" in warnings[0], printed
        assert "1 earlier warning still stands (`blog build` prints them all)" in printed

        (root / "posts/plot.png").write_bytes(b"\x89PNG\r\n\x1a\n")  # the first one is fixed
        (root / "posts/c.md").write_text(post("Gamma", date="2024-08-01"), encoding="utf-8")
        printed = next_rebuild()
        assert not any(line.startswith("warning:") for line in printed), printed
        assert "1 earlier warning still stands (`blog build` prints them all)" in printed

        (root / "posts/b.md").write_text(post("Beta", body="No image."), encoding="utf-8")
        printed = next_rebuild()
        assert not any("warning" in line for line in printed), printed
        stream.close()


def test_posts_read_too_soon_by_the_first_build_are_not_read_again_by_the_first_edit(
    tmp_path: Path,
) -> None:
    """Files changed a moment before a build reads them cannot be known by their times (a
    fresh clone, a generated site): the build after reads every one of them again. `serve`
    does that while nothing happens, so its first edit reads only the file edited."""
    root = make_site(tmp_path / "site")  # written just now: the first build cannot trust them
    with serving(root, "--timings") as running:
        deadline = time.monotonic() + DEADLINE
        while PostCache.open(root, post_fingerprint(load_config(root))).untrusted():
            assert time.monotonic() < deadline, "the post index still cannot trust every file"
            time.sleep(0.1)
        posts = sorted((root / "posts").glob("*.md"))
        assert len(posts) > 1
        posts[0].write_text(posts[0].read_text(encoding="utf-8") + "\nEdited.\n", "utf-8")
        running.wait_for_line("rebuilt")
        assert "read and hash 1 post file " in running.wait_for_line("  read the caches")
