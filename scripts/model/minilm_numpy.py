"""all-MiniLM-L6-v2 in plain numpy: safetensors reader, BERT forward pass, sentence pooling.

This is the reference the exported ONNX graph is checked against. It follows
transformers' BertModel (eval mode: no dropout) and sentence-transformers'
Pooling(mean) + Normalize modules, computed in float64.
"""

import json
import struct

import numpy as np

HIDDEN = 384
HEADS = 12
LAYERS = 6
LN_EPS = 1e-12

_DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "F16": np.float16}


def read_safetensors(data: bytes) -> dict:
    """Parses a safetensors buffer: u64 little-endian header length, JSON header, raw tensors."""
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
        array = np.frombuffer(data[base + start : base + end], dtype=dtype).reshape(info["shape"])
        tensors[name] = array.astype(array.dtype.newbyteorder("="))
    return tensors


def _layer_norm(x, weight, bias):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + LN_EPS) * weight + bias


def _gelu(x):
    from math import erf, sqrt

    return 0.5 * x * (1.0 + np.vectorize(erf)(x / sqrt(2.0)))


def forward(w: dict, input_ids, attention_mask, token_type_ids=None):
    """last_hidden_state [batch, seq, 384] (float64) of BertModel for int64 inputs [batch, seq]."""
    w = {k: v.astype(np.float64) for k, v in w.items() if v.dtype != np.int64}
    input_ids = np.asarray(input_ids, dtype=np.int64)
    mask = np.asarray(attention_mask, dtype=np.float64)
    if token_type_ids is None:
        token_type_ids = np.zeros_like(input_ids)
    seq = input_ids.shape[1]
    x = (
        w["embeddings.word_embeddings.weight"][input_ids]
        + w["embeddings.position_embeddings.weight"][:seq][None]
        + w["embeddings.token_type_embeddings.weight"][token_type_ids]
    )
    x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    # transformers adds finfo(float32).min where the mask is 0.
    additive = (1.0 - mask)[:, None, None, :] * np.finfo(np.float32).min
    head = HIDDEN // HEADS
    batch = input_ids.shape[0]

    def linear(t, prefix):
        return t @ w[prefix + ".weight"].T + w[prefix + ".bias"]

    def split(t):
        return t.reshape(batch, seq, HEADS, head).transpose(0, 2, 1, 3)

    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        q = split(linear(x, p + "attention.self.query"))
        k = split(linear(x, p + "attention.self.key"))
        v = split(linear(x, p + "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head) + additive
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        probs = scores / scores.sum(-1, keepdims=True)
        ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, seq, HIDDEN)
        x = _layer_norm(
            linear(ctx, p + "attention.output.dense") + x,
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
        )
        inter = _gelu(linear(x, p + "intermediate.dense"))
        x = _layer_norm(
            linear(inter, p + "output.dense") + x,
            w[p + "output.LayerNorm.weight"],
            w[p + "output.LayerNorm.bias"],
        )
    return x


def sentence_embeddings(last_hidden_state, attention_mask):
    """sentence-transformers Pooling(mean) then Normalize: masked mean over tokens, L2 unit length."""
    mask = np.asarray(attention_mask, dtype=np.float64)[..., None]
    pooled = (last_hidden_state * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
    return pooled / np.clip(np.linalg.norm(pooled, axis=-1, keepdims=True), 1e-12, None)
