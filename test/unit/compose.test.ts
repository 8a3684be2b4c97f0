/**
 * The production files (docker-compose.yml, Dockerfile, .env.example, temporal/) say what a
 * user gets from `docker compose up`: checked here without a Docker engine. When a Docker
 * Compose CLI is installed, `docker compose config` validates the file as well.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

// js-yaml arrives with eslint and jest and has no bundled types.
const yaml = createRequire(__filename)('js-yaml') as { load(text: string): unknown };

type Environment = Record<string, string | number | boolean | null>;

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  environment?: Environment;
  env_file?: string | string[];
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test?: string[] };
  restart?: string;
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const repo = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(repo, file), 'utf8');
const composeText = read('docker-compose.yml');
const compose = yaml.load(composeText) as ComposeFile;
const envExample = read('.env.example');
const dockerfile = read('Dockerfile');

const APP_SERVICES = ['worker', 'bots', 'admin'];
const ONE_SHOTS = ['temporal-schema', 'temporal-setup', 'ollama-pull'];
const SECRET_NAME = /PASSWORD|PWD|TOKEN|SECRET/i;

function service(name: string): Service {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** The named volume (declared at top level) mounted at `target`, if any. */
function namedVolumeAt(name: string, target: string): string | undefined {
  for (const spec of service(name).volumes ?? []) {
    const [source, mountPoint] = spec.split(':');
    if (mountPoint === target && source && source in (compose.volumes ?? {})) return source;
  }
  return undefined;
}

function conditionOf(name: string, dependency: string): string | undefined {
  return service(name).depends_on?.[dependency]?.condition;
}

function exampleHas(name: string): boolean {
  return new RegExp(`^#? ?${name}=`, 'm').test(envExample);
}

describe('docker-compose.yml', () => {
  it('has every service of the production stack', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining([
        'temporal-db',
        'temporal',
        'temporal-ui',
        'temporal-setup',
        'mongodb',
        'chroma',
        'ollama',
        'ollama-pull',
        ...APP_SERVICES,
      ]),
    );
    expect(service('mongodb').image).toMatch(/^mongo:7/);
    expect(service('chroma').image).toMatch(/^chromadb\/chroma:/);
    expect(service('ollama').image).toMatch(/^ollama\/ollama:/);
    for (const name of APP_SERVICES) expect(service(name).build).toBeDefined();
  });

  it('keeps all data in named volumes', () => {
    expect(namedVolumeAt('mongodb', '/data/db')).toBe('mongodb_data');
    expect(namedVolumeAt('chroma', '/data')).toBeDefined();
    expect(namedVolumeAt('ollama', '/root/.ollama')).toBeDefined();
    expect(namedVolumeAt('temporal-db', '/var/lib/postgresql/data')).toBeDefined();
  });

  it('pulls the configured model into Ollama before the worker starts', () => {
    const pull = service('ollama-pull');
    expect(pull.command).toEqual(['pull', '${OLLAMA_MODEL:-mistral}']);
    expect(pull.environment?.OLLAMA_HOST).toBe('http://ollama:11434');
    expect(conditionOf('ollama-pull', 'ollama')).toBe('service_healthy');
    expect(conditionOf('worker', 'ollama-pull')).toBe('service_completed_successfully');
  });

  it('starts the app only once what it needs is ready', () => {
    for (const dependency of ['temporal', 'mongodb', 'chroma', 'ollama']) {
      expect([dependency, conditionOf('worker', dependency)]).toEqual([dependency, 'service_healthy']);
    }
    for (const name of APP_SERVICES) {
      expect(conditionOf(name, 'temporal')).toBe('service_healthy');
      // The namespace and search attributes exist before any workflow starts.
      expect(conditionOf(name, 'temporal-setup')).toBe('service_completed_successfully');
    }
    expect(conditionOf('admin', 'mongodb')).toBe('service_healthy');
    expect(conditionOf('temporal', 'temporal-schema')).toBe('service_completed_successfully');
  });

  it('gives every waited-for service a healthcheck and runs one-shots once', () => {
    for (const [name, spec] of Object.entries(compose.services)) {
      for (const [dependency, { condition }] of Object.entries(spec.depends_on ?? {})) {
        if (condition === 'service_healthy') {
          expect([name, dependency, service(dependency).healthcheck?.test]).toEqual([
            name,
            dependency,
            expect.any(Array),
          ]);
        } else if (condition === 'service_completed_successfully') {
          expect([dependency, ONE_SHOTS.includes(dependency)]).toEqual([dependency, true]);
        }
      }
      expect([name, spec.restart]).toEqual([name, ONE_SHOTS.includes(name) ? 'no' : 'unless-stopped']);
    }
    expect(service('chroma').healthcheck?.test?.join(' ')).toContain('/api/v2/heartbeat');
    expect(service('mongodb').healthcheck?.test).toEqual(expect.arrayContaining(['mongosh']));
    expect(service('mongodb').healthcheck?.test?.join(' ')).toContain('ping');
    expect(service('ollama').healthcheck?.test).toEqual(['CMD', 'ollama', 'list']);
  });

  it('points the app containers at the compose services, with the rest from .env', () => {
    for (const name of APP_SERVICES) {
      const spec = service(name);
      expect(spec.env_file).toBe('.env');
      expect(spec.environment).toMatchObject({
        TEMPORAL_ADDRESS: 'temporal:7233',
        CHROMA_URL: 'http://chroma:8000',
        OLLAMA_HOST: 'http://ollama:11434',
      });
      expect(spec.environment?.MONGODB_URI).toMatch(
        /^mongodb:\/\/\$\{MONGO_ROOT_USERNAME[^}]*\}:\$\{MONGO_ROOT_PASSWORD[^}]*\}@mongodb:27017\/\?authSource=admin$/,
      );
    }
    expect(service('admin').environment?.ADMIN_HOST).toBe('0.0.0.0');
    expect(service('mongodb').environment).toMatchObject({
      MONGO_INITDB_ROOT_USERNAME: expect.stringMatching(/^\$\{MONGO_ROOT_USERNAME/),
      MONGO_INITDB_ROOT_PASSWORD: expect.stringMatching(/^\$\{MONGO_ROOT_PASSWORD/),
    });
  });

  it('documents every variable it uses in .env.example', () => {
    const used = new Set(
      [...composeText.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] as string),
    );
    expect(used.size).toBeGreaterThan(3);
    expect([...used].filter((name) => !exampleHas(name))).toEqual([]);
  });

  it('holds no secret values: they come from .env', () => {
    for (const [name, spec] of Object.entries(compose.services)) {
      for (const [key, value] of Object.entries(spec.environment ?? {})) {
        if (!SECRET_NAME.test(key)) continue;
        expect([name, key, value]).toEqual([name, key, expect.stringMatching(/^\$\{[A-Z_]+(:\?[^}]*)?\}$/)]);
      }
    }
    // No credentials written into a URL.
    expect(composeText).not.toMatch(/:\/\/[^$\s'"/]+:[^$\s'"/]+@/);
    // .env.example leaves every secret empty.
    for (const line of envExample.split('\n')) {
      const match = /^#? ?([A-Z0-9_]+)=(.*)$/.exec(line);
      if (match?.[1] && SECRET_NAME.test(match[1])) expect([match[1], match[2]]).toEqual([match[1], '']);
    }
    for (const name of [
      'DISCORD_TOKEN_PETER',
      'DISCORD_TOKEN_BRIAN',
      'DISCORD_TOKEN_STEWIE',
      'ADMIN_TOKEN',
    ]) {
      expect(envExample).toMatch(new RegExp(`^${name}=$`, 'm'));
    }
  });

  it('publishes ports on 127.0.0.1 only', () => {
    const published = Object.values(compose.services).flatMap((spec) => spec.ports ?? []);
    expect(published).toEqual(expect.arrayContaining(['127.0.0.1:8233:8080', '127.0.0.1:7233:7233']));
    for (const port of published) expect(port).toMatch(/^127\.0\.0\.1:/);
  });

  it('mounts Temporal files that exist, and registers the search attributes the app uses', () => {
    for (const spec of Object.values(compose.services)) {
      for (const volume of spec.volumes ?? []) {
        const source = volume.split(':')[0] as string;
        if (source.startsWith('./')) expect([source, existsSync(join(repo, source))]).toEqual([source, true]);
      }
    }
    const dynamicConfig = service('temporal').environment?.DYNAMIC_CONFIG_FILE_PATH;
    expect(dynamicConfig).toBe('/etc/temporal/config/dynamicconfig/production.yaml');
    expect(service('temporal').volumes).toContain(
      './temporal/dynamicconfig:/etc/temporal/config/dynamicconfig:ro',
    );
    expect(existsSync(join(repo, 'temporal/dynamicconfig/production.yaml'))).toBe(true);

    // setup.sh reads temporal/search-attributes.txt beside itself: mounted so in the container too.
    const setupVolumes = service('temporal-setup').volumes ?? [];
    expect(setupVolumes).toEqual(
      expect.arrayContaining([
        './temporal/setup.sh:/temporal/setup.sh:ro',
        './temporal/search-attributes.txt:/temporal/search-attributes.txt:ro',
      ]),
    );
    // Run it as the container does (sh, the files side by side) with a `temporal` CLI that records its calls.
    const dir = mkdtempSync(join(tmpdir(), 'temporal-setup-'));
    try {
      mkdirSync(join(dir, 'bin'));
      mkdirSync(join(dir, 'temporal'));
      copyFileSync(join(repo, 'temporal/setup.sh'), join(dir, 'temporal/setup.sh'));
      copyFileSync(join(repo, 'temporal/search-attributes.txt'), join(dir, 'temporal/search-attributes.txt'));
      writeFileSync(join(dir, 'bin/temporal'), `#!/bin/sh\necho "$*" >> ${join(dir, 'calls')}\n`);
      chmodSync(join(dir, 'bin/temporal'), 0o755);
      const run = spawnSync('sh', [join(dir, 'temporal/setup.sh')], {
        env: { PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}`, SETUP_ATTEMPTS: '1' },
        encoding: 'utf8',
      });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      const create = readFileSync(join(dir, 'calls'), 'utf8')
        .split('\n')
        .find((line) => line.startsWith('operator search-attribute create'));
      const declared = [...(create ?? '').matchAll(/--name (\S+) --type (\S+)/g)].map(
        ([, n, t]) => `${n}=${t}`,
      );
      expect(declared.sort()).toEqual(['CharacterName=Keyword', 'CrawlPagesDone=Int', 'CrawlStatus=Keyword']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(service('temporal-setup').environment?.TEMPORAL_NAMESPACE).toBe('${TEMPORAL_NAMESPACE:-default}');
  });
});

/** One Dockerfile instruction; `args` keeps a RUN's line continuations, which sh reads as nothing. */
interface Instruction {
  op: string;
  args: string;
}

interface Stage {
  image: string;
  name: string;
  instructions: Instruction[];
}

function parseStages(text: string): Stage[] {
  const instructions: Instruction[] = [];
  for (const line of text.replace(/^\s*#.*\n/gm, '').split(/(?<!\\)\n/)) {
    const match = /^([A-Z]+)\s+([\s\S]*)$/.exec(line.trim());
    if (match) instructions.push({ op: match[1] as string, args: match[2] as string });
  }
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    const from = /^(\S+) AS (\S+)$/.exec(instruction.args);
    if (instruction.op === 'FROM' && from) {
      stages.push({ image: from[1] as string, name: from[2] as string, instructions: [] });
    } else stages[stages.length - 1]?.instructions.push(instruction);
  }
  return stages;
}

/** A stage's ENV settings (`ENV A=1 \\ B=2`; values without spaces or quotes). */
function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { op, args } of stage.instructions) {
    if (op !== 'ENV') continue;
    for (const pair of args.split(/[\s\\]+/).filter(Boolean)) {
      const [key, ...value] = pair.split('=');
      env[key as string] = value.join('=');
    }
  }
  return env;
}

const argsOf = (stage: Stage, op: string): string[] =>
  stage.instructions.filter((i) => i.op === op).map((i) => i.args);

/** The files createMiniLmEmbedder (src/knowledge/embedder.ts) loads from <modelDir>/<model id>/. */
const EMBEDDER_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'];
const embedderModelId = /MINILM_MODEL_ID = '([^']+)'/.exec(read('src/knowledge/embedder.ts'))?.[1];

/**
 * Where scripts/install-model.sh installs the model for a given cache, by running the script's own
 * assignments (SOURCE_VERSION, EXPORT_REVISION, MODEL_ID, CACHE, model_dir, model_files).
 */
function installModelLayout(cache: string): { modelDir: string; modelId: string; files: string[] } {
  const assignments = read('scripts/install-model.sh')
    .split('\n')
    .filter((line) => /^(SOURCE_[A-Z_]+|EXPORT_REVISION|MODEL_ID|CACHE|model_dir|model_files)=/.test(line));
  const script = `${assignments.join('\n')}\nprintf '%s\\n' "$model_dir" "$MODEL_ID" "\${model_files[@]}"`;
  const out = spawnSync('bash', ['-c', script], {
    env: { PATH: process.env.PATH, FG_TOOLS_CACHE: cache },
    // stdin not a socket: bash would take that for sshd and read ~/.bashrc.
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  expect(out.stderr).toBe('');
  const [modelDir, modelId, ...files] = out.stdout.trim().split('\n') as [string, string, ...string[]];
  return { modelDir, modelId, files };
}

describe('Dockerfile', () => {
  const stages = parseStages(dockerfile);
  const stageNamed = (name: string): Stage => {
    const found = stages.find((s) => s.name === name);
    if (!found) throw new Error(`Dockerfile has no stage ${name}`);
    return found;
  };
  const runtime = stages[stages.length - 1] as Stage;

  it('builds on node:20-bookworm-slim and runs as a non-root user in production mode', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(stages.map((s) => `${s.name} ${s.image}`)).toEqual([
      'model ${PYTHON_IMAGE}',
      'build ${NODE_IMAGE}',
      'deps ${NODE_IMAGE}',
      'runtime ${NODE_IMAGE}',
    ]);
    expect(argsOf(runtime, 'USER')).toEqual(['node']);
    expect(envOf(runtime).NODE_ENV).toBe('production');
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });

  it('starts files that the build produces from src/', () => {
    const entries = new Set<string>();
    for (const match of dockerfile.matchAll(/^CMD \[(.*)\]$/gm)) {
      for (const part of JSON.parse(`[${match[1]}]`) as string[])
        if (part.startsWith('dist/')) entries.add(part);
    }
    for (const name of APP_SERVICES) {
      for (const part of service(name).command ?? []) if (part.startsWith('dist/')) entries.add(part);
    }
    expect([...entries].sort()).toEqual(['dist/admin/main.js', 'dist/bots/main.js', 'dist/worker.js']);
    for (const entry of entries) {
      const source = entry.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts');
      expect([source, existsSync(join(repo, source))]).toEqual([source, true]);
    }
  });

  it('keeps .env and local data out of the build context', () => {
    const ignore = read('.dockerignore')
      .split('\n')
      .filter((line) => line && !line.startsWith('#'));
    expect(ignore[0]).toBe('*'); // an allowlist follows
    expect(ignore.filter((line) => line.startsWith('!')).sort()).toEqual(
      [
        '!dashboard/',
        '!package-lock.json',
        '!package.json',
        '!src/',
        '!tsconfig.build.json',
        '!tsconfig.json',
        '!scripts/install-model.sh',
        '!scripts/model/',
      ].sort(),
    );
  });

  it('builds the dashboard in the build stage and ships dashboard/dist (served by the admin process)', () => {
    expect(argsOf(stageNamed('build'), 'RUN')).toContain('npm run build:dashboard');
    expect(argsOf(runtime, 'COPY')).toContain('--from=build /app/dashboard/dist ./dashboard/dist');
    // A local build stays out of the context: the image builds its own.
    expect(read('.dockerignore').split('\n')).toContain('dashboard/dist');
  });

  it('installs the embedding model with scripts/install-model.sh in a Python stage of its own', () => {
    expect(dockerfile).toMatch(/^ARG PYTHON_IMAGE=python:3\.11-slim-bookworm$/m);
    const model = stageNamed('model');
    expect(envOf(model).FG_TOOLS_CACHE).toBe('/models-cache');
    // Everything the script runs is copied in (and let into the build context, above).
    const copied = argsOf(model, 'COPY').map((args) => args.split(/\s+/)[0] as string);
    expect(copied.sort()).toEqual(['scripts/install-model.sh', 'scripts/model']);
    for (const source of copied) expect([source, existsSync(join(repo, source))]).toEqual([source, true]);
    expect(existsSync(join(repo, 'scripts/model/export_minilm.py'))).toBe(true);
    expect(argsOf(model, 'RUN').join('\n')).toContain('bash scripts/install-model.sh');
  });

  it('ships only the model folder to the runtime image, at the EMBEDDING_MODEL_DIR the worker gets', () => {
    const fromModel = stages.flatMap((stage) =>
      argsOf(stage, 'COPY')
        .filter((args) => args.startsWith('--from=model '))
        .map((args) => [stage.name, ...args.split(/\s+/).slice(1)]),
    );
    expect(fromModel).toEqual([['runtime', expect.any(String), '/app/models']]);
    // The model folder alone: not the cache with the export venv (~210 MB).
    expect(fromModel[0]?.[1]).not.toMatch(/models-cache|venv/);
    expect(envOf(runtime).EMBEDDING_MODEL_DIR).toBe('/app/models');
    // Compose sets the same path for the worker, so a local path in .env cannot point it elsewhere.
    expect(service('worker').environment?.EMBEDDING_MODEL_DIR).toBe('/app/models');
    expect(envExample).not.toMatch(/^EMBEDDING_MODEL_DIR=/m);
  });

  it("moves the folder install-model.sh prints to where the runtime copies it from, in the embedder's layout", () => {
    // The model stage's RUN as the build runs it (sh -c in WORKDIR with the COPYed scripts and the
    // stage's ENV), with its paths moved into a temp folder, against a cache where the script finds
    // the model installed (so nothing is downloaded: a python3 that fails stands guard).
    const model = stageNamed('model');
    const source = stageNamed('runtime')
      .instructions.find((i) => i.op === 'COPY' && i.args.startsWith('--from=model '))
      ?.args.split(/\s+/)[1] as string;
    const dir = mkdtempSync(join(tmpdir(), 'model-stage-'));
    try {
      const workdir = join(dir, 'build');
      const out = join(dir, 'out');
      for (const args of argsOf(model, 'COPY')) {
        const [from, to] = args.split(/\s+/) as [string, string];
        const target = join(workdir, to);
        if (statSync(join(repo, from)).isDirectory()) cpSync(join(repo, from), target, { recursive: true });
        else cpSync(join(repo, from), to.endsWith('/') ? join(target, basename(from)) : target);
      }
      const cache = join(dir, 'models-cache');
      const layout = installModelLayout(cache);
      expect(layout.modelDir.startsWith(join(cache, 'models') + '/')).toBe(true);
      expect(layout.modelId).toBe(embedderModelId);
      expect(layout.files.sort()).toEqual([...EMBEDDER_FILES].sort());
      for (const file of layout.files) {
        const path = join(layout.modelDir, layout.modelId, file);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, `${file}\n`);
      }
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      writeFileSync(
        join(bin, 'python3'),
        '#!/bin/sh\necho "python3 called: the model was not found" >&2\nexit 1\n',
      );
      chmodSync(join(bin, 'python3'), 0o755);

      const escaped = source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const run = argsOf(model, 'RUN')
        .join(' && ')
        .replace(new RegExp(`${escaped}(?=[/\\s"']|$)`, 'g'), out);
      expect(run).toContain(out);
      const result = spawnSync('sh', ['-c', run], {
        cwd: workdir,
        env: { ...envOf(model), FG_TOOLS_CACHE: cache, PATH: `${bin}:${process.env.PATH}`, HOME: dir },
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect([result.status, result.stderr]).toEqual([0, '']);
      for (const file of EMBEDDER_FILES) {
        const path = join(out, embedderModelId as string, file);
        expect([path, existsSync(path)]).toEqual([path, true]);
      }
      expect(existsSync(layout.modelDir)).toBe(false); // moved, not copied
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** `docker compose` or `docker-compose`, whichever answers; undefined when neither is installed. */
function composeCommand(): string[] | undefined {
  for (const command of [['docker', 'compose'], ['docker-compose']]) {
    const [file, ...args] = command as [string, ...string[]];
    const probe = spawnSync(file, [...args, 'version'], { encoding: 'utf8', timeout: 20_000 });
    if (probe.status === 0) return command;
  }
  return undefined;
}

describe('docker compose config', () => {
  it('accepts the file with an .env made from .env.example, and refuses it without the passwords', () => {
    const command = composeCommand();
    if (!command) {
      process.stderr.write(
        'compose.test: no Docker Compose CLI (`docker compose` / `docker-compose`) here: ' +
          'not validating docker-compose.yml with `docker compose config`\n',
      );
      return;
    }
    const [file, ...args] = command as [string, ...string[]];
    const dir = mkdtempSync(join(tmpdir(), 'compose-'));
    try {
      copyFileSync(join(repo, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
      const run = (env: string) => {
        writeFileSync(join(dir, '.env'), env);
        // A minimal environment: the user's COMPOSE_* or app variables must not leak in.
        const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
        if (process.env.DOCKER_CONFIG) childEnv.DOCKER_CONFIG = process.env.DOCKER_CONFIG;
        return spawnSync(file, [...args, 'config', '--format', 'json'], {
          cwd: dir,
          env: childEnv,
          encoding: 'utf8',
          timeout: 60_000,
        });
      };

      const filled = envExample
        .replace(/^MONGO_ROOT_PASSWORD=$/m, 'MONGO_ROOT_PASSWORD=mongo0secret')
        .replace(/^POSTGRES_PASSWORD=$/m, 'POSTGRES_PASSWORD=pg0secret')
        .replace(/^DISCORD_TOKEN_STEWIE=$/m, 'DISCORD_TOKEN_STEWIE=stewie.token')
        .replace(/^# TEMPORAL_ADDRESS=/m, 'TEMPORAL_ADDRESS=')
        .replace(
          /^# EMBEDDING_MODEL_DIR=$/m,
          'EMBEDDING_MODEL_DIR=/home/me/.cache/family-guy-bots/tools/models/x',
        );
      const ok = run(filled);
      expect(ok.stderr).not.toMatch(/error/i);
      expect(ok.status).toBe(0);
      const rendered = JSON.parse(ok.stdout) as ComposeFile;
      const worker = rendered.services.worker?.environment ?? {};
      expect(worker.MONGODB_URI).toBe('mongodb://bots:mongo0secret@mongodb:27017/?authSource=admin');
      expect(worker.DISCORD_TOKEN_STEWIE).toBe('stewie.token');
      expect(worker.TEMPORAL_ADDRESS).toBe('temporal:7233'); // compose's address wins over .env
      expect(worker.EMBEDDING_MODEL_DIR).toBe('/app/models'); // and so does the model baked into the image
      expect(rendered.services['ollama-pull']?.command).toEqual(['pull', 'mistral']);

      const refused = run(envExample);
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toMatch(/set (MONGO_ROOT_PASSWORD|POSTGRES_PASSWORD) in \.env/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
