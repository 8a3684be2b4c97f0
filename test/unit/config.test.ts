import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, SETTINGS } from '../../src/config';

const repo = join(__dirname, '..', '..');

describe('loadConfig', () => {
  it('works with no environment at all, from documented defaults', () => {
    const config = loadConfig({});
    expect(config.temporalAddress).toBe('127.0.0.1:7233');
    expect(config.ollamaNumCtx).toBe(8192);
    expect(config.characters).toEqual(['Peter', 'Brian', 'Stewie']);
    expect(config.discordTokens).toEqual({});
  });

  it('uses what the environment says, unchanged', () => {
    const config = loadConfig({
      MONGODB_URI: 'mongodb://user:pw@db.example:27017/?authSource=admin',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      OLLAMA_HOST: 'http://gpu-box:11434/',
      DISCORD_TOKEN_STEWIE: ' abc.def ',
    });
    expect(config.mongodbUri).toBe('mongodb://user:pw@db.example:27017/?authSource=admin');
    expect(config.temporalAddress).toBe('temporal.internal:7233');
    expect(config.ollamaHost).toBe('http://gpu-box:11434');
    expect(config.discordTokens).toEqual({ stewie: 'abc.def' });
  });

  it('reports every bad setting at once, by name', () => {
    let error: unknown;
    try {
      loadConfig({
        OLLAMA_NUM_CTX: 'lots',
        HISTORY_WINDOW: '-1',
        CHROMA_URL: 'chroma:8000',
        LOG_LEVEL: 'loud',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['OLLAMA_NUM_CTX', 'HISTORY_WINDOW', 'CHROMA_URL', 'LOG_LEVEL'])
      expect(message).toContain(name);
  });

  it('documents every setting in the README and .env.example', () => {
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    const example = readFileSync(join(repo, '.env.example'), 'utf8');
    for (const setting of SETTINGS) {
      expect(readme).toContain(`\`${setting.name}\``);
      expect(example).toMatch(new RegExp(`^#? ?${setting.name}=`, 'm'));
    }
  });
});
