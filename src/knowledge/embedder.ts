import fs from 'node:fs';
import path from 'node:path';
import { AutoModel, AutoTokenizer, env, mean_pooling, type Tensor } from '@huggingface/transformers';

/** Turns texts into fixed-length vectors; close vectors mean close meanings. */
export interface Embedder {
  readonly dimensions: number;
  embed(texts: string[]): Promise<number[][]>;
}

/** The id scripts/install-model.sh installs the model under (a folder below modelDir). */
export const MINILM_MODEL_ID = 'sentence-transformers/all-MiniLM-L6-v2';
const DIMENSIONS = 384;
/** sentence-transformers' max_seq_length for this model: longer texts are cut to 256 word pieces. */
const MAX_SEQ_LENGTH = 256;

/**
 * all-MiniLM-L6-v2 sentence embeddings computed as sentence-transformers does (mean pooling over the
 * attention mask, then L2 normalisation), run by transformers.js on onnxruntime-node.
 *
 * Loads only local files, `<modelDir>/<modelId>/{config.json,tokenizer.json,tokenizer_config.json,
 * onnx/model.onnx}` (or onnx/model_quantized.onnx), as written by scripts/install-model.sh; remote
 * loading is switched off (transformers.js' `env` is process-wide, so this holds for every model loaded
 * in the process).
 */
export async function createMiniLmEmbedder(options: {
  modelDir: string;
  modelId?: string;
  batchSize?: number;
}): Promise<Embedder> {
  const modelId = options.modelId ?? MINILM_MODEL_ID;
  const batchSize = Math.max(1, options.batchSize ?? 32);
  const modelDir = path.resolve(options.modelDir);
  const folder = path.join(modelDir, modelId);

  const has = (file: string): boolean => fs.existsSync(path.join(folder, file));
  const weights = has('onnx/model.onnx') ? 'fp32' : has('onnx/model_quantized.onnx') ? 'q8' : undefined;
  const missing = ['config.json', 'tokenizer.json', 'tokenizer_config.json'].filter((file) => !has(file));
  if (!weights) missing.push('onnx/model.onnx');
  if (missing.length > 0) {
    throw new Error(
      `embedding model files missing in ${folder}: ${missing.join(', ')}; ` +
        'run scripts/install-tools.sh and use the EMBEDDING_MODEL_DIR it prints',
    );
  }

  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = modelDir;
  const tokenizer = await AutoTokenizer.from_pretrained(modelId);
  const model = await AutoModel.from_pretrained(modelId, { dtype: weights });

  async function embedBatch(texts: string[]): Promise<number[][]> {
    // Pads to the batch's longest text and truncates to MAX_SEQ_LENGTH word pieces.
    const inputs = tokenizer(texts, { padding: true, truncation: true, max_length: MAX_SEQ_LENGTH }) as {
      input_ids: Tensor;
      attention_mask: Tensor;
    };
    restoreFinalSep(inputs.input_ids, inputs.attention_mask, tokenizer.sep_token_id);
    const { last_hidden_state } = (await model(inputs)) as { last_hidden_state: Tensor };
    const pooled = mean_pooling(last_hidden_state, inputs.attention_mask).normalize(2, -1);
    return pooled.tolist() as number[][];
  }

  return {
    dimensions: DIMENSIONS,
    async embed(texts: string[]): Promise<number[][]> {
      // Batches of similar length waste less work on padding (sentence-transformers sorts too);
      // results go back in the caller's order.
      const order = texts.map((_, i) => i).sort((a, b) => texts[b]!.length - texts[a]!.length);
      const vectors: number[][] = new Array<number[]>(texts.length);
      for (let start = 0; start < order.length; start += batchSize) {
        const indices = order.slice(start, start + batchSize);
        const batch = await embedBatch(indices.map((i) => texts[i]!));
        indices.forEach((textIndex, j) => (vectors[textIndex] = batch[j]!));
      }
      return vectors;
    },
  };
}

/**
 * transformers.js truncates by cutting the token list after [SEP] was added, so a long text loses its
 * final [SEP]; sentence-transformers (HF tokenizers) keeps it and drops one more word piece instead.
 * A row that fills the whole width either was truncated or already ends in [SEP]: end it with [SEP].
 */
function restoreFinalSep(inputIds: Tensor, attentionMask: Tensor, sepId: number): void {
  const [rows, width] = inputIds.dims as [number, number];
  if (width < MAX_SEQ_LENGTH) return;
  const ids = inputIds.data as BigInt64Array;
  const mask = attentionMask.data as BigInt64Array;
  for (let row = 0; row < rows; row++) {
    const last = row * width + width - 1;
    if (mask[last] === 1n) ids[last] = BigInt(sepId);
  }
}
