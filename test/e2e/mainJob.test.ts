import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startScriptedOllama, type ScriptedOllama } from '../fakes/scriptedOllama';

const repo = join(__dirname, '..', '..');
let ollama: ScriptedOllama;
const children: ChildProcess[] = [];

beforeAll(async () => {
  ollama = await startScriptedOllama();
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await ollama?.close();
});

it('starts without any Discord token, says what is missing, serves /health and stops on Ctrl-C', async () => {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    // The test stack stands in for the local stack: these variables make main use it unchanged.
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
    MONGODB_URI: process.env.MONGODB_URI,
    CHROMA_URL: process.env.CHROMA_URL,
    MONGODB_DB: 'fgbots_main_job',
    TEMPORAL_TASK_QUEUE: 'main-job-test',
    OLLAMA_HOST: ollama.url,
    ADMIN_PORT: '0',
    LOG_LEVEL: 'warn',
    ENV_FILE: join(repo, 'no-such.env'), // a developer's .env must not leak into the test
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: repo, env });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const banner = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('Stop with Ctrl-C.')) resolve(stdout);
    });
    child.once('exit', (code) => reject(new Error(`main exited ${code}\n${stdout}\n${stderr}`)));
  });

  expect(banner).toContain('Temporal UI:');
  expect(banner).toContain('Peter (no DISCORD_TOKEN_PETER)');
  expect(banner).toContain('Stewie (no DISCORD_TOKEN_STEWIE)');
  expect(banner).toMatch(/Ollama: +http:\/\/127\.0\.0\.1:\d+, model mistral: reachable/);
  // The structured log says it too.
  expect(stdout).toContain('DISCORD_TOKEN_BRIAN is not set: Brian stays offline in Discord');

  const adminUrl = /Admin API: +(http:\/\/\S+)/.exec(banner)?.[1];
  const health = await fetch(`${adminUrl}/health`);
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({
    status: 'ok',
    checks: { temporal: { ok: true }, mongodb: { ok: true }, chroma: { ok: true }, ollama: { ok: true } },
  });

  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(0);
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
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(1);
  expect(stderr).toContain('OLLAMA_NUM_CTX="huge"');
  expect(stderr).toContain('ADMIN_PORT="99999"');
});
