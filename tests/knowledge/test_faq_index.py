import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from knowledge.embedders import HashingEmbedder
from knowledge.faq_index import FaqIndex, IndexManifest, StaleIndexError
from knowledge.kb import FaqEntry
from knowledge.normalize import Normalizer
from knowledge.reading import Reader
from knowledge.search import FaqSearcher


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__(dim=64)
        self.embedded: list[str] = []

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.embedded.extend(texts)
        return super().embed_passages(texts)


def test_rebuild_after_one_edit_embeds_only_changed_texts(
    tmp_path: Path, fixture_entries: list[FaqEntry]
) -> None:
    embedder = CountingEmbedder()
    searcher = FaqSearcher(embedder, cache_dir=tmp_path)
    searcher.rebuild(fixture_entries)
    assert embedder.embedded
    embedder.embedded.clear()
    searcher.rebuild(fixture_entries)  # unchanged: the saved index is reused
    assert embedder.embedded == []
    edited = [
        replace(e, answer="粗大ごみは電話かインターネットで申し込んでください。")
        if e.id == "sodai-gomi"
        else e
        for e in fixture_entries
    ]
    searcher.rebuild(edited)
    assert embedder.embedded == ["粗大ごみは電話かインターネットで申し込んでください。"]
    assert searcher.search("粗大ごみの出し方を知りたい").hits[0].faq_id == "sodai-gomi"


def test_stale_manifest_is_refused_and_rebuilt(tmp_path: Path, fixture_entries: list[FaqEntry]) -> None:
    embedder = HashingEmbedder(dim=64)
    normalizer, reader = Normalizer(), Reader()
    built = FaqIndex.build(fixture_entries, embedder, normalizer, reader, cache_dir=tmp_path)
    assert FaqIndex.load_dense(tmp_path, built.manifest).ntotal == built.manifest.rows

    other = replace(built.manifest, corpus_hash="0" * 64)
    with pytest.raises(StaleIndexError, match="corpus_hash"):
        FaqIndex.load_dense(tmp_path, other)
    with pytest.raises(StaleIndexError, match="model"):
        FaqIndex.load_dense(tmp_path, replace(built.manifest, model="another-model"))

    manifest_path = tmp_path / "index" / "manifest.json"
    data = json.loads(manifest_path.read_text())
    data["corpus_hash"] = "f" * 64
    manifest_path.write_text(json.dumps(data))
    rebuilt = FaqIndex.build(fixture_entries, embedder, normalizer, reader, cache_dir=tmp_path)
    assert rebuilt.manifest == built.manifest
    assert IndexManifest(**json.loads(manifest_path.read_text())) == built.manifest


def test_corrupt_index_file_is_rebuilt(tmp_path: Path, fixture_entries: list[FaqEntry]) -> None:
    searcher = FaqSearcher(HashingEmbedder(dim=64), cache_dir=tmp_path)
    searcher.rebuild(fixture_entries)
    (tmp_path / "index" / "dense.faiss").write_bytes(b"garbage")
    searcher.rebuild(fixture_entries)
    assert searcher.search("住民票の写しを取りたい").hits[0].faq_id == "juminhyo"
