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

  it('says what is wrong with each bad value', () => {
    const problems = (env: NodeJS.ProcessEnv): string[] => {
      try {
        loadConfig(env);
        return [];
      } catch (err) {
        return (err as ConfigError).problems;
      }
    };
    expect(
      problems({
        MONGODB_URI: 'http://db',
        TEMPORAL_ADDRESS: 'nope',
        OLLAMA_TEMPERATURE: '3',
        RAG_TOP_K: '1.5',
        QC_ENABLED: 'Maybe',
        DISCORD_API_URL: 'ftp://x/',
        CHARACTERS: ' , ',
        ORGANIC_CHANNELS: 'abc,123456789012345678',
        LOG_FORMAT: 'XML',
        LOCAL_STACK_PORTS: '1,2',
      }),
    ).toEqual([
      'MONGODB_URI: expected a mongodb:// or mongodb+srv:// connection string',
      'TEMPORAL_ADDRESS="nope": expected host:port',
      'OLLAMA_TEMPERATURE="3": expected a number in 0..2',
      'RAG_TOP_K="1.5": expected an integer in 0..20',
      'CHARACTERS: name at least one character',
      'DISCORD_API_URL="ftp://x": expected a http: or https: URL',
      'ORGANIC_CHANNELS: "abc" is not a Discord channel id',
      'QC_ENABLED="maybe": expected true or false',
      'LOG_FORMAT=xml: expected one of auto, pretty, json',
      'LOCAL_STACK_PORTS="1,2": expected five ports (0-65535), comma-separated',
    ]);
    expect(loadConfig({ LOG_LEVEL: 'debug', LOG_FORMAT: 'JSON' })).not.toHaveProperty('logLevel');
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
