/**
 * src/workflows bundled (webpack, a few seconds) once for a whole jest run: the first test file that needs
 * it (a workflow test, the replay test, an end-to-end harness) bundles and caches it on disk, the others
 * read it. Keyed by the content of every file under src/ and the SDK version, so any change rebundles.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The bundle, once per test file (read from the disk cache when another file made it). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= cachedBundle();
  return bundle;
}

async function cachedBundle(): Promise<WorkflowBundleWithSourceMap> {
  const hash = createHash('sha256');
  hash.update(fs.readFileSync(path.join(REPO_ROOT, 'node_modules', '@temporalio', 'worker', 'package.json')));
  const srcDir = path.join(REPO_ROOT, 'src');
  for (const file of listFiles(srcDir).sort()) {
    hash
      .update(`${path.relative(srcDir, file)}\0`)
      .update(fs.readFileSync(file))
      .update('\0');
  }
  const cacheFile = path.join(BUNDLE_CACHE_DIR, `${hash.digest('hex').slice(0, 16)}.json`);
  try {
    return JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as WorkflowBundleWithSourceMap;
  } catch {
    // Not cached yet (or unreadable): bundle.
  }
  const fresh = await bundleWorkflowCode({
    workflowsPath: path.join(srcDir, 'workflows'),
    logger: new DefaultLogger('ERROR'),
  });
  fs.mkdirSync(BUNDLE_CACHE_DIR, { recursive: true });
  for (const stale of fs.readdirSync(BUNDLE_CACHE_DIR).filter((name) => name.endsWith('.json'))) {
    fs.rmSync(path.join(BUNDLE_CACHE_DIR, stale), { force: true });
  }
  const partial = `${cacheFile}.${process.pid}`;
  fs.writeFileSync(partial, JSON.stringify({ code: fresh.code, sourceMap: fresh.sourceMap }));
  fs.renameSync(partial, cacheFile); // atomic: a parallel test file reads the whole bundle or none
  return fresh;
}

const BUNDLE_CACHE_DIR = path.join(REPO_ROOT, 'node_modules', '.cache', 'family-guy-bots', 'workflow-bundle');

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory() ? listFiles(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
    );
}
