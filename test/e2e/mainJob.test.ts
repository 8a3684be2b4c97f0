import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { SERVICE_NAMES, SERVICE_TITLES, stopLocalStack, type ServiceName } from '../../src/stack/localStack';
import { isAlive, readPidFile } from '../../src/stack/processes';
import { startFakeDiscord, type FakeDiscord } from '../fakes/fakeDiscord';
import { startScriptedOllama, type ScriptedOllama } from '../fakes/scriptedOllama';
import { waitFor } from '../fakes/waitFor';

const repo = join(__dirname, '..', '..');
let ollama: ScriptedOllama;
const children: ChildProcess[] = [];

beforeAll(async () => {
  ollama = await startScriptedOllama();
  ollama.models.push('mistral:latest'); // OLLAMA_MODEL's default with an OLLAMA_HOST of one's own
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await ollama?.close();
});

/** Runs src/main.ts as `scripts/up` does, on the test stack; resolves once it printed its banner. */
async function startMain(extraEnv: NodeJS.ProcessEnv = {}) {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    // The test stack stands in for the local stack: these variables make main use it unchanged.
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
    MONGODB_URI: process.env.MONGODB_URI,
    CHROMA_URL: process.env.CHROMA_URL,
    EMBEDDING_MODEL_DIR: process.env.EMBEDDING_MODEL_DIR,
    MONGODB_DB: 'fgbots_main_job',
    TEMPORAL_TASK_QUEUE: `main-job-test-${children.length}`,
    OLLAMA_HOST: ollama.url,
    ADMIN_PORT: '0',
    LOG_LEVEL: 'warn',
    ENV_FILE: join(repo, 'no-such.env'), // a developer's .env must not leak into the test
    ...extraEnv,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: repo, env });
  children.push(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => output.includes('Stop with Ctrl-C.') && resolve());
    child.once('exit', (code) => reject(new Error(`main exited ${code}\n${output}`)));
  });
  const adminUrl = /Admin API: +(http:\/\/\S+)/.exec(output)?.[1] as string;
  const stop = async () => {
    child.kill('SIGINT');
    return new Promise<number | null>((resolve) => child.once('exit', resolve));
  };
  return { output: () => output, adminUrl, stop };
}

it('starts without any Discord token, says what is missing, serves /health and stops on Ctrl-C', async () => {
  const main = await startMain();
  const banner = main.output();
  expect(banner).toContain('Temporal UI:');
  expect(banner).toContain('Peter (no DISCORD_TOKEN_PETER or DISCORD_CAST_TOKEN)');
  expect(banner).toContain('Stewie (no DISCORD_TOKEN_STEWIE or DISCORD_CAST_TOKEN)');
  expect(banner).toMatch(/Ollama: +http:\/\/127\.0\.0\.1:\d+, model mistral: reachable/);
  // The structured log says it too.
  expect(banner).toContain(
    'neither DISCORD_TOKEN_BRIAN nor DISCORD_CAST_TOKEN is set: Brian stays offline in Discord',
  );

  const health = await fetch(`${main.adminUrl}/health`);
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({
    status: 'ok',
    checks: {
      temporal: { ok: true },
      mongodb: { ok: true },
      chroma: { ok: true },
      ollama: { ok: true, detail: 'model mistral on Ollama 0.12.6' },
    },
  });
  expect(await main.stop()).toBe(0);
});

it('never writes a Discord token, the admin token or the MongoDB password to its output, even at trace level', async () => {
  const discord: FakeDiscord = await startFakeDiscord();
  try {
    const peterToken = 'peter-SECRET-token-9f8e7d';
    const brianToken = 'brian-SECRET-token-4c5d6e';
    const stewieToken = 'stewie-SECRET-token-unknown-to-discord';
    const adminToken = 'admin-SECRET-token-1a2b3c';
    const mongoPassword = 'mongo-SECRET-password-7a8b9c';
    const peter = discord.addBot({ token: peterToken, username: 'Peter' });
    discord.addBot({ token: brianToken, username: 'Brian' });
    const channelId = discord.createTextChannel('general');
    // FerretDB accepts any user and password over PLAIN: enough for the password to travel everywhere.
    const mongoUri = new URL(process.env.MONGODB_URI as string);
    mongoUri.username = 'fgbots';
    mongoUri.password = mongoPassword;
    mongoUri.searchParams.set('authMechanism', 'PLAIN');
    const main = await startMain({
      DISCORD_API_URL: discord.apiUrl,
      DISCORD_TOKEN_PETER: peterToken,
      DISCORD_TOKEN_BRIAN: brianToken,
      DISCORD_TOKEN_STEWIE: stewieToken, // refused by Discord: the failed login is logged too
      ADMIN_TOKEN: adminToken,
      MONGODB_URI: mongoUri.toString(),
      LOG_LEVEL: 'trace',
    });
    expect(main.output()).toContain('Peter (in Discord)');
    expect(main.output()).toContain('Brian (in Discord)');
    expect(main.output()).toContain('Stewie (Discord login failed)');
    // Exercise the paths that handle the secrets: admin auth (wrong and right), the health check
    // (MongoDB), a reply as Peter (MongoDB, Discord).
    await fetch(`${main.adminUrl}/dead_letters`, { headers: { authorization: 'Bearer wrong' } });
    await fetch(`${main.adminUrl}/dead_letters`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect((await fetch(`${main.adminUrl}/health`)).status).toBe(200);
    ollama.reply('Hehehe, sure.');
    const message = await discord.userSays({ channelId, content: 'Peter, hi' });
    await waitFor(
      () => discord.botMessages(channelId).some((m) => m.message_reference?.message_id === message.id),
      {
        timeoutMs: 30_000,
        what: "Peter's reply",
      },
    );
    expect(discord.botMessages(channelId)[0]?.author.id).toBe(peter.id);
    expect(await main.stop()).toBe(0);

    const output = main.output();
    expect(output.length).toBeGreaterThan(1000); // trace level really logged things
    for (const secret of [peterToken, brianToken, stewieToken, adminToken, mongoPassword]) {
      expect(output).not.toContain(secret);
    }
  } finally {
    await discord.close();
  }
});

it('refuses to start on bad settings, naming each one', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: repo,
    env: {
      PATH: process.env.PATH,
      OLLAMA_NUM_CTX: 'huge',
      ADMIN_PORT: '99999',
      ENV_FILE: join(repo, 'no-such.env'),
    },
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(1);
  expect(stderr).toContain('OLLAMA_NUM_CTX="huge"');
  expect(stderr).toContain('ADMIN_PORT="99999"');
});

describe('its own local stack', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(join(os.tmpdir(), 'fg-main-stack-'));
  });
  afterEach(async () => {
    await stopLocalStack({ dataDir, log: () => undefined, graceMs: 2000 });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** src/main.ts as `scripts/up` runs it with nothing set: it starts all four services (on free ports). */
  async function startMainWithStack() {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOCAL_STACK_DIR: dataDir,
      LOCAL_STACK_PORTS: '0,0,0,0,0',
      ADMIN_PORT: '0',
      LOG_LEVEL: 'info',
      ENV_FILE: join(repo, 'no-such.env'),
      EMBEDDING_MODEL_DIR: process.env.EMBEDDING_MODEL_DIR,
    };
    // What scripts/test found (else src/stack/tools.ts runs scripts/install-tools.sh, cached).
    for (const name of ['TEMPORAL_CLI', 'FERRETDB_BIN', 'OLLAMA_BIN', 'OLLAMA_BUNDLED_GGUF']) {
      if (process.env[name]) env[name] = process.env[name];
    }
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: repo, env });
    children.push(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => output.includes('Stop with Ctrl-C.') && resolve());
      void exited.then((code) => reject(new Error(`main exited ${code}\n${output}`)));
    });
    const pids = Object.fromEntries(
      SERVICE_NAMES.map((name) => [name, readPidFile(join(dataDir, 'pids', `${name}.pid`)) as number]),
    ) as Record<ServiceName, number>;
    for (const pid of Object.values(pids)) expect(pid).toBeGreaterThan(0);
    return {
      pid: child.pid as number,
      pids,
      output: () => output,
      exited,
      /** What the stack listens on, from its "ready at" and "adopted" lines. */
      ports: () => [...output.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1])),
    };
  }

  const refused = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });

  /** Warnings and errors a start logged, but for the Discord tokens these tests do not set. */
  const startWarnings = (output: string) =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((entry) => entry.level >= 40 && !/DISCORD_TOKEN_|no Discord tokens/.test(entry.msg));

  async function expectNothingLeft(pids: number[], ports: number[]) {
    expect(pids.filter((pid) => isAlive(pid))).toEqual([]);
    const listening: number[] = [];
    for (const port of new Set(ports)) if (!(await refused(port))) listening.push(port);
    expect(listening).toEqual([]);
    expect(fs.readdirSync(join(dataDir, 'pids'))).toEqual([]);
  }

  it('stops its services when SIGKILLed (its watchdog does), and the next start stops its own on Ctrl-C', async () => {
    const first = await startMainWithStack();
    process.kill(first.pid, 'SIGKILL');
    const second = await startMainWithStack(); // at once: it waits for the watchdog if it must
    // The first run's services are gone, and the watchdog's log says who stopped them.
    expect(Object.values(first.pids).filter((pid) => isAlive(pid))).toEqual([]);
    const watchdogLog = fs.readFileSync(join(dataDir, 'logs', 'watchdog.log'), 'utf8');
    expect(watchdogLog).toContain(`the process that started the local stack (pid ${first.pid}) is gone`);
    for (const name of SERVICE_NAMES) {
      expect(watchdogLog).toContain(`SIGTERM to ${name} (pid ${first.pids[name]})`);
    }
    expect(second.pids.temporal).not.toBe(first.pids.temporal);
    // A normal start warns of nothing, and webpack's report stays out of the info log.
    expect(startWarnings(second.output())).toEqual([]);
    expect(second.output()).not.toContain('workflow-bundle-');

    process.kill(second.pid, 'SIGINT');
    expect(await second.exited).toBe(0);
    for (const name of SERVICE_NAMES) {
      expect(second.output()).toContain(`${name}: stopped (pid ${second.pids[name]})`);
    }
    await expectNothingLeft(
      [...Object.values(first.pids), ...Object.values(second.pids)],
      [...first.ports(), ...second.ports()],
    );
  });

  it('adopts the services of a run killed together with its watchdog, says so, and stops them on Ctrl-C', async () => {
    const first = await startMainWithStack();
    const watchdog = readPidFile(join(dataDir, 'pids', `watchdog-${first.pid}.pid`)) as number;
    expect(isAlive(watchdog)).toBe(true);
    process.kill(watchdog, 'SIGKILL'); // e.g. the OOM killer, or a run of a version without a watchdog
    process.kill(first.pid, 'SIGKILL');
    await first.exited;
    expect(Object.values(first.pids).filter((pid) => !isAlive(pid))).toEqual([]); // left running

    const second = await startMainWithStack();
    expect(second.pids).toEqual(first.pids);
    for (const name of SERVICE_NAMES) {
      expect(second.output()).toContain(`adopted ${SERVICE_TITLES[name]} (pid ${first.pids[name]}) at `);
    }
    expect(second.output()).toContain('left by an earlier run; it stops with this one');

    process.kill(second.pid, 'SIGINT');
    expect(await second.exited).toBe(0);
    await expectNothingLeft(Object.values(first.pids), first.ports());
  });
});
