"""Every class that stands in at a seam has what its Protocol asks for, checked without loading a model.

A Protocol's methods must be there with its parameters (a class may add optional ones); its attributes must be
set by the class, in its body or on ``self`` in one of its methods. mypy checks the same where a class is passed
as its Protocol; this checks each class whether or not the code passes it anywhere yet.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest

from embeddings import Embedder
from embeddings.openvino_embedder import OpenVINOEmbedder
from embeddings.sentence_transformer import SentenceTransformerEmbedder
from rag.ask.answerer import Answerer
from rag.ask.extractive import ExtractiveAnswerer
from rag.ask.generate import GenerativeAnswerer
from rag.ask.llm import ChatModel
from rag.ask.local_chat import LocalChat
from rag.ask.openai_chat import OpenAIChat
from rag.eval.baselines import LeadAnswerer
from rag.index.bm25_store import Bm25Store
from rag.index.lexical_store import LexicalStore, UpdatableLexicalStore
from rag.index.milvus_lexical_store import MilvusLexicalStore
from ui.service import LockedEmbedder

SEAMS = [(Embedder, SentenceTransformerEmbedder), (Embedder, OpenVINOEmbedder), (Embedder, LockedEmbedder),
         (Answerer, ExtractiveAnswerer), (Answerer, GenerativeAnswerer), (Answerer, LeadAnswerer),
         (ChatModel, OpenAIChat), (ChatModel, LocalChat), (LexicalStore, Bm25Store),
         (LexicalStore, MilvusLexicalStore), (UpdatableLexicalStore, MilvusLexicalStore)]


def methods(cls: type) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(value) for name, value in vars(cls).items()
            if inspect.isfunction(value) and not name.startswith("_")}


def attributes(cls: type) -> set[str]:
    """Names the class defines in its body or assigns on ``self`` in its methods: for ``LockedEmbedder``
    ``{"inner", "name", "dimension", "backend", "_lock", "embed", ...}``."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    on_self = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
               and isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name) and node.value.id == "self"}
    return on_self | set(vars(cls)) | set(getattr(cls, "__annotations__", {}))


def missing_parameters(wanted: inspect.Signature, given: inspect.Signature) -> list[str]:
    """What ``given`` lacks to be called as ``wanted`` is: its parameters by name and kind, extras optional."""
    problems = [f"no parameter {p.name!r} ({p.kind.description})" for p in wanted.parameters.values()
                if p.name not in given.parameters or given.parameters[p.name].kind != p.kind]
    problems += [f"extra required parameter {p.name!r}" for p in given.parameters.values()
                 if p.name not in wanted.parameters and p.default is p.empty
                 and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    return problems


@pytest.mark.parametrize("protocol, cls", SEAMS, ids=[f"{p.__name__}-{c.__name__}" for p, c in SEAMS])
def test_class_has_what_its_protocol_asks_for(protocol, cls):
    wanted_methods = methods(protocol)
    wanted_attributes = set(protocol.__annotations__) - set(wanted_methods)
    problems = [f"no attribute {name!r}" for name in sorted(wanted_attributes - attributes(cls))]
    given = {name: inspect.signature(getattr(cls, name)) for name in wanted_methods
             if callable(getattr(cls, name, None))}
    for name, signature in wanted_methods.items():
        if name not in given:
            problems.append(f"no method {name}()")
        else:
            problems += [f"{name}(): {p}" for p in missing_parameters(signature, given[name])]
    assert not problems, f"{cls.__name__} does not fit {protocol.__name__}: {problems}"


def test_a_missing_attribute_is_caught():
    """The check itself: the chat's embedder once lacked ``backend``, so the manifest said "torch"."""

    class NoBackend:
        def __init__(self, inner):
            self.name, self.dimension = inner.name, inner.dimension

        def embed(self, texts, progress=None):
            return texts

    assert "backend" not in attributes(NoBackend) and {"name", "dimension"} <= attributes(NoBackend)
    assert missing_parameters(inspect.signature(Embedder.embed), inspect.signature(NoBackend.embed)) == []
