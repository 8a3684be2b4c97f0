/** The bundled language model of the local stack's Ollama: imported from the cached GGUF when missing. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import { ollamaHasModel } from './health';

/** SmolLM2-135M-Instruct (scripts/install-ollama.sh), under the name the local stack's Ollama serves it. */
export const BUNDLED_MODEL = 'bundled-smollm2:135m';

const IMPORT_TIMEOUT_MS = 120_000;

/**
 * Imports the bundled GGUF as BUNDLED_MODEL into the Ollama at `host` unless it is there already
 * (`ollama create` with a one-line Modelfile; the GGUF carries its chat template and stop tokens).
 */
export async function ensureBundledModel(options: {
  host: string;
  bin: string;
  bundledGguf: string;
  /** Where the Modelfile is written. */
  workDir: string;
  log: (msg: string) => void;
}): Promise<void> {
  if (await ollamaHasModel(options.host, BUNDLED_MODEL)) return;
  const started = Date.now();
  fs.mkdirSync(options.workDir, { recursive: true });
  const modelfile = path.join(options.workDir, 'Modelfile');
  fs.writeFileSync(modelfile, `FROM ${options.bundledGguf}\n`);
  try {
    await promisify(execFile)(options.bin, ['create', BUNDLED_MODEL, '-f', modelfile], {
      env: { ...process.env, OLLAMA_HOST: options.host },
      timeout: IMPORT_TIMEOUT_MS,
    });
  } catch (err) {
    const { stderr, message } = err as { stderr?: string; message: string };
    throw new Error(
      `could not import ${options.bundledGguf} into Ollama as ${BUNDLED_MODEL}: ${stderr || message}`,
    );
  }
  options.log(
    `ollama: imported the bundled model ${BUNDLED_MODEL} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}
