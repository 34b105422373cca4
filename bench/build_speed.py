"""Time `blog build` on a generated site of realistic Chinese/English math notes.

    python bench/build_speed.py --posts 1000 --runs 3

Each post has mixed Chinese/English prose, ~20 inline and ~4 display formulas, 3 code blocks and
2–3 of 60 tags, about 8 KB. The generator is seeded, so every run builds the same site. This is a
measurement, run by hand; it is not part of the test suite.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
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


def generate_site(root: Path, posts: int) -> None:
    rng = random.Random(20261121)
    (root / "posts").mkdir(parents=True)
    (root / "site.toml").write_text('title = "Bench"\nlanguage = "zh-CN"\n', encoding="utf-8")
    for number in range(posts):
        (root / "posts" / f"note-{number:05d}.md").write_text(
            make_post(rng, number), encoding="utf-8"
        )


def time_build(root: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "blog", "build", "--source", str(root)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "site"
        generate_site(root, args.posts)
        size = sum(p.stat().st_size for p in (root / "posts").iterdir())
        cold, warm = [], []
        for _ in range(args.runs):
            shutil.rmtree(root / "public", ignore_errors=True)
            shutil.rmtree(root / ".blog-cache", ignore_errors=True)
            cold.append(time_build(root))
            shutil.rmtree(root / "public", ignore_errors=True)
            warm.append(time_build(root))  # every formula comes from .blog-cache/
        for name, times in (("cold full build", cold), ("full build, formulas cached", warm)):
            print(
                f"{args.posts} posts ({size / 1e6:.1f} MB): {name} median "
                f"{statistics.median(times):.2f} s over {args.runs} runs "
                f"(min {min(times):.2f}, max {max(times):.2f})"
            )


if __name__ == "__main__":
    main()
