"""Optional LLM answers (any OpenAI-compatible endpoint, through langchain), checked before display.

The default assistant needs no LLM. When ``ASSISTANT_LLM_BASE_URL`` and ``ASSISTANT_LLM_MODEL``
are set, :func:`make_llm` returns an :class:`LLMAnswerer` that rewrites the extractive answer as
fluent Chinese prose from the retrieved passages — but never less grounded than the extractive
answer: every sentence is verified claim by claim against the passage it cites, and must rest on
source sentences the extractive composer would consider relevant to the question.

- prompts.py — what the model is told (passages as data, the domain from Settings.domain);
- reply.py — markers, sentences and reasoning blocks of a reply;
- claims.py — the names, places, titles, dates and numbers of a sentence, and the windows of a
  passage that state them together;
- relevance.py — the answer model's relevance decision, projected onto the passages;
- verify.py — the sentence-by-sentence verdict (pure);
- answerer.py — the langchain client, streaming, and the extractive fallback."""

from .answerer import FALLBACK_SUFFIX, LLMAnswerer, LLMConfig, failure_reason, make_llm, service_note
from .claims import support_text
from .prompts import ANSWER_PROMPT, CONDENSE_PROMPT, clean_condensed, format_sources
from .relevance import PassageRelevance, SentenceScores
from .reply import normalize_markers, render_sentence, split_answer, strip_think, visible_prefix
from .verify import REFUSAL_PHRASE, SentenceCheck, VerifiedText, VerifyConfig, verify

__all__ = [
    "ANSWER_PROMPT",
    "CONDENSE_PROMPT",
    "FALLBACK_SUFFIX",
    "REFUSAL_PHRASE",
    "LLMAnswerer",
    "LLMConfig",
    "PassageRelevance",
    "SentenceCheck",
    "SentenceScores",
    "VerifiedText",
    "VerifyConfig",
    "clean_condensed",
    "failure_reason",
    "format_sources",
    "make_llm",
    "normalize_markers",
    "render_sentence",
    "service_note",
    "split_answer",
    "strip_think",
    "support_text",
    "verify",
    "visible_prefix",
]
