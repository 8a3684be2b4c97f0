/** One-shot readiness probes for the local stack's services. Each resolves when ready and throws otherwise. */
import net from 'node:net';

import { Connection } from '@temporalio/client';
import { BSON } from 'mongodb';

/** The frontend answers getSystemInfo, `namespace` is registered and (if given) the Web UI answers 200. */
export async function probeTemporal(
  address: string,
  opts: { namespace?: string; uiUrl?: string; timeoutMs?: number } = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  const connection = await Connection.connect({ address, connectTimeout: timeoutMs });
  try {
    await connection.withDeadline(Date.now() + timeoutMs, async () => {
      await connection.workflowService.getSystemInfo({});
      await connection.workflowService.describeNamespace({ namespace: opts.namespace ?? 'default' });
    });
  } finally {
    await connection.close();
  }
  if (opts.uiUrl) await probeHttp(opts.uiUrl, timeoutMs);
}

/**
 * A MongoDB `ping` succeeds. Spoken directly over one socket (OP_MSG) rather than through MongoClient: the
 * driver leaves its socket open when closed mid-handshake, e.g. against a port held by something that never
 * answers, which would keep the process alive.
 */
export function probeMongo(uri: string, timeoutMs = 2000): Promise<void> {
  const { hostname, port } = new URL(uri.replace(/^mongodb:/, 'http:'));
  const body = BSON.serialize({ ping: 1, $db: 'admin' });
  const header = Buffer.alloc(21);
  header.writeInt32LE(21 + body.length, 0); // messageLength
  header.writeInt32LE(1, 4); // requestID
  header.writeInt32LE(0, 8); // responseTo
  header.writeInt32LE(2013, 12); // OP_MSG
  header.writeUInt32LE(0, 16); // flagBits
  header.writeUInt8(0, 20); // section kind 0: body
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 27017) });
    let received = Buffer.alloc(0);
    const done = (err?: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(
      () => done(new Error(`no ping reply from ${hostname}:${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('error', (err) => done(err));
    socket.on('close', () =>
      done(new Error(`connection to ${hostname}:${port} closed before the ping reply`)),
    );
    socket.on('connect', () => socket.write(Buffer.concat([header, body])));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4 || received.length < received.readInt32LE(0)) return;
      try {
        if (received.readInt32LE(12) !== 2013) throw new Error('unexpected reply opcode');
        const reply = BSON.deserialize(received.subarray(21, received.readInt32LE(0)));
        if (reply.ok !== 1) throw new Error(`ping answered ${JSON.stringify(reply)}`);
        done();
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

/** Chroma's v2 heartbeat answers 200. */
export async function probeChroma(url: string, timeoutMs = 2000): Promise<void> {
  await probeHttp(`${url.replace(/\/+$/, '')}/api/v2/heartbeat`, timeoutMs);
}

/** Ollama answers its version and, when `model` is named, has that model. Resolves to Ollama's version. */
export async function probeOllama(
  url: string,
  opts: { model?: string; timeoutMs?: number } = {},
): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  const { version } = (await getJson(`${url}/api/version`, timeoutMs)) as { version?: string };
  if (opts.model && !(await ollamaHasModel(url, opts.model, timeoutMs))) {
    throw new Error(
      `Ollama ${version} does not have the model ${opts.model}: pull it (ollama pull ${opts.model}) or set OLLAMA_MODEL`,
    );
  }
  return version ?? 'unknown';
}

/** Whether `model` is on the Ollama at `url` (a name without a tag means `:latest`, as Ollama has it). */
export async function ollamaHasModel(url: string, model: string, timeoutMs = 5000): Promise<boolean> {
  const { models } = (await getJson(`${url}/api/tags`, timeoutMs)) as { models?: Array<{ name: string }> };
  const wanted = model.includes(':') ? model : `${model}:latest`;
  return (models ?? []).some((m) => m.name === wanted);
}

async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  return (await getOk(url, timeoutMs)).json();
}

export async function probeHttp(url: string, timeoutMs = 2000): Promise<void> {
  await (await getOk(url, timeoutMs)).arrayBuffer().catch(() => undefined);
}

/** GET `url`; anything but 200 is an error (its body read first, so the connection is freed). */
async function getOk(url: string, timeoutMs: number): Promise<Response> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (res.status !== 200) {
    await res.arrayBuffer().catch(() => undefined);
    throw new Error(`GET ${url} answered ${res.status}`);
  }
  return res;
}
