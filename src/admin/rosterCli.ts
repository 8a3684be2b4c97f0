/**
 * The admin CLI's `characters`, `lore` and `channels` commands (usage in src/admin/cli.ts), over the
 * admin API's roster, card, lorebook and channel routes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { flags, UsageError } from './cliArgs';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** How the commands reach the admin API: JSON in and out, or a body's bytes as they are. */
export interface Api {
  call(method: Method, path: string, json?: unknown): Promise<unknown>;
  send(
    method: Method,
    path: string,
    body?: { json?: unknown; bytes?: Buffer; contentType?: string },
  ): Promise<Response>;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHARACTER_OPTIONS = ['alias', 'fallback', 'talkativeness', 'starter', 'avatar-url', 'no-avatar-url'];

const segment = (value: string) => encodeURIComponent(value);

function needs(value: string | undefined, what: string): string {
  if (!value) throw new UsageError(what);
  return value;
}

/** The fields `characters add` and `edit` share, from their options. */
function characterFields(values: Record<string, string[]>): Record<string, unknown> {
  return {
    ...(values.alias && { aliases: values.alias }),
    ...(values.fallback && { fallback_line: values.fallback[0] }),
    ...(values.talkativeness && { talkativeness: Number(values.talkativeness[0]) }),
    ...(values.starter && { organic_starters: values.starter }),
    ...(values['avatar-url'] && { avatar_url: values['avatar-url'][0] }),
    ...(values['no-avatar-url'] && { avatar_url: null }),
  };
}

export async function characters(args: string[], api: Api): Promise<unknown> {
  const { positional, values } = flags(
    args,
    [...CHARACTER_OPTIONS, 'prompt-file', 'replace', 'png', 'out'],
    ['no-avatar-url', 'replace', 'png'],
  );
  const [command = 'list', arg] = positional;
  if (command === 'list') return api.call('GET', '/characters');
  const name = needs(arg, `characters ${command} needs a ${command === 'import' ? 'card file' : 'name'}`);
  switch (command) {
    case 'add': {
      const promptFile = needs(values['prompt-file']?.[0], 'characters add needs --prompt-file PROMPT.txt');
      return api.call('POST', '/characters', {
        name,
        prompt_text: await readFile(promptFile, 'utf8'),
        ...characterFields(values),
      });
    }
    case 'edit':
      return api.call('PATCH', `/characters/${segment(name)}`, characterFields(values));
    case 'retire':
      return api.call('DELETE', `/characters/${segment(name)}`);
    case 'activate':
      return api.call('PATCH', `/characters/${segment(name)}`, { status: 'active' });
    case 'import':
      return importCard(name, values.replace !== undefined, api);
    case 'export':
      return exportCard(name, values.png !== undefined, values.out?.[0], api);
    default:
      throw new UsageError(`unknown characters command ${command}`);
  }
}

/** Sends the card file's bytes, as image/png when they start with PNG's signature, else as JSON. */
async function importCard(file: string, replace: boolean, api: Api): Promise<unknown> {
  const bytes = await readFile(file);
  const png = bytes.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE);
  const response = await api.send('POST', `/characters/import${replace ? '?replace=true' : ''}`, {
    bytes,
    contentType: png ? 'image/png' : 'application/json',
  });
  return response.json();
}

/** Writes the character's card to `out` (default: the name the API gives it, in this directory). */
async function exportCard(name: string, png: boolean, out: string | undefined, api: Api): Promise<unknown> {
  const response = await api.send('GET', `/characters/${segment(name)}/card?format=${png ? 'png' : 'json'}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const suggested = /filename="([^"/\\]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1];
  const file = out ?? suggested ?? `${name}.${png ? 'png' : 'json'}`;
  await writeFile(file, bytes);
  return { wrote: file, bytes: bytes.length };
}

export async function lore(args: string[], api: Api): Promise<unknown> {
  const { positional, values } = flags(args, ['file']);
  const [command = 'list', scope] = positional;
  if (command === 'list') return api.call('GET', '/lorebooks');
  const path = `/lorebooks/${segment(needs(scope, `lore ${command} needs a scope (global, character:<name>, channel:<id>)`))}`;
  switch (command) {
    case 'show':
      return api.call('GET', path);
    case 'set': {
      const file = needs(values.file?.[0], 'lore set needs --file BOOK.json');
      return api.send('PUT', path, { bytes: await readFile(file) }).then((response) => response.json());
    }
    case 'delete':
      return api.call('DELETE', path);
    default:
      throw new UsageError(`unknown lore command ${command}`);
  }
}

const CHANNEL_SWITCHES = [
  'everyone',
  'no-scenario',
  'follow-ups-default',
  'unnamed-default',
  'join-chance-default',
  'live',
  'not-live',
  'live-default',
];

export async function channels(args: string[], api: Api): Promise<unknown> {
  const { positional, values } = flags(
    args,
    ['cast', 'scenario', 'scenario-file', 'follow-ups', 'unnamed', 'join-chance', ...CHANNEL_SWITCHES],
    CHANNEL_SWITCHES,
  );
  const [command = 'list', id] = positional;
  if (command === 'list') return api.call('GET', '/channels');
  const path = `/channels/${segment(needs(id, `channels ${command} needs a channel id`))}`;
  switch (command) {
    case 'show':
      return api.call('GET', path);
    case 'set':
      return api.call('PUT', path, await channelChanges(values));
    case 'clear':
      return api.call('DELETE', path);
    default:
      throw new UsageError(`unknown channels command ${command}`);
  }
}

/** `channels set`'s options as a PUT /channels/:id body; each setting given one way at most. */
async function channelChanges(values: Record<string, string[]>): Promise<Record<string, unknown>> {
  const oneOf = (...names: string[]) => {
    const given = names.filter((name) => values[name]);
    if (given.length > 1) throw new UsageError(`use one of ${given.map((n) => `--${n}`).join(', ')}`);
    return given[0];
  };
  const changes: Record<string, unknown> = {};
  const cast = oneOf('cast', 'everyone');
  if (cast === 'cast')
    changes.cast = values.cast?.[0]
      ?.split(',')
      .map((name) => name.trim())
      .filter(Boolean);
  if (cast === 'everyone') changes.cast = null;
  const scenario = oneOf('scenario', 'scenario-file', 'no-scenario');
  if (scenario === 'scenario') changes.scenario = values.scenario?.[0];
  if (scenario === 'scenario-file')
    changes.scenario = await readFile(values['scenario-file']?.[0] ?? '', 'utf8');
  if (scenario === 'no-scenario') changes.scenario = null;
  const followUps = oneOf('follow-ups', 'follow-ups-default');
  if (followUps === 'follow-ups') changes.follow_up_max_chain = Number(values['follow-ups']?.[0]);
  if (followUps === 'follow-ups-default') changes.follow_up_max_chain = null;
  const unnamed = oneOf('unnamed', 'unnamed-default');
  if (unnamed === 'unnamed') changes.unnamed_messages = values.unnamed?.[0];
  if (unnamed === 'unnamed-default') changes.unnamed_messages = null;
  const join = oneOf('join-chance', 'join-chance-default');
  if (join === 'join-chance') changes.join_chance = Number(values['join-chance']?.[0]);
  if (join === 'join-chance-default') changes.join_chance = null;
  const live = oneOf('live', 'not-live', 'live-default');
  if (live) changes.live_replies = live === 'live-default' ? null : live === 'live';
  if (Object.keys(changes).length === 0)
    throw new UsageError(
      'channels set needs --cast, --everyone, --scenario, --no-scenario, --follow-ups, --unnamed, --join-chance or --live',
    );
  return changes;
}
