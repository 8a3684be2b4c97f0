/**
 * A scripted Ollama-compatible HTTP server for tests. The real `ollama` npm client (`new Ollama({ host:
 * server.url })`) talks to it over HTTP exactly as it would to Ollama; only the "model" is a script:
 *
 *   reply(textOrFn)   default answer (fn gets the parsed request body)
 *   enqueue(...answers) one-shot answers, used in order before the default; an answer may say how it is
 *                     streamed ({ text, stream: { pieces, pieceDelayMs, holdAfterPieces } }): slowly enough
 *                     for a live reply to be seen growing, or paused mid-way until release()
 *   failNext / failAll / recover, latencyMs, hold / release / waitForHeld
 *
 * Implemented like Ollama: POST /api/chat and /api/generate (stream defaults to true as in Ollama's API;
 * streams are NDJSON pieces then a final done:true line with done_reason and timing/token counts),
 * POST /api/embed and legacy /api/embeddings, POST /api/pull, GET /api/tags, GET /api/version, GET /.
 * Errors are Ollama-shaped: JSON { error } with the HTTP status.
 *
 * Honest limits: `options.num_predict` truncates the scripted answer to that many whitespace-separated
 * "tokens" (done_reason 'length') and `options.stop` cuts it before the first stop string, as a model
 * would; `format`, `think`, `tools`, images and unknown models are not interpreted. Embeddings are
 * deterministic hashes of (model, text): well-formed, L2-normalised, but carry NO meaning (similar texts
 * are not closer than unrelated ones). Token counts are word counts.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatRequest, ChatResponse, GenerateRequest, GenerateResponse, ModelResponse } from 'ollama';
import { readBody } from './httpBody';

/** Parsed body of a /api/chat (has `messages`) or /api/generate (has `prompt`) call. */
export type GenerationBody = Partial<ChatRequest> & Partial<GenerateRequest> & { model: string };

export type GenerationPath = '/api/chat' | '/api/generate';

export interface LoggedRequest {
  path: GenerationPath;
  body: GenerationBody;
  at: number;
}

export interface LoggedEmbedRequest {
  path: '/api/embed' | '/api/embeddings';
  model: string;
  inputs: string[];
  at: number;
}

export type ReplyFn = (request: GenerationBody, path: GenerationPath) => string | Promise<string>;

/** How an answer is streamed: its NDJSON lines, and the pause between them. */
export interface StreamPacing {
  /** Lines the answer is split into, on word boundaries (fewer when it has fewer words). */
  pieces: number;
  pieceDelayMs: number;
  /** The stream pauses after this many pieces, as a held call (waitForHeld, release). */
  holdAfterPieces?: number;
}

/** One scripted answer and how it is streamed (default: 4 pieces 2 ms apart). */
export interface ScriptedAnswer {
  text: string;
  stream?: StreamPacing;
}

const DEFAULT_PACING: StreamPacing = { pieces: 4, pieceDelayMs: 2 };

export interface ScriptedOllama {
  /** http://127.0.0.1:PORT — the `host` for `new Ollama({ host })`. */
  readonly url: string;
  readonly port: number;
  /** Delay (ms) before answering each generation call. */
  latencyMs: number;
  /** Names listed by /api/tags (pull adds to it). */
  models: string[];
  /** Embedding size when the request does not ask for `dimensions` (default 768). */
  embeddingDimensions: number;
  /** Generation requests in arrival order (held and failed ones included). */
  readonly requests: LoggedRequest[];
  readonly embedRequests: LoggedEmbedRequest[];
  reply(textOrFn: string | ReplyFn): void;
  enqueue(...answers: Array<string | ScriptedAnswer>): void;
  /** The next `times` generation calls answer `status` with an Ollama error body. */
  failNext(times: number, status?: number): void;
  failAll(status?: number): void;
  recover(): void;
  /** Following generation calls wait (before latency and scripting) until release(). */
  hold(): void;
  /** Let every held call (and paused stream) proceed and stop holding. */
  release(): void;
  readonly heldCount: number;
  waitForHeld(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

interface HeldCall {
  proceed: () => void;
}

const OLLAMA_VERSION = '0.12.6';

/** Error texts Ollama gives for these statuses; anything else gets a runner-crash style message. */
const ERROR_TEXT: Record<number, string> = {
  400: 'invalid request',
  404: 'model not found, try pulling it first',
  429: 'server busy, please try again.  maximum pending requests exceeded',
  503: 'server busy, please try again.  maximum pending requests exceeded',
};

function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** Split text into up to `count` consecutive pieces on word boundaries; joined they equal `text`. */
function splitIntoPieces(text: string, count = 4): string[] {
  const tokens = text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
  const size = Math.max(1, Math.ceil(tokens.length / count));
  const pieces: string[] = [];
  for (let i = 0; i < tokens.length; i += size) pieces.push(tokens.slice(i, i + size).join(''));
  return pieces;
}

/** Deterministic pseudo-embedding: SHA-256 blocks of (model, text) mapped to [-1, 1), L2-normalised. */
export function hashEmbedding(model: string, text: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block += 1) {
    const digest = createHash('sha256').update(`${model}\u0000${text}\u0000${block}`).digest();
    for (let offset = 0; offset + 4 <= digest.length && values.length < dimensions; offset += 4) {
      values.push(digest.readUInt32BE(offset) / 2 ** 31 - 1);
    }
  }
  const norm = Math.sqrt(values.reduce((sum, value) => sum + value * value, 0)) || 1;
  return values.map((value) => value / norm);
}

function modelEntry(name: string): ModelResponse {
  const digest = createHash('sha256').update(name).digest('hex');
  return {
    name,
    model: name,
    modified_at: new Date(0),
    size: 2_019_393_189,
    digest,
    details: {
      parent_model: '',
      format: 'gguf',
      family: 'llama',
      families: ['llama'],
      parameter_size: '3.2B',
      quantization_level: 'Q4_K_M',
    },
    expires_at: new Date(0),
    size_vram: 0,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

class ScriptedOllamaServer implements ScriptedOllama {
  latencyMs = 0;
  models = ['llama3.2:latest', 'nomic-embed-text:latest'];
  embeddingDimensions = 768;
  readonly requests: LoggedRequest[] = [];
  readonly embedRequests: LoggedEmbedRequest[] = [];
  port = 0;

  private readonly http: Server = createServer((req, res) => void this.onHttp(req, res));
  private defaultReply: string | ReplyFn = 'Hehehe. Alright.';
  private readonly queue: ScriptedAnswer[] = [];
  private failuresLeft = 0;
  private failureStatus = 500;
  private failAllStatus: number | undefined;
  private holding = false;
  private held = new Set<HeldCall>();
  private heldListeners = new Set<() => void>();

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.http.address() as AddressInfo).port;
  }

  // ----- scripting API ----------------------------------------------------------------------------

  reply(textOrFn: string | ReplyFn): void {
    this.defaultReply = textOrFn;
  }

  enqueue(...answers: Array<string | ScriptedAnswer>): void {
    this.queue.push(...answers.map((answer) => (typeof answer === 'string' ? { text: answer } : answer)));
  }

  failNext(times: number, status = 500): void {
    this.failuresLeft = times;
    this.failureStatus = status;
  }

  failAll(status = 500): void {
    this.failAllStatus = status;
  }

  recover(): void {
    this.failAllStatus = undefined;
    this.failuresLeft = 0;
  }

  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    const held = [...this.held];
    this.held.clear();
    for (const call of held) call.proceed();
  }

  get heldCount(): number {
    return this.held.size;
  }

  waitForHeld(count: number, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.held.size < count) return;
        clearTimeout(timer);
        this.heldListeners.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.heldListeners.delete(check);
        reject(new Error(`only ${this.held.size} of ${count} generation calls held after ${timeoutMs} ms`));
      }, timeoutMs);
      this.heldListeners.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    // Held calls are dropped with their connections below.
    this.held.clear();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  // ----- HTTP -------------------------------------------------------------------------------------

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on('error', () => undefined);
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = req.method ?? 'GET';
    try {
      if ((method === 'GET' || method === 'HEAD') && path === '/') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('Ollama is running');
        return;
      }
      if (method === 'GET' && path === '/api/version') {
        return this.json(res, 200, { version: OLLAMA_VERSION });
      }
      if (method === 'GET' && path === '/api/tags') {
        return this.json(res, 200, { models: this.models.map(modelEntry) });
      }
      if (method !== 'POST') return this.notFound(res);
      const raw = (await readBody(req)).toString('utf8');
      let body: Record<string, unknown>;
      try {
        const parsed: unknown = JSON.parse(raw);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
          throw new Error('not an object');
        }
        body = parsed as Record<string, unknown>;
      } catch {
        return this.json(res, 400, { error: 'invalid character in request body' });
      }
      if (path === '/api/chat' || path === '/api/generate') return await this.generation(res, path, body);
      if (path === '/api/embed' || path === '/api/embeddings') return this.embed(res, path, body);
      if (path === '/api/pull') return await this.pull(res, body);
      return this.notFound(res);
    } catch (error) {
      if (!res.headersSent) this.json(res, 500, { error: String(error) });
      else res.destroy();
    }
  }

  private json(res: ServerResponse, status: number, body: object): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  }

  private notFound(res: ServerResponse): void {
    // Ollama's router (gin) answers unknown routes in plain text.
    res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found');
  }

  /** Resolves false if the client went away while the call was held or delayed. */
  private async waitTurn(res: ServerResponse): Promise<boolean> {
    if (this.holding && !(await this.heldUntilRelease(res))) return false;
    if (this.latencyMs > 0 && !res.destroyed) await sleep(this.latencyMs);
    return !res.destroyed;
  }

  /** Holds the call until release(); resolves false if the client went away meanwhile. */
  private async heldUntilRelease(res: ServerResponse): Promise<boolean> {
    let gone = res.destroyed;
    let call: HeldCall | undefined;
    const onClose = (): void => {
      if (res.writableEnded) return;
      gone = true;
      if (call) {
        this.held.delete(call);
        call.proceed();
      }
    };
    res.on('close', onClose);
    try {
      if (!gone) {
        await new Promise<void>((proceed) => {
          call = { proceed };
          this.held.add(call);
          for (const listener of [...this.heldListeners]) listener();
        });
      }
      return !gone;
    } finally {
      res.off('close', onClose);
    }
  }

  private async generation(
    res: ServerResponse,
    path: GenerationPath,
    raw: Record<string, unknown>,
  ): Promise<void> {
    if (typeof raw.model !== 'string' || raw.model === '') {
      return this.json(res, 400, { error: 'model is required' });
    }
    const body = raw as GenerationBody;
    this.requests.push({ path, body, at: Date.now() });
    const started = process.hrtime.bigint();

    if (!(await this.waitTurn(res))) return; // client disconnected: drop the call quietly

    const failStatus = this.failAllStatus ?? (this.failuresLeft > 0 ? this.failureStatus : undefined);
    if (failStatus !== undefined) {
      if (this.failAllStatus === undefined) this.failuresLeft -= 1;
      const text = ERROR_TEXT[failStatus] ?? 'llama runner process has terminated: exit status 2';
      return this.json(res, failStatus, {
        error: failStatus === 404 ? `model "${body.model}" not found, try pulling it first` : text,
      });
    }

    const { text: scripted, stream: pacing = DEFAULT_PACING } = this.queue.shift() ?? {
      text: typeof this.defaultReply === 'string' ? this.defaultReply : await this.defaultReply(body, path),
    };
    const { text, doneReason } = this.applyLimits(scripted, body);
    const promptText = [
      body.system ?? '',
      body.prompt ?? '',
      ...(body.messages ?? []).map((m) => m.content),
    ].join(' ');
    const stats = (): Omit<ChatResponse, 'model' | 'created_at' | 'message' | 'done'> => {
      const total = Number(process.hrtime.bigint() - started);
      return {
        done_reason: doneReason,
        total_duration: total,
        load_duration: Math.floor(total / 10),
        prompt_eval_count: words(promptText),
        prompt_eval_duration: Math.floor(total / 4),
        eval_count: words(text),
        eval_duration: Math.floor(total / 2),
      };
    };
    const isChat = path === '/api/chat';
    const chunk = (piece: string, done: boolean): Partial<ChatResponse & GenerateResponse> => ({
      model: body.model,
      created_at: new Date(),
      ...(isChat ? { message: { role: 'assistant', content: piece } } : { response: piece }),
      done,
      ...(done && { ...stats(), ...(!isChat && { context: [1, 2, 3] }) }),
    });

    if (body.stream === false) return this.json(res, 200, chunk(text, true));
    // Ollama streams by default: one JSON object per line, the last one with done: true.
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (const [index, piece] of splitIntoPieces(text, pacing.pieces).entries()) {
      if (index === pacing.holdAfterPieces && !(await this.heldUntilRelease(res))) return;
      if (res.destroyed) return;
      res.write(`${JSON.stringify(chunk(piece, false))}\n`);
      // Separate network writes, so the client really reassembles a stream (and a slow one is seen growing).
      await sleep(pacing.pieceDelayMs);
    }
    if (!res.destroyed) res.end(`${JSON.stringify(chunk('', true))}\n`);
  }

  /** What a model would do with num_predict / stop: cut the scripted answer short. */
  private applyLimits(scripted: string, body: GenerationBody): { text: string; doneReason: string } {
    let text = scripted;
    let doneReason = 'stop';
    for (const stop of body.options?.stop ?? []) {
      const at = stop ? text.indexOf(stop) : -1;
      if (at >= 0) text = text.slice(0, at);
    }
    const limit = body.options?.num_predict;
    if (typeof limit === 'number' && limit >= 0) {
      const tokens = text.match(/\s*\S+/g) ?? [];
      if (tokens.length > limit) {
        text = tokens.slice(0, limit).join('');
        doneReason = 'length';
      }
    }
    return { text, doneReason };
  }

  private embed(
    res: ServerResponse,
    path: '/api/embed' | '/api/embeddings',
    body: Record<string, unknown>,
  ): void {
    const model = typeof body.model === 'string' ? body.model : '';
    if (!model) return this.json(res, 400, { error: 'model is required' });
    const input = path === '/api/embed' ? body.input : body.prompt;
    const inputs = (Array.isArray(input) ? input : [input ?? '']).map((item) => String(item));
    this.embedRequests.push({ path, model, inputs, at: Date.now() });
    const dimensions = typeof body.dimensions === 'number' ? body.dimensions : this.embeddingDimensions;
    const vectors = inputs.map((text) => hashEmbedding(model, text, dimensions));
    if (path === '/api/embeddings') return this.json(res, 200, { embedding: vectors[0] ?? [] });
    return this.json(res, 200, {
      model,
      embeddings: vectors,
      total_duration: 1_000_000,
      load_duration: 100_000,
      prompt_eval_count: inputs.reduce((sum, text) => sum + words(text), 0),
    });
  }

  private async pull(res: ServerResponse, body: Record<string, unknown>): Promise<void> {
    const model =
      typeof body.model === 'string' ? body.model : typeof body.name === 'string' ? body.name : '';
    if (!model) return this.json(res, 400, { error: 'model is required' });
    const name = model.includes(':') ? model : `${model}:latest`;
    if (!this.models.includes(name)) this.models.push(name);
    if (body.stream === false) return this.json(res, 200, { status: 'success' });
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    res.write(`${JSON.stringify({ status: 'pulling manifest' })}\n`);
    await sleep(2);
    res.end(`${JSON.stringify({ status: 'success' })}\n`);
  }
}

/** Start a scripted Ollama on 127.0.0.1 (a random free port unless `port` is given). */
export async function startScriptedOllama(options: { port?: number } = {}): Promise<ScriptedOllama> {
  const server = new ScriptedOllamaServer();
  await server.listen(options.port ?? 0);
  return server;
}
