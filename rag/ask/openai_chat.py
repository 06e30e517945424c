"""Any server speaking the OpenAI chat-completions API, streamed, behind ``rag.ask.llm.ChatModel``.

>>> list(parse_sse(['data: {"choices": [{"delta": {"content": "Hi"}}]}', "", "data: [DONE]"]))
['Hi']
>>> list(parse_sse(['data: {"choices": [{"delta": {"content": "Hi"}}]}']))
Traceback (most recent call last):
rag.errors.ModelError: the model's stream was cut off before the answer was complete
"""

from __future__ import annotations

import json
import time
from typing import Iterable, Iterator

from rag.ask.llm import Messages, endpoint_error
from rag.errors import ModelError
from rag.settings import Settings


class OpenAIChat:
    """Any server speaking the OpenAI chat-completions API (llama.cpp, Ollama, vLLM, LM Studio, ...)."""

    name = "openai"

    def __init__(self, settings: Settings):
        import httpx  # installed with gradio

        self.settings = settings
        self.url = settings.llm_base_url.rstrip("/") + "/chat/completions"
        self.headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
        # read/write: the longest wait for the next bytes, so a stall mid-stream ends after that long.
        self.timeout = httpx.Timeout(connect=settings.llm_connect_timeout, read=settings.llm_stall_timeout,
                                     write=settings.llm_stall_timeout, pool=settings.llm_connect_timeout)

    def verdict(self, messages: Messages, yes: str, no: str, keep: int = 0) -> float | None:
        return None  # the endpoint's reply says it in words

    def chat(self, messages: Messages, start: str = "", markers: int = 0) -> Iterator[str]:
        import httpx

        s = self.settings
        body = {"model": s.llm_model, "messages": messages, "stream": True, "max_tokens": s.llm_max_tokens,
                "temperature": s.llm_temperature}
        deadline = time.monotonic() + s.llm_total_timeout
        try:
            with httpx.Client(timeout=self.timeout, headers=self.headers) as client:
                sent = False
                try:
                    with client.stream("POST", self.url, json=body) as response:
                        if response.status_code >= 400:
                            raise endpoint_error(response.status_code, _text(response.read()))
                        if response.headers.get("content-type", "").startswith("application/json"):
                            yield _whole_reply(response.read())  # a server that ignores "stream"
                            return
                        for piece in parse_sse(response.iter_lines()):
                            sent = True
                            yield piece
                            if time.monotonic() > deadline:
                                raise ModelError(f"the model took longer than {s.llm_total_timeout:g} s")
                except ModelError as e:
                    if sent or "cut off" not in str(e):
                        raise
                    # An empty stream does not say why. Some servers fail before the first token after the
                    # stream has begun (llama-cpp-python with a prompt too long); asked without streaming, they
                    # answer with the reason, or with the reply itself.
                    with httpx.Client(timeout=self.timeout, headers=self.headers) as fresh:  # not the broken one
                        response = fresh.post(self.url, json={**body, "stream": False})
                    if response.status_code >= 400:
                        raise endpoint_error(response.status_code, _text(response.content)) from None
                    yield _whole_reply(response.content)
        except httpx.ConnectTimeout:
            raise ModelError(f"no answer from {s.llm_base_url} within {s.llm_connect_timeout:g} s") from None
        except httpx.ConnectError:
            raise ModelError(f"cannot reach the model at {s.llm_base_url}") from None
        except httpx.TimeoutException:
            raise ModelError(f"the model sent nothing for {s.llm_stall_timeout:g} s") from None
        except httpx.RemoteProtocolError:
            raise ModelError("the model's stream was cut off before the answer was complete") from None
        except httpx.HTTPError as e:
            raise ModelError(f"the model's endpoint failed ({type(e).__name__})") from None


def parse_sse(lines: Iterable[str]) -> Iterator[str]:
    """Text pieces of an OpenAI chat-completions event stream; raises ``ModelError`` if it is broken."""
    finished = False
    for line in lines:
        if not line or line.startswith(":") or line.startswith(("event:", "id:", "retry:")):
            continue
        if not line.startswith("data:"):
            raise ModelError("the model's stream was malformed")
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            event = json.loads(data)
            if "error" in event:
                raise _reply_error(event["error"])
            choice = event["choices"][0] if event.get("choices") else {}
            piece = (choice.get("delta") or {}).get("content")
        except (ValueError, KeyError, TypeError, AttributeError, IndexError):
            raise ModelError("the model's stream was malformed") from None
        if piece:
            if not isinstance(piece, str):
                raise ModelError("the model's stream was malformed")
            yield piece
        finished = finished or bool(choice.get("finish_reason"))
    if not finished:
        raise ModelError("the model's stream was cut off before the answer was complete")


def _text(body: bytes) -> str:
    return body[:4000].decode("utf-8", "replace")


def _whole_reply(body: bytes) -> str:
    try:
        reply = json.loads(body)
        return reply["choices"][0]["message"]["content"] or ""
    except (ValueError, KeyError, TypeError, IndexError):
        raise ModelError("the model's reply was malformed") from None


def _reply_error(error) -> ModelError:
    message = error.get("message", "") if isinstance(error, dict) else str(error)
    return endpoint_error(400, message)
