"""``python -m assistant bench``: every speed figure of the embedding path, measured side by side in
one run on the same texts, with the machine's load average (figures under load are not comparable
with idle ones).

What it measures:
- encoder: the embedding model alone (no cache) on the unique chunk texts of the seed corpus plus
  the first ``n_build_docs`` distractor news articles, for the default backend and for torch;
- build: ``Assistant.add_documents`` of the same documents into a fresh index with an empty cache
  (chunking, embedding, BM25, glossary, atomic save) with the already-loaded default model;
  ``build_vs_encoder`` = build texts/s ÷ encoder texts/s. Encoder and build are timed three
  times, alternately, and the fastest run of each is kept;
- quality: evidence@3 and MRR of ``evaluate`` (the ``eval`` command's scorer) for torch and the
  default backend, on data/questions/seed-public.jsonl over corpus/, and on the news questions over a
  subset of news-qa-corpus.jsonl: every question's source article plus the first
  ``n_distractors`` other articles by id; vectors come from the shared cache when present;
- cold ``ask``: wall time of ``python -m assistant ask`` in a new process on the seed index
  (median of 3; the page cache is warm), and the same steps timed inside one process: imports,
  model load, index open, answer; and the wall time on the seed + distractor index;
- warm ``ask`` / ``search``: p50 / p95 over the seed question sets (seed-public, team-dev,
  team-heldout), and the peak RSS, in a
  separate process on the seed + 1,677 distractor index (``.cache/index-news``, as ``make eval``).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .settings import PROJECT_ROOT as ROOT
from .settings import SHARED_DIR

NEWS = SHARED_DIR / "corpus-news" / "rural-news.jsonl"
NEWS_QA = SHARED_DIR / "corpus-news" / "news-qa-corpus.jsonl"
NEWS_QUESTIONS = SHARED_DIR / "eval" / "news-questions.jsonl"
SEED_QUESTIONS = "seed-public.jsonl"  # in settings.questions_dir
WARM_QUESTIONS = ("seed-public.jsonl", "team-dev.jsonl", "team-heldout.jsonl")
COLD_QUESTION = "江口县县长是谁？"
ATTEMPTS = 3  # encoder and build runs, alternated; the fastest of each is kept (load comes and goes)


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _best_rate(n: int, runs: list[float]) -> float:
    return n / min(runs) if runs and min(runs) > 0 else 0.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))] if ordered else 0.0


# ----------------------------------------------------------------------------- throughput


def measure_throughput(settings, embedders: dict, n_build_docs: int, work: Path) -> dict:
    from .chunking import chunk_document
    from .embedding import VectorCache
    from .loaders import load_paths
    from .pipeline import Assistant

    docs, _ = load_paths([ROOT / "corpus"])
    news, _ = load_paths([NEWS])
    docs += news[:n_build_docs]
    chunks = [c for d in docs for c in chunk_document(d, settings.chunk_max_chars, settings.chunk_overlap_sentences)]
    texts = list(dict.fromkeys(c.search_text for c in chunks))
    default = embedders["default"]
    runs: dict[str, list[float]] = {"default": [], "torch": [], "build": []}
    for attempt in range(ATTEMPTS):
        for name in ("default", "torch"):
            t = time.perf_counter()
            embedders[name].with_cache(None).embed_passages(texts)
            runs[name].append(time.perf_counter() - t)
        build_settings = settings.replace(index_dir=work / f"build-{attempt}")
        assistant = Assistant(build_settings, embedder=default.with_cache(VectorCache(work / f"cache-{attempt}")))
        t = time.perf_counter()
        report = assistant.add_documents(docs)
        runs["build"].append(time.perf_counter() - t)
        assert report.n_embedded == len(texts), (report.n_embedded, len(texts))
    rates = {k: _best_rate(len(texts), v) for k, v in runs.items()}
    medians = {k: len(texts) / statistics.median(v) for k, v in runs.items()}
    return {
        "n_docs": len(docs), "n_texts": len(texts),
        "encoder_per_s": round(rates["default"], 1), "torch_encoder_per_s": round(rates["torch"], 1),
        "build_per_s": round(rates["build"], 1),
        "build_vs_encoder": round(rates["build"] / rates["default"], 3),
        "build_vs_encoder_median": round(medians["build"] / medians["default"], 3),
        "backend_speedup": round(rates["default"] / rates["torch"], 2),
    }


# ----------------------------------------------------------------------------- quality


def _news_subset(n_distractors: int):
    from .evaluation import load_questions
    from .loaders import load_paths

    questions = load_questions(NEWS_QUESTIONS)
    sources = {q.get("source_doc") for q in questions if q.get("source_doc")}
    docs, _ = load_paths([NEWS_QA])
    by_id = {d.source.rsplit("#", 1)[-1]: d for d in docs}
    others = sorted(i for i in by_id if i not in sources)[:n_distractors]
    return questions, [by_id[i] for i in sorted(sources & set(by_id)) + others]


def _scores(assistant, questions: list[dict]) -> dict:
    from .batch import answer_record
    from .evaluation import evaluate

    figures = evaluate(questions, lambda q: answer_record(assistant, q), k=3,
                       max_chars=assistant.settings.max_answer_chars).figures()
    return {"evidence@3": round(figures["evidence@k"] or 0.0, 4), "mrr": round(figures["mrr"] or 0.0, 4)}


def measure_quality(settings, embedders: dict, n_distractors: int, work: Path, max_questions: int) -> dict:
    from .evaluation import load_questions
    from .pipeline import Assistant

    news_questions, news_docs = _news_subset(n_distractors)
    sets = {"seed": load_questions(settings.questions_dir / SEED_QUESTIONS)[:max_questions],
            "news": news_questions[:max_questions]}
    out: dict = {"news_docs": len(news_docs)}
    for name, embedder in embedders.items():
        seed = Assistant.open(settings.replace(index_dir=work / f"seed-{name}", corpus=(ROOT / "corpus",)),
                              embedder=embedder)
        news = Assistant(settings.replace(index_dir=work / f"news-{name}"), embedder=embedder)
        news.add_documents(news_docs)
        out[name] = {"seed": _scores(seed, sets["seed"]), "news": _scores(news, sets["news"])}
    deltas = [abs(out["default"][s][m] - out["torch"][s][m]) * 100 for s in sets for m in ("evidence@3", "mrr")]
    out["quality_delta_points"] = round(max(deltas), 2)
    out["n_questions"] = {k: len(v) for k, v in sets.items()}
    return out


# ----------------------------------------------------------------------------- cold and warm processes


def cold_probe(question: str = COLD_QUESTION) -> None:
    """Run in a fresh process: the steps of a one-off ``ask``, timed, printed as JSON."""
    t0 = time.perf_counter()
    from .conversation import Conversation
    from .embedding import Embedder
    from .pipeline import Assistant
    from .settings import Settings

    t1 = time.perf_counter()
    settings = Settings.from_env()
    embedder = Embedder(settings)
    t2 = time.perf_counter()
    assistant = Assistant.open(settings, embedder=embedder, build_if_missing=False)
    t3 = time.perf_counter()
    assistant.ask(question, Conversation())
    t4 = time.perf_counter()
    print(json.dumps({"imports": t1 - t0, "model": t2 - t1, "index": t3 - t2, "answer": t4 - t3}))


def time_asks(assistant, questions: list[str], rounds: int) -> tuple[list[float], list[float]]:
    """Milliseconds of each warm ``ask`` and ``search`` of ``questions``, ``rounds`` times over
    (after one ask to warm up)."""
    assistant.ask(questions[0])
    ask_ms, search_ms = [], []
    for _ in range(rounds):
        for q in questions:
            t = time.perf_counter()
            assistant.ask(q)
            ask_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            assistant.search(q)
            search_ms.append((time.perf_counter() - t) * 1000)
    return ask_ms, search_ms


def warm_probe(rounds: int = 2) -> None:
    """Run in a fresh process on ASSISTANT_INDEX_DIR: warm ask/search latency and peak RSS."""
    from .evaluation import load_questions
    from .pipeline import Assistant
    from .settings import Settings

    settings = Settings.from_env()
    assistant = Assistant.open(settings, build_if_missing=False)
    questions = [q.get("question") or q["turns"][-1] for name in WARM_QUESTIONS
                 for q in load_questions(settings.questions_dir / name)]
    ask_ms, search_ms = time_asks(assistant, questions, rounds)
    print(json.dumps({
        "n": len(ask_ms), "chunks": len(assistant.store.chunks),
        "warm_ask_p50_ms": percentile(ask_ms, 0.5), "warm_ask_p95_ms": percentile(ask_ms, 0.95),
        "warm_search_p50_ms": percentile(search_ms, 0.5), "warm_search_p95_ms": percentile(search_ms, 0.95),
        "peak_rss_mb": _peak_rss_mb(),
    }))


def _peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: on Linux a process started by
    fork/vfork + exec inherits its parent's ru_maxrss (the bench's, with torch loaded)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _python(args: list[str], index_dir: Path, settings) -> tuple[float, str]:
    """Wall time and stdout of ``python ARGS`` in a new process on ``index_dir``."""
    env = dict(os.environ, ASSISTANT_INDEX_DIR=str(index_dir), ASSISTANT_EMBED_BACKEND=settings.embed_backend,
               ASSISTANT_CACHE_DIR=str(settings.cache_dir))
    t = time.perf_counter()
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=900,
                         check=True)
    return time.perf_counter() - t, out.stdout


def measure_cold(settings, seed_index: Path, news_index: Path) -> dict:
    def cli_wall(index: Path) -> float:
        return statistics.median(_python(["-m", "assistant", "ask", COLD_QUESTION], index, settings)[0]
                                 for _ in range(3))

    cold = cli_wall(seed_index)
    wall, out = _python(["-c", "from assistant.bench import cold_probe; cold_probe()"], seed_index, settings)
    split = {k: round(v, 3) for k, v in json.loads(out).items()}
    split["python_start"] = round(wall - sum(split.values()), 3)
    return {"cold_ask_s": round(cold, 2), "cold_split_s": split, "cold_ask_news_s": round(cli_wall(news_index), 2)}


def measure_warm(settings, news_index: Path) -> dict:
    _wall, out = _python(["-c", "from assistant.bench import warm_probe; warm_probe()"], news_index, settings)
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in json.loads(out).items()}


# ----------------------------------------------------------------------------- the whole run


def run_bench(settings, n_build_docs: int = 100, n_distractors: int = 150, max_questions: int = 10_000) -> dict:
    from .embedding import Embedder
    from .embedding.torch_backend import TORCH
    from .pipeline import Assistant

    started = time.perf_counter()
    figures: dict = {"load_avg": _load(), "cores": os.cpu_count(), "backend": settings.embed_backend}
    embedders = {"default": Embedder(settings), "torch": Embedder(settings.replace(embed_backend=TORCH))}
    news_index = ROOT / ".cache" / "index-news"
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        figures.update(measure_throughput(settings, embedders, n_build_docs, work))
        figures["quality"] = measure_quality(settings, embedders, n_distractors, work, max_questions)
        figures["quality_delta_points"] = figures["quality"].pop("quality_delta_points")
        del embedders["torch"]
        Assistant(settings.replace(index_dir=news_index), embedder=embedders["default"]).build(
            [ROOT / "corpus", NEWS])
        figures.update(measure_cold(settings, work / "seed-default", news_index))
        figures.update(measure_warm(settings, news_index))
    figures["load_avg_end"] = _load()
    figures["elapsed_s"] = round(time.perf_counter() - started, 1)
    return figures


def format_table(f: dict) -> str:
    """The figures as one Markdown table, targets beside them."""
    q, split = f["quality"], f["cold_split_s"]
    backend = f["backend"]

    def both(qset: str, metric: str) -> str:
        return f"{100 * q['torch'][qset][metric]:.1f} / {100 * q['default'][qset][metric]:.1f}"

    rows = [
        (f"编码器 encoder {backend}, 块/s", f"{f['encoder_per_s']:.1f}", ""),
        ("编码器 encoder torch, 块/s", f"{f['torch_encoder_per_s']:.1f}", ""),
        (f"建索引 build ({f['n_docs']} 篇, {f['n_texts']} 块), 块/s", f"{f['build_per_s']:.1f}", ""),
        ("build ÷ encoder (fastest runs; medians)",
         f"{100 * f['build_vs_encoder']:.0f}% ({100 * f.get('build_vs_encoder_median', 0):.0f}%)", "≥ 85%"),
        (f"{backend} ÷ torch", f"{f['backend_speedup']:.2f}×", "≥ 2×"),
        (f"seed evidence@3, torch / {backend} ({q['n_questions']['seed']} 题)", both("seed", "evidence@3"), ""),
        (f"seed MRR×100, torch / {backend}", both("seed", "mrr"), ""),
        (f"news evidence@3, torch / {backend} ({q['n_questions']['news']} 题, {q['news_docs']} 篇)",
         both("news", "evidence@3"), ""),
        (f"news MRR×100, torch / {backend}", both("news", "mrr"), ""),
        ("最大质量差 quality delta, points", f"{f['quality_delta_points']:.2f}", "≤ 1"),
        ("冷启动 cold `ask` (seed index), s", f"{f['cold_ask_s']:.2f}", "≤ 3 (idle)"),
        ("  python / imports / model / index / answer, s",
         " / ".join(f"{split[k]:.2f}" for k in ("python_start", "imports", "model", "index", "answer")), ""),
        ("冷启动 cold `ask` (seed + 1,677 news), s", f"{f['cold_ask_news_s']:.2f}", ""),
        (f"warm ask p50 / p95, ms ({f['chunks']} 块)", f"{f['warm_ask_p50_ms']:.0f} / {f['warm_ask_p95_ms']:.0f}", ""),
        ("warm search p50 / p95, ms", f"{f['warm_search_p50_ms']:.0f} / {f['warm_search_p95_ms']:.0f}", ""),
        ("peak RSS (warm process), MB", f"{f['peak_rss_mb']:.0f}", ""),
    ]
    lines = [
        f"嵌入基准 / embedding bench — load average {f['load_avg']} → {f['load_avg_end']} on {f['cores']} cores, "
        f"{f['elapsed_s']:.0f} s",
        "", "| 项目 figure | 数值 value | 目标 target |", "|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)
