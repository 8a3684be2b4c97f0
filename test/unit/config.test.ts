import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shardingFromConfig } from '../../src/bots/sharding';
import { ConfigError, loadConfig, SETTINGS } from '../../src/config';

/** What loadConfig says is wrong with `env` (none: it loads). */
function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
}

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

  describe('gateway sharding', () => {
    it('runs one shard of one by default, as a bot without sharding does', () => {
      const config = loadConfig({});
      expect(config.discordShards).toBe('all');
      expect(config.discordShardCount).toBe(1);
      expect(shardingFromConfig(config)).toEqual({ shards: [0], shardCount: 1 });
    });

    it('runs all shards of a count, a part of them, or as many as Discord recommends', () => {
      const shards = (env: NodeJS.ProcessEnv) => shardingFromConfig(loadConfig(env));
      expect(shards({ DISCORD_SHARD_COUNT: '3' })).toEqual({ shards: [0, 1, 2], shardCount: 3 });
      expect(shards({ DISCORD_SHARDS: ' 1 ', DISCORD_SHARD_COUNT: '2' })).toEqual({
        shards: [1],
        shardCount: 2,
      });
      expect(shards({ DISCORD_SHARDS: '0, 4-6', DISCORD_SHARD_COUNT: '8' })).toEqual({
        shards: [0, 4, 5, 6],
        shardCount: 8,
      });
      expect(shards({ DISCORD_SHARDS: 'ALL', DISCORD_SHARD_COUNT: 'Auto' })).toEqual({
        shards: 'auto',
        shardCount: undefined,
      });
    });

    it('says what is wrong with shard settings, alone and together', () => {
      expect(problems({ DISCORD_SHARDS: 'first', DISCORD_SHARD_COUNT: '0' })).toEqual([
        'DISCORD_SHARDS="first": expected all, or shard ids and ranges like 0,1 or 4-7',
        'DISCORD_SHARD_COUNT="0": expected an integer in 1..16384',
      ]);
      expect(problems({ DISCORD_SHARDS: '3-1', DISCORD_SHARD_COUNT: '4' })).toEqual([
        'DISCORD_SHARDS="3-1": expected all, or shard ids and ranges like 0,1 or 4-7',
      ]);
      expect(problems({ DISCORD_SHARDS: '0,1,1', DISCORD_SHARD_COUNT: '2' })).toEqual([
        'DISCORD_SHARDS: shard 1 is named twice',
      ]);
      // Processes that split the shards must agree on the total, so a list needs a fixed count.
      expect(problems({ DISCORD_SHARDS: '0' })).toEqual([]);
      expect(problems({ DISCORD_SHARDS: '0,1', DISCORD_SHARD_COUNT: 'auto' })).toEqual([
        'DISCORD_SHARDS: a list of shard ids needs a number in DISCORD_SHARD_COUNT, not auto',
      ]);
      expect(problems({ DISCORD_SHARDS: '1,2,3', DISCORD_SHARD_COUNT: '2' })).toEqual([
        'DISCORD_SHARDS: 2, 3 out of range: with DISCORD_SHARD_COUNT=2 the ids are 0-1',
      ]);
      expect(problems({ DISCORD_SHARDS: '0-99', DISCORD_SHARD_COUNT: '4' })).toEqual([
        'DISCORD_SHARDS: 4, 5, 6, 7, 8, ... out of range: with DISCORD_SHARD_COUNT=4 the ids are 0-3',
      ]);
      expect(problems({ DISCORD_SHARDS: '0-99999', DISCORD_SHARD_COUNT: '4' })).toEqual([
        'DISCORD_SHARDS="0-99999": expected all, or shard ids and ranges like 0,1 or 4-7',
      ]);
      // A bad count is reported once, not again as a mismatch.
      expect(problems({ DISCORD_SHARDS: '5', DISCORD_SHARD_COUNT: 'many' })).toEqual([
        'DISCORD_SHARD_COUNT="many": expected an integer in 1..16384',
      ]);
    });
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
