"""Shards patched from the live ones after a few posts changed are the shards a build from
scratch makes (`search.patching` against `search.index.Postings`), over many random edits."""

from __future__ import annotations

import random
from collections.abc import Callable

from mathblog.search.index import PREFIXES, SHARDS, Postings, prefix_shard_of, shard_of
from mathblog.search.patching import SearchRecord, patch_shards, shard_key
from mathblog.search.shard_format import read_shard
from mathblog.search.tokens import completes

WORDS = ["softmax", "rope", "扩散", "位置", "\\mathcal", "\\mathcal{l}", "x", "2d", "attn", "编码"]
SHARD_COUNT = 4


def random_terms(rng: random.Random) -> str:
    chosen = rng.sample(WORDS, rng.randint(0, len(WORDS)))
    return " ".join(f"{term} {rng.randint(1, 12)}" for term in sorted(chosen))


def paths_of(term: str) -> tuple[str, ...]:
    shard = f"{SHARDS}{shard_of(term, SHARD_COUNT)}.json"
    if completes(term):
        return shard, f"{PREFIXES}{prefix_shard_of(term, SHARD_COUNT)}.json"
    return (shard,)


def files_of(postings: Postings) -> dict[str, bytes]:
    names = [f"{folder}{n}.json" for folder in (SHARDS, PREFIXES) for n in range(SHARD_COUNT)]
    return dict(zip(names, postings.files, strict=True))


def live_file(live: dict[str, bytes], keys: dict[str, str]) -> Callable[[str, str], bytes | None]:
    return lambda path, key: live[path] if keys[path] == key else None


def test_patched_shards_equal_shards_made_afresh() -> None:
    rng = random.Random(18)
    for _ in range(300):
        old_terms = [random_terms(rng) for _ in range(rng.randint(0, 12))]
        old_prints = [f"old{n}" for n in range(len(old_terms))]
        live = files_of(Postings(SHARD_COUNT, old_terms))
        keys = {path: shard_key(content) for path, content in live.items()}
        record = SearchRecord(SHARD_COUNT, tuple(old_prints), keys)
        new_terms, new_prints = list(old_terms), list(old_prints)
        for _ in range(rng.randint(1, 3)):  # edit, add at the end, or delete at the end
            action = rng.choice(["edit", "add", "delete"])
            if action == "edit" and new_terms:
                n = rng.randrange(len(new_terms))
                new_terms[n], new_prints[n] = random_terms(rng), f"new{rng.random()}"
            elif action == "add":
                new_terms.append(random_terms(rng))
                new_prints.append(f"new{rng.random()}")
            elif new_terms:
                new_terms.pop()
                new_prints.pop()
        replaced = dict(zip(old_prints, old_terms, strict=True))
        patched = patch_shards(
            record,
            new_prints,
            new_terms,
            replaced,
            paths_of,
            live_file(live, keys),
        )
        assert patched is not None
        fresh = files_of(Postings(SHARD_COUNT, new_terms))
        result = {path: patched.files.get(path, live[path]) for path in live}
        assert result == fresh
        for path in live:  # an untouched shard keeps its key and is carried over
            if path not in patched.files:
                assert patched.keys[path] == keys[path]


def test_unknown_old_terms_or_a_shard_not_as_written_mean_made_afresh() -> None:
    live = files_of(Postings(SHARD_COUNT, ["rope 1", "softmax 2"]))
    keys = {path: shard_key(content) for path, content in live.items()}
    record = SearchRecord(SHARD_COUNT, ("a", "b"), keys)
    args = (["a", "c"], ["rope 1", "softmax 3"])
    # b's old terms unknown:
    assert patch_shards(record, *args, {}, paths_of, lambda p, k: live[p]) is None
    # the live shard of `softmax` edited by hand (its key no longer matches):
    assert patch_shards(record, *args, {"b": "softmax 2"}, paths_of, lambda p, k: None) is None
    assert patch_shards(record, *args, {"b": "softmax 2"}, paths_of, lambda p, k: live[p])


def test_reading_a_shard_refuses_what_a_build_does_not_write() -> None:
    assert read_shard(b"{}") == {}
    assert read_shard(b'{"a":[0,1],"b":[1,2]}') == {"a": '"a":[0,1]', "b": '"b":[1,2]'}
    for bad in (b"", b"{", b'{"a":[0,1],}', b'{"a":[0,1]x"b":[1,2]}', b"scribbled", b"\xff"):
        assert read_shard(bad) is None, bad
