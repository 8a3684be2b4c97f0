/**
 * A transparent tap in front of a real Ollama: every request is passed through unchanged and the answer is
 * streamed back as it arrives, byte for byte, so the real `ollama` client talks to the real server. For
 * /api/chat it also records what the model said (the streamed pieces joined), so a test can compare what
 * the system stored with what the model really wrote, and a benchmark can read Ollama's own token counts.
 *
 *   const tap = await startOllamaTap(process.env.FG_TEST_OLLAMA_HOST);
 *   tap.url        // OLLAMA_HOST for the worker
 *   tap.chats      // { request, answer, doneReason, token counts and durations, ms } per finished /api/chat
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { ChatRequest, ChatResponse } from 'ollama';
import { readBody } from './httpBody';

export interface TappedChat {
  request: ChatRequest;
  /** The assistant message the model produced, exactly as streamed. */
  answer: string;
  doneReason: string | undefined;
  /** Whether the stream ended with Ollama's `done` line; a stream cut short is one the client retries. */
  done: boolean;
  /** Tokens generated and the time it took, as Ollama counted them. */
  evalCount: number;
  evalDurationNs: number;
  /** Prompt tokens processed (not served from Ollama's cache) and the time it took. */
  promptEvalCount: number;
  promptEvalDurationNs: number;
  /** From request to the last byte of the answer. */
  ms: number;
}

export interface OllamaTap {
  readonly url: string;
  readonly chats: TappedChat[];
  close(): Promise<void>;
}

/** Folds the NDJSON lines of a streamed (or the one object of an unstreamed) chat answer into a record. */
function recordChat(request: ChatRequest, body: string, started: number): TappedChat {
  const parts = body
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Partial<ChatResponse>);
  const last = parts.at(-1);
  return {
    request,
    answer: parts.map((part) => part.message?.content ?? '').join(''),
    doneReason: last?.done_reason,
    done: last?.done === true,
    evalCount: last?.eval_count ?? 0,
    evalDurationNs: last?.eval_duration ?? 0,
    promptEvalCount: last?.prompt_eval_count ?? 0,
    promptEvalDurationNs: last?.prompt_eval_duration ?? 0,
    ms: Date.now() - started,
  };
}

export async function startOllamaTap(upstream: string): Promise<OllamaTap> {
  const chats: TappedChat[] = [];
  const server = createServer((req, res) => void forward(req, res));

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const abort = new AbortController();
    res.on('close', () => abort.abort()); // the client gave up: so does the upstream call
    try {
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
      const upstreamRes = await fetch(`${upstream}${req.url ?? '/'}`, {
        method: req.method,
        headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
        body,
        signal: abort.signal,
      });
      res.writeHead(upstreamRes.status, {
        'content-type': upstreamRes.headers.get('content-type') ?? 'application/json',
      });
      const received: Buffer[] = [];
      for await (const chunk of Readable.fromWeb(upstreamRes.body ?? new ReadableStream())) {
        received.push(chunk as Buffer);
        res.write(chunk);
      }
      res.end();
      if (req.url === '/api/chat' && upstreamRes.ok && body) {
        const answer = Buffer.concat(received).toString('utf8');
        chats.push(recordChat(JSON.parse(body.toString('utf8')) as ChatRequest, answer, started));
      }
    } catch (err) {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `ollama tap: ${(err as Error).message}` }));
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    chats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
