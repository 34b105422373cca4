"""A build asks one cache object for everything it keeps between builds (`BuildCache`): the post
index, the writing of the caches, the search postings. The stages take any such object and never
know `blog serve` exists. The post index knows each file's key by its size, times and inode, so
a file is read again only when they changed."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sites import post, run_blog, tree_digest, write_site

from mathblog.build import BuildOptions, build
from mathblog.config import load_config
from mathblog.incremental.build_cache import DiskCache, PostFile, hash_post, post_file_key
from mathblog.incremental.file_keys import RACY_NANOSECONDS, signature
from mathblog.incremental.fingerprints import post_fingerprint
from mathblog.incremental.post_cache import PostCache
from mathblog.search.index import Postings, SearchIndex
from mathblog.serve.session import ServeSession
from mathblog.site.loading import load_posts
from mathblog.site.outputs import plan_site
from mathblog.site.pages import page_keys


@dataclass
class DeferringCache:
    """A cache of the test's own: the disk's index, its writing left for later; it can make the
    index give a stale key for a file, as a key trusted by times a file kept would be."""

    renderer: object | None = None
    parser: object | None = None
    pending: list[Callable[[], None]] = field(default_factory=list)
    stale: dict[str, str] = field(default_factory=dict)  # source → the key to give instead
    forgotten: int = 0

    @property
    def keeps_parser(self) -> bool:
        return False

    @property
    def keeps_postings(self) -> bool:
        return False

    def post_index(self, root: Path, fingerprint: str, *, read: bool) -> PostCache:
        index = PostCache.open(root, fingerprint, read=read)
        for source, key in self.stale.items():  # known by the file's stat as it is now
            index.keys.known[source] = (signature(os.stat(root / source)), key)
        return index

    def save(self, root: Path, index: PostCache, write: Callable[[], None]) -> None:
        self.pending.append(write)

    def search_postings(self) -> Postings | None:
        return None

    def keep_search_postings(self, postings: Postings) -> None:
        pass

    def page_keys(self, root: Path) -> object | None:
        return None  # every page keyed afresh

    def keep_page_keys(self, root: Path, keys: object) -> None:
        pass

    def forget(self) -> None:
        self.forgotten += 1


def make_site(root: Path) -> Path:
    posts = {f"p{n}.md": post(f"Post {n}", date=f"2024-0{n}-01", body=f"Body {n}") for n in (1, 2)}
    return write_site(root, posts, 'title = "T"\n')


def test_posts_load_through_any_cache_object_which_decides_when_caches_are_written(
    tmp_path: Path,
) -> None:
    root = make_site(tmp_path / "site")
    config = load_config(root)
    cache = DeferringCache()
    loaded = load_posts(config, drafts=False, cache=cache)
    assert [p.title for p in loaded.posts] == ["Post 2", "Post 1"] and loaded.parsed == 2
    assert set(loaded.fingerprints) == set(loaded.search_terms) == {"posts/p1.md", "posts/p2.md"}
    fingerprint = post_fingerprint(config)
    p1 = hash_post(str(root / "posts/p1.md"), "posts/p1.md", fingerprint)[0]
    assert loaded.fingerprints["posts/p1.md"] == p1
    assert "body" in loaded.search_terms["posts/p1.md"].split(" ")[::2]
    index = root / ".blog-cache/posts"
    assert not index.exists()  # left to the cache
    for write in cache.pending:
        write()
    assert index.exists()
    assert load_posts(config, drafts=False, cache=DiskCache()).parsed == 0


def test_the_key_the_index_gives_decides_whether_a_post_file_is_read(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    config = load_config(root)
    cache = DeferringCache()
    first = load_posts(config, drafts=False, cache=cache)
    for write in cache.pending:
        write()
    source = root / "posts/p1.md"
    source.write_text(post("Post 1", date="2024-01-01", body="Changed"), encoding="utf-8")

    # An index that trusts the file's times gives the old key without reading the file: the
    # post comes from the index as it was.
    cache.stale["posts/p1.md"] = first.fingerprints["posts/p1.md"]
    loaded = load_posts(config, drafts=False, cache=cache)
    assert loaded.parsed == 0 and loaded.read == 1  # p2, changed a moment ago
    assert "Body 1" in next(p for p in loaded.posts if p.title == "Post 1").content

    # A key the index has no post for: the file is read and parsed after all.
    cache.stale["posts/p1.md"] = "a key of nothing"
    loaded = load_posts(config, drafts=False, cache=cache)
    assert loaded.parsed == 1
    assert "Changed" in next(p for p in loaded.posts if p.title == "Post 1").content
    fingerprint = post_fingerprint(config)
    assert (
        loaded.fingerprints["posts/p1.md"] == hash_post(str(source), "posts/p1.md", fingerprint)[0]
    )


def test_a_build_writes_the_caches_when_its_cache_object_says(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    cache = DeferringCache()
    report = build(root, BuildOptions(jobs=1, build_cache=cache))
    assert report.posts == 2 and len(cache.pending) == 1
    assert not (root / ".blog-cache/posts").exists()
    cache.pending.pop()()
    assert build(root, BuildOptions(jobs=1)).posts_parsed == 0


def test_a_damaged_cache_makes_the_build_forget_its_cache_object(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    assert run_blog("build", cwd=root).returncode == 0  # another process: none of it kept here
    for pack in (root / ".blog-cache/bodies").iterdir():
        pack.write_bytes(b"not a pickle")
    (root / "posts/p1.md").write_text(post("Post 1", date="2024-01-01", body="New"), "utf-8")
    cache = DeferringCache()
    report = build(root, BuildOptions(jobs=1, build_cache=cache))  # p2's page reads its body
    assert cache.forgotten == 1 and report.posts_parsed == 2
    clean = make_site(tmp_path / "clean")
    (clean / "posts/p1.md").write_text(post("Post 1", date="2024-01-01", body="New"), "utf-8")
    build(clean, BuildOptions(cache=False, jobs=1))
    assert tree_digest(root / "public") == tree_digest(clean / "public")


def test_check_reads_no_damaged_cache_either(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    assert run_blog("build", cwd=root).returncode == 0
    for pack in (root / ".blog-cache/bodies").iterdir():
        pack.write_bytes(b"not a pickle")
    result = run_blog("check", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "no problems" in result.stdout


def test_page_keys_count_a_post_by_the_fingerprint_given_beside_it(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    config = load_config(root)
    loaded = load_posts(config, drafts=False)
    search = SearchIndex(loaded.posts, loaded.search_terms, loaded.fingerprints)
    pages = plan_site(config, loaded.posts, (), search, loaded.fingerprints).page_jobs()
    before = page_keys(pages, "page fingerprint", loaded.fingerprints)
    assert page_keys(pages, "page fingerprint", dict(loaded.fingerprints)) == before
    changed = {**loaded.fingerprints, "posts/p1.md": "another fingerprint"}
    after = page_keys(pages, "page fingerprint", changed)
    differ = {page.output for page, a, b in zip(pages, before, after, strict=True) if a != b}
    assert "posts/p1/index.html" in differ and "posts/p2/index.html" in differ  # its neighbour
    assert "404.html" not in differ


def _old_enough(path: Path) -> bool:
    return time.time_ns() - path.stat().st_ctime_ns > RACY_NANOSECONDS


def _wait_until_old_enough(*paths: Path) -> None:
    deadline = time.monotonic() + 60
    while not all(map(_old_enough, paths)):  # a file changed just now is never trusted
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_a_file_is_read_again_only_when_its_size_times_or_inode_changed(tmp_path: Path) -> None:
    file = tmp_path / "a.md"
    file.write_text("one", encoding="utf-8")
    _wait_until_old_enough(file)
    index = PostCache.open(tmp_path, "fp")
    first = post_file_key(index, str(file), "a.md", "fp")
    assert first.raw == b"one"
    again = post_file_key(index, str(file), "a.md", "fp")
    assert again == PostFile(first.key)  # the key, and no bytes: the file was not read
    unread = PostCache.open(tmp_path, "fp", read=False)  # --no-cache
    assert post_file_key(unread, str(file), "a.md", "fp").raw == b"one"

    file.write_text("two", encoding="utf-8")
    changed = post_file_key(index, str(file), "a.md", "fp")
    assert changed.raw == b"two" and changed.key != first.key
    # Changed a moment ago: read again next time too, whatever its times say.
    assert post_file_key(index, str(file), "a.md", "fp").raw == b"two"
    os.utime(file, ns=(0, 0))
    assert post_file_key(index, str(file), "a.md", "fp").raw == b"two"


def test_a_build_reads_only_the_post_files_changed_since_the_last(tmp_path: Path) -> None:
    """The keys are kept in `.blog-cache/`: a later process reads no file it need not."""
    root = make_site(tmp_path / "site")
    sources = sorted((root / "posts").iterdir())
    _wait_until_old_enough(*sources)
    assert build(root, BuildOptions(jobs=1)).posts_read == 2
    assert build(root, BuildOptions(jobs=1)).posts_read == 0
    result = run_blog("build", "--timings", cwd=root)  # another process
    assert result.returncode == 0, result.stderr
    assert "read and hash 0 post files" in result.stdout

    sources[0].write_text(post("Post 1", date="2024-01-01", body="Edited"), encoding="utf-8")
    report = build(root, BuildOptions(jobs=1))
    assert (report.posts_read, report.posts_parsed) == (1, 1)
    assert "Edited" in (root / "public/posts/p1/index.html").read_text(encoding="utf-8")


def test_serve_keeps_the_search_postings_and_writes_caches_when_finished(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    session = ServeSession()
    build(root, BuildOptions(jobs=1, build_cache=session))
    assert session.search_postings() is not None
    assert not (root / ".blog-cache/posts").exists()
    session.finish()
    assert (root / ".blog-cache/posts").exists()
    assert DiskCache().search_postings() is None
