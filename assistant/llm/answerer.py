"""The LLM answerer: condense → answer → verify through langchain, the extractive answer as the
fallback for every failure.

1. *condense* (LCEL: prompt | model | parser): with conversation history, the follow-up is
   rewritten into a standalone question;
2. *answer* (LCEL: prompt | model | parser): the top passages, numbered, as data (prompts.py);
3. *verify* (verify.py): every sentence claim by claim against its cited passage, and against the
   answer-relevance decision of the extractive composer when the caller passes its scores.

Service failures (timeout, refused connection, rate limit, malformed reply) never raise: the
extractive answer comes back with a visible Chinese note. A question the extractive composer
refuses is never sent: a sentence the model can cite is not yet an answer to it."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable

from ..conversation import Conversation
from ..schema import Answer, Citation, Hit
from ..settings import Settings, section
from .prompts import ANSWER_PROMPT, CONDENSE_PROMPT, clean_condensed, escape, format_history, format_sources
from .relevance import SentenceScores
from .reply import render_sentence, strip_think, visible_prefix
from .verify import VerifiedText, VerifyConfig, verify

log = logging.getLogger(__name__)

FALLBACK_SUFFIX = "以下为资料原文摘录。"


@dataclass(frozen=True)
class LLMConfig:  # defaults and meanings: Settings.llm_*
    llm_timeout: float
    llm_max_sources: int
    llm_max_history_turns: int
    llm_max_history_answer_chars: int
    llm_max_output_chars: int


def failure_reason(exc: BaseException) -> str:
    """Short Chinese reason for a failed model call (matched by exception class names, so it works
    for openai, httpx, httpx2 and langchain's own ModelError types alike)."""
    names = {c.__name__ for c in type(exc).__mro__}
    if names & {"APITimeoutError", "ModelTimeoutError", "TimeoutException", "TimeoutError", "ReadTimeout",
                "ConnectTimeout", "WriteTimeout", "PoolTimeout"}:
        return "超时"
    if names & {"RateLimitError", "ModelRateLimitError"}:
        return "请求过于频繁"
    if names & {"AuthenticationError", "PermissionDeniedError", "ModelAuthenticationError",
                "ModelPermissionDeniedError"}:
        return "认证失败"
    if names & {"APIConnectionError", "ModelConnectionError", "ConnectError", "TransportError", "NetworkError",
                "ConnectionError", "RemoteProtocolError"}:
        return "无法连接"
    if names & {"NotFoundError", "ModelNotFoundError"}:
        return "模型不存在"
    if names & {"ContextOverflowError", "ModelInvalidRequestError", "BadRequestError"}:
        return "请求被拒绝"
    if names & {"APIResponseValidationError", "JSONDecodeError", "ValidationError", "OutputParserException"}:
        return "回复格式异常"
    if names & {"APIStatusError", "ModelAPIError", "InternalServerError", "APIError", "ModelError"}:
        return "服务出错"
    return "调用出错"


def service_note(exc: BaseException) -> str:
    return f"大模型服务不可用（{failure_reason(exc)}），"


def _fallback(extractive: Answer, note: str) -> Answer:
    return replace(extractive, mode="extractive", notes=(note + FALLBACK_SUFFIX,) + tuple(extractive.notes))


def _renumber(verified: VerifiedText, sources: Sequence[Hit]) -> tuple[str, tuple[Citation, ...]]:
    """Citations 1..n in order of first use (verbatim chunk text) and the text's markers rewritten."""
    order: dict[int, int] = {}
    for s in verified.kept:
        for i in s.sources:
            order.setdefault(i, len(order) + 1)
    body = "".join(render_sentence(s.text, sorted(order[i] for i in s.sources)) for s in verified.kept)
    citations = []
    for i, n in order.items():
        hit = sources[i - 1]
        c = hit.chunk
        citations.append(Citation(n=n, doc_id=c.doc_id, title=c.title, text=c.text, start=c.start, end=c.end,
                                  score=round(hit.score, 6), chunk_id=c.chunk_id))
    return body, tuple(citations)


def _message_text(delta: object) -> str:
    return delta if isinstance(delta, str) else ""


def _openai_model(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key or "EMPTY",
        timeout=settings.llm_timeout,
        max_retries=0,
        temperature=settings.llm_temperature,
    )


class LLMAnswerer:
    """Condense → answer → verify, with the extractive answer as the fallback for every failure."""

    def __init__(self, settings: Settings, chat_model: BaseChatModel | None = None,
                 config: LLMConfig | None = None) -> None:
        self.settings = settings
        self.config = config or section(LLMConfig, settings)
        self.verify_config = section(VerifyConfig, settings)
        self.model = chat_model if chat_model is not None else _openai_model(settings)
        self.condense_chain: Runnable = CONDENSE_PROMPT | self.model | StrOutputParser()
        self.answer_chain: Runnable = ANSWER_PROMPT.partial(domain=settings.domain) | self.model | StrOutputParser()

    # ------------------------------------------------------------------ steps
    def sources(self, hits: Sequence[Hit]) -> list[Hit]:
        """The passages the model sees: top hits, one per chunk, numbered 1..n in this order."""
        seen: set[str] = set()
        out: list[Hit] = []
        for h in hits:
            key = h.chunk.chunk_id or f"{h.chunk.doc_id}:{h.chunk.start}"
            if key in seen:
                continue
            seen.add(key)
            out.append(h)
            if len(out) >= self.config.llm_max_sources:
                break
        return out

    def condense(self, question: str, conversation: Conversation | None = None) -> str:
        """A standalone question (one LLM call when there is history). Service errors propagate."""
        if conversation is None or not conversation.turns:
            return question
        history = format_history(conversation, self.config.llm_max_history_turns,
                                 self.config.llm_max_history_answer_chars)
        raw = self.condense_chain.invoke({"history": history, "question": escape(question)})
        return clean_condensed(raw if isinstance(raw, str) else "", question)

    def finish(self, raw: str, sources: Sequence[Hit], extractive: Answer,
               scores: SentenceScores | None = None) -> Answer:
        """Verify a complete reply and turn it into the Answer the user sees."""
        text = strip_think(raw or "").strip()[: self.config.llm_max_output_chars]
        if not text:
            return _fallback(extractive, "大模型回复为空，")
        relevance = scores.for_passages([h.chunk for h in sources], extractive.citations) if scores else None
        verified = verify(text, [h.chunk.text for h in sources], self.verify_config, relevance)
        for s in verified.dropped:
            log.info("LLM sentence dropped (%s): %s — %s", s.status, s.text, s.reason)
        if verified.refusal:
            return _fallback(extractive, "大模型认为资料中没有相关内容，")
        if not verified.passed:
            claims = verified.claims
            kept = sum(1 for s in claims if s.kept)
            if not claims:
                return _fallback(extractive, "大模型回复格式不符，")
            return _fallback(extractive, f"大模型回答未通过来源核对（{len(claims)} 句中仅 {kept} 句有资料支持），")
        body, citations = _renumber(verified, sources)
        notes: list[str] = []
        n_dropped = sum(1 for s in verified.dropped if s.counted)
        if n_dropped:
            notes.append(f"已删去 {n_dropped} 句无法在资料中核实的内容。")
        notes.extend(extractive.notes)
        return Answer(question=extractive.question, text=body, citations=citations, refused=False, mode="llm",
                      notes=tuple(notes), related=(), retrieved=extractive.retrieved,
                      resolved_question=extractive.resolved_question)

    # ------------------------------------------------------------------ public entry points
    def improve(self, question: str, hits: Sequence[Hit], extractive: Answer,
                conversation: Conversation | None = None, scores: SentenceScores | None = None) -> Answer:
        """The verified LLM answer, or ``extractive`` with a note. Never raises."""
        final = extractive
        for item in self._run(question, hits, extractive, conversation, scores, streaming=False):
            if isinstance(item, Answer):
                final = item
        return final

    def stream(self, question: str, hits: Sequence[Hit], extractive: Answer,
               conversation: Conversation | None = None,
               scores: SentenceScores | None = None) -> Iterator[str | Answer]:
        """Text deltas of the raw reply, then exactly one verified Answer (last). Never raises.

        ``scores``: the answer model's scores of the candidate sentences of ``hits``
        (:meth:`SentenceScores.of`); without them sentences are checked against their passages only."""
        yield from self._run(question, hits, extractive, conversation, scores, streaming=True)

    def _run(self, question: str, hits: Sequence[Hit], extractive: Answer, conversation: Conversation | None,
             scores: SentenceScores | None, streaming: bool) -> Iterator[str | Answer]:
        sources = self.sources(hits)
        if not sources or extractive.refused:
            # nothing to ground an answer on, or the corpus does not answer: a sentence the LLM
            # can cite is not yet an answer to this question (梵净山 门票 ← 景区大门3公里), so a
            # refusal stays a refusal and the model is not asked
            yield extractive
            return
        raw = ""
        deadline = time.monotonic() + self.config.llm_timeout
        try:
            standalone = self.condense(question, conversation)
            inputs = {"sources": format_sources(sources), "question": escape(standalone)}
            if streaming:
                shown = 0
                for delta in self.answer_chain.stream(inputs):
                    if time.monotonic() > deadline:  # the timeout bounds the whole reply, not each read
                        raise TimeoutError(f"no complete reply within {self.config.llm_timeout:.0f} s")
                    raw += _message_text(delta)
                    visible = visible_prefix(raw)
                    if len(visible) > shown:
                        yield visible[shown:]
                        shown = len(visible)
                    if len(raw) > self.config.llm_max_output_chars:
                        break
            else:
                raw = _message_text(self.answer_chain.invoke(inputs))
        except Exception as exc:  # noqa: BLE001 — any failure of the service means: fall back
            log.warning("LLM call failed (%s: %s); falling back to the extractive answer.",
                        type(exc).__name__, exc)
            yield _fallback(extractive, service_note(exc))
            return
        try:
            yield self.finish(raw, sources, extractive, scores)
        except Exception:
            log.exception("LLM answer verification failed; falling back to the extractive answer.")
            yield _fallback(extractive, "大模型回答无法核对，")


def make_llm(settings: Settings) -> LLMAnswerer | None:
    """An LLMAnswerer when an endpoint is configured (base URL and model), else None."""
    if not settings.llm_enabled:
        return None
    try:
        return LLMAnswerer(settings)
    except Exception as exc:  # noqa: BLE001
        log.warning("无法创建大模型客户端（%s），只使用原文摘录。", exc)
        return None
