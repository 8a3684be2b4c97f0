import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
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
  expect(banner).toContain('Peter (no DISCORD_TOKEN_PETER)');
  expect(banner).toContain('Stewie (no DISCORD_TOKEN_STEWIE)');
  expect(banner).toMatch(/Ollama: +http:\/\/127\.0\.0\.1:\d+, model mistral: reachable/);
  // The structured log says it too.
  expect(banner).toContain('DISCORD_TOKEN_BRIAN is not set: Brian stays offline in Discord');

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
