"""`blog serve` on a real port with real file edits: live reload, errors in the browser, and a
server that serves the output folder and nothing else."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from serving import EventStream, Server, serving
from sites import post, write_site

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


def test_pages_get_the_reload_script_but_files_on_disk_never_do(server: Server) -> None:
    status, headers, body = server.request("/posts/a/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert b"First body." in body and b"/__blog/events" in body
    on_disk = (server.root / "public/posts/a/index.html").read_bytes()
    assert b"__blog/events" not in on_disk
    status, _, body = server.request("/posts/%E6%89%A9%E6%95%A3%E6%A8%A1%E5%9E%8B/")
    assert status == 200 and "扩散".encode() in body
    status, headers, _ = server.request("/posts/a")
    assert (status, headers["location"]) == (301, "/posts/a/")
    status, headers, body = server.request("/posts/a/", method="HEAD")
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
def test_nothing_outside_the_output_folder_is_served(server: Server, path: str) -> None:
    root = server.root
    (root / ".git").mkdir(exist_ok=True)
    (root / ".git/config").write_text("[core]\n")
    (root / "secret.txt").write_text("secret")
    for name, target in (("outside", root), ("link-to-file", root / "secret.txt")):
        link = root / "public" / name
        if not link.is_symlink():
            link.symlink_to(target)
    status, _, body = server.request(path)
    assert status == 404, (path, status)
    for leaked in (b"secret", b"[core]", b"site-toml-marker", b"title: Alpha"):
        assert leaked not in body, (path, leaked)


def test_only_get_and_head(server: Server) -> None:
    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        status, headers, _ = server.request("/", method=method)
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
def test_foreign_host_headers_are_refused(server: Server, host: str, expected: int) -> None:
    status, _, _ = server.request("/", headers={"Host": host.format(port=server.port)})
    assert status == expected


def test_the_event_stream_refuses_a_foreign_origin(server: Server) -> None:
    status, _, _ = server.request("/__blog/events", headers={"Origin": "https://evil.example"})
    assert status == 403
    stream = EventStream(server, origin=f"http://localhost:{server.port}")
    assert stream.response.status == 200
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
    assert "1 posts parsed" in line

    (root / "static/css/extra.css").write_text("body { color: navy; }", encoding="utf-8")
    assert stream.next() == ("reload", "css")
    assert b"navy" in server.request("/css/extra.css")[2]

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
    # The post's page, the feed (which carries whole posts), and the search index (the shards of
    # the words that came and went, and the index version on the search page); not the
    # neighbours, listings, tag pages, archive or sitemap, whose bytes are the same.
    shards = {name for name in changed if name.startswith("search/shards/")}
    assert shards, "the search index did not change"
    assert changed - shards == {"posts/a/index.html", "atom.xml", "search/index.html"}
    line = server.wait_for_line("rebuilt")
    assert "1 posts parsed" in line and f", {len(changed)} files written" in line, line
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


def test_editor_bursts_give_one_rebuild_and_temporary_files_none(server: Server) -> None:
    root = server.root
    posts = root / "posts"
    for name in (".a.md.swp", "a.md~", "4913", ".#a.md", "#a.md#", "a.md.tmp", ".DS_Store"):
        (posts / name).write_text("junk")
    (posts / "4913").unlink()
    assert not [x for x in server.lines_so_far(settle=1.0) if x.startswith("rebuilt")]

    started = time.monotonic()
    for n in range(50):  # 50 saves in about 100 ms, some as atomic renames
        if n % 2:
            (posts / ".a.md.tmp-save").write_text(post("Alpha", body=f"Save {n}."))
            os.replace(posts / ".a.md.tmp-save", posts / "a.md")
        else:
            (posts / "a.md").write_text(post("Alpha", body=f"Save {n}."))
        time.sleep(0.002)
    assert time.monotonic() - started < 1.0
    rebuilds = [x for x in server.lines_so_far(settle=2.0) if x.startswith("rebuilt")]
    assert len(rebuilds) == 1, rebuilds
    assert b"Save 49." in server.request("/posts/a/")[2]


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
            [sys.executable, "-m", "blog", "serve", "-s", str(root), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr
    assert "--port" in result.stderr


def test_ctrl_c_stops_it_cleanly(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    with serving(root) as server:
        pass
    assert server.process.returncode == 0
    assert server.wait_for_line("stopped", timeout=5) == "stopped"


def test_sharing_on_the_network_prints_a_warning(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    with serving(root, "--host", "0.0.0.0") as server:
        assert server.request("/", headers={"Host": "evil.example"})[0] == 403
        assert server.request("/", headers={"Host": f"10.1.2.3:{server.port}"})[0] == 200
    assert "warning: serving on every network interface" in server.stderr
