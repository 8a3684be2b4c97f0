/** The test stack from globalSetup is real, and startLocalStack's overrides, reuse and failures behave. */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { Connection } from '@temporalio/client';
import { ChromaClient } from 'chromadb';
import { MongoClient } from 'mongodb';

import { dependencyChecks } from '../../src/admin/healthChecks';
import { loadConfig } from '../../src/config';
import { ServiceStartError, startLocalStack, stopLocalStack } from '../../src/stack/localStack';
import { BUNDLED_MODEL } from '../../src/stack/ollama';
import { isAlive } from '../../src/stack/processes';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: globalSetup should have started the test stack`);
  return value;
};

const quiet = (): void => undefined;

describe('test stack from globalSetup', () => {
  it('exports its addresses to test workers', () => {
    expect(process.env.FG_TEST_STACK).toBe('1');
    expect(env('MONGODB_URI')).toMatch(/^mongodb(\+srv)?:\/\//);
    expect(env('TEMPORAL_ADDRESS')).toBeTruthy();
    expect(env('CHROMA_URL')).toBeTruthy();
  });

  it('Temporal answers, with the default namespace and visibility', async () => {
    const connection = await Connection.connect({ address: env('TEMPORAL_ADDRESS') });
    try {
      const info = await connection.workflowService.getSystemInfo({});
      expect(info.serverVersion).toBeTruthy();
      const ns = await connection.workflowService.describeNamespace({ namespace: 'default' });
      expect(ns.namespaceInfo?.name).toBe('default');
      const list = await connection.workflowService.listWorkflowExecutions({
        namespace: 'default',
        pageSize: 1,
      });
      expect(Array.isArray(list.executions)).toBe(true);
    } finally {
      await connection.close();
    }
  });

  it('Temporal Web UI answers 200', async () => {
    const ui = process.env.TEMPORAL_UI_URL;
    if (!ui) return; // external Temporal without TEMPORAL_UI_URL
    const res = await fetch(ui);
    expect(res.status).toBe(200);
  });

  it('MongoDB (FerretDB) inserts, reads and enforces unique indexes', async () => {
    const client = new MongoClient(env('MONGODB_URI'));
    try {
      await client.connect();
      const col = client.db().collection<{ key: string; n: number }>(`stack_test_${Date.now()}`);
      await col.createIndex({ key: 1 }, { unique: true });
      await col.insertOne({ key: 'peter', n: 1 });
      expect(await col.findOne({ key: 'peter' }, { projection: { _id: 0 } })).toEqual({ key: 'peter', n: 1 });
      await expect(col.insertOne({ key: 'peter', n: 2 })).rejects.toMatchObject({ code: 11000 });
      expect(await col.countDocuments()).toBe(1);
      await col.drop();
    } finally {
      await client.close();
    }
  });

  it('Ollama serves the bundled model, and the health check names the model or says it is missing', async () => {
    const host = env('FG_TEST_OLLAMA_HOST');
    const check = (model: string) => {
      const checks = dependencyChecks(loadConfig({ OLLAMA_HOST: host, OLLAMA_MODEL: model }));
      return (checks.ollama as () => Promise<string | void>)();
    };
    if (!process.env.OLLAMA_HOST) {
      expect(env('FG_TEST_OLLAMA_MODEL')).toBe(BUNDLED_MODEL);
    }
    expect(await check(env('FG_TEST_OLLAMA_MODEL'))).toMatch(
      new RegExp(`^model ${env('FG_TEST_OLLAMA_MODEL')} on Ollama \\d+\\.\\d+`),
    );
    await expect(check('no-such-model')).rejects.toThrow(
      /does not have the model no-such-model: pull it \(ollama pull no-such-model\) or set OLLAMA_MODEL/,
    );
  });

  it('Chroma heartbeat answers and a collection can be created and queried', async () => {
    const url = new URL(env('CHROMA_URL'));
    const heartbeat = await fetch(new URL('/api/v2/heartbeat', url));
    expect(heartbeat.status).toBe(200);

    const chroma = new ChromaClient({
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      ssl: url.protocol === 'https:',
    });
    const name = `stack-test-${Date.now()}`;
    const collection = await chroma.createCollection({ name, embeddingFunction: null });
    try {
      await collection.add({
        ids: ['stewie', 'brian'],
        embeddings: [
          [1, 0, 0],
          [0, 1, 0],
        ],
        documents: ['Victory shall be mine', 'Where is my martini'],
      });
      const result = await collection.query({ queryEmbeddings: [[0.9, 0.1, 0]], nResults: 1 });
      expect(result.ids[0]).toEqual(['stewie']);
      expect(result.documents[0]).toEqual(['Victory shall be mine']);
    } finally {
      await chroma.deleteCollection({ name });
    }
  });
});

describe('startLocalStack', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-stack-test-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('skips services whose env var points elsewhere and returns the values unchanged', async () => {
    const external = {
      TEMPORAL_ADDRESS: 'temporal.example.internal:7233',
      TEMPORAL_UI_URL: 'https://temporal-ui.example.internal',
      MONGODB_URI: 'mongodb://user:pw@db.example.internal:27017/prod?authSource=admin',
      CHROMA_URL: 'https://chroma.example.internal',
      OLLAMA_HOST: 'http://gpu.example.internal:11434',
    };
    const stack = await startLocalStack({ dataDir: tmp, env: external, log: quiet });
    expect(stack.temporalAddress).toBe(external.TEMPORAL_ADDRESS);
    expect(stack.temporalUiUrl).toBe(external.TEMPORAL_UI_URL);
    expect(stack.mongodbUri).toBe(external.MONGODB_URI);
    expect(stack.chromaUrl).toBe(external.CHROMA_URL);
    expect(stack.ollamaHost).toBe(external.OLLAMA_HOST);
    expect(stack.bundledModel).toBeUndefined(); // the user's Ollama is not touched
    expect(Object.values(stack.services).map((s) => s.mode)).toEqual([
      'external',
      'external',
      'external',
      'external',
    ]);
    expect(fs.readdirSync(tmp)).toEqual([]); // nothing spawned, no pid files
    await stack.stop();
  });

  it('reuses a healthy service left running in the same data folder, and stopLocalStack stops it', async () => {
    const env = {
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      MONGODB_URI: 'mongodb://127.0.0.1:1',
      OLLAMA_HOST: 'http://127.0.0.1:1',
    };
    const first = await startLocalStack({ dataDir: tmp, env, ports: { chroma: 0 }, log: quiet });
    try {
      expect(first.services.chroma.mode).toBe('started');
      const second = await startLocalStack({ dataDir: tmp, env, ports: { chroma: 0 }, log: quiet });
      expect(second.services.chroma).toMatchObject({ mode: 'reused', pid: first.services.chroma.pid });
      expect(second.chromaUrl).toBe(first.chromaUrl);
      await second.stop(); // leaves reused services alone
      expect(isAlive(first.services.chroma.pid as number)).toBe(true);

      const result = await stopLocalStack({ dataDir: tmp, log: quiet });
      expect(result.chroma).toBe('terminated');
      expect(isAlive(first.services.chroma.pid as number)).toBe(false);
      expect(fs.existsSync(path.join(tmp, 'pids', 'chroma.pid'))).toBe(false);
    } finally {
      await first.stop();
    }
  });

  it('starts Ollama with the bundled model imported once, and reuses it from the same data folder', async () => {
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      MONGODB_URI: 'mongodb://127.0.0.1:1',
      CHROMA_URL: 'http://127.0.0.1:1',
      OLLAMA_HOST: '',
      OLLAMA_MODELS: '',
    };
    const logs: string[] = [];
    const first = await startLocalStack({
      dataDir: tmp,
      env,
      ports: { ollama: 0 },
      log: (m) => logs.push(m),
    });
    try {
      expect(first.services.ollama.mode).toBe('started');
      expect(first.bundledModel).toBe(BUNDLED_MODEL);
      expect(logs.filter((m) => m.includes(`imported the bundled model ${BUNDLED_MODEL}`))).toHaveLength(1);
      // Models live in the data folder unless OLLAMA_MODELS says otherwise.
      expect(fs.readdirSync(path.join(tmp, 'ollama', 'models'))).toEqual(
        expect.arrayContaining(['blobs', 'manifests']),
      );
      const tags = (await (await fetch(`${first.ollamaHost}/api/tags`)).json()) as {
        models: { name: string }[];
      };
      expect(tags.models.map((m) => m.name)).toContain(BUNDLED_MODEL);

      const second = await startLocalStack({
        dataDir: tmp,
        env,
        ports: { ollama: 0 },
        log: (m) => logs.push(m),
      });
      expect(second.services.ollama).toMatchObject({ mode: 'reused', pid: first.services.ollama.pid });
      expect(second.ollamaHost).toBe(first.ollamaHost);
      expect(logs.filter((m) => m.includes('imported the bundled model'))).toHaveLength(1); // not again
    } finally {
      await first.stop();
    }
    expect(isAlive(first.services.ollama.pid as number)).toBe(false);
  });

  it('fails fast with the service name, address and log tail when a service cannot start', async () => {
    const blocker = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const attempt = startLocalStack({
        dataDir: tmp,
        env: {
          TEMPORAL_ADDRESS: '127.0.0.1:1',
          CHROMA_URL: 'http://127.0.0.1:1',
          OLLAMA_HOST: 'http://127.0.0.1:1',
        },
        ports: { mongo: port },
        log: quiet,
      });
      const err = await attempt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ServiceStartError);
      const error = err as ServiceStartError;
      expect(error.service).toBe('ferretdb');
      expect(error.exitCode).not.toBe(0);
      expect(error.message).toContain(`ferretdb failed to start on mongodb://127.0.0.1:${port}`);
      expect(error.message).toMatch(/exited with code \d+/);
      expect(error.message).toContain('address already in use'); // from its log
      expect(error.logTail).toContain('address already in use');
      expect(Date.now() - started).toBeLessThan(10_000); // did not wait for the 30 s timeout
      expect(fs.existsSync(path.join(tmp, 'pids', 'ferretdb.pid'))).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
