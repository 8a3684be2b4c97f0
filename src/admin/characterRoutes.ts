import type { FastifyInstance } from 'fastify';
import {
  CardError,
  cardToJson,
  cardToPng,
  characterToCard,
  MAX_CARD_FILE_BYTES,
  parseCardFile,
} from '../characters/cards';
import { addCharacter, characterForExport, importCharacter } from '../characters/importCharacter';
import { deliveryMode } from '../characters/delivery';
import { ROSTER_NAME, ROSTER_NAME_PATTERN } from '../characters/names';
import { DEFAULT_TALKATIVENESS } from '../characters/roster';
import type { CharacterProfile } from '../characters/profile';
import { CharacterExistsError, UnknownCharacterError, type CharacterPatch } from '../store/characterRoster';
import type { CharacterPrompt } from '../store/characterPrompts';
import type { Store } from '../store/mongo';
import { HttpError } from './http';
import { MESSAGE, object, param, pathParams, query, responses, string, text, type Schema } from './schemas';

/** How each character reaches Discord: names with their own DISCORD_TOKEN_<NAME>, and whether a cast bot runs. */
export interface DeliveryInfo {
  /** Lower-cased names that have their own bot token. */
  botTokenNames: string[];
  /** DISCORD_CAST_TOKEN is set: characters without their own token speak through webhooks. */
  castBot: boolean;
}

const CARD_TYPES = ['application/json', 'image/png', 'application/octet-stream'];
const MAX_PROMPT_CHARS = 12_000;
const MAX_LINE_CHARS = 2000;
const nameParams = pathParams({ name: ROSTER_NAME_PATTERN });
const characterUrl = (suffix = '') => `/characters/${param('name', ROSTER_NAME_PATTERN)}${suffix}`;

const FIELDS: Record<string, Schema> = {
  aliases: { type: 'array', items: text(64), maxItems: 20, [MESSAGE]: 'aliases: expected at most 20 words' },
  fallback_line: text(500),
  talkativeness: {
    type: 'number',
    minimum: 0,
    maximum: 1,
    [MESSAGE]: 'talkativeness: expected a number 0-1',
  },
  organic_starters: {
    type: 'array',
    items: text(MAX_LINE_CHARS),
    maxItems: 50,
    [MESSAGE]: `organic_starters: expected at most 50 lines of at most ${MAX_LINE_CHARS} characters`,
  },
  avatar_url: {
    type: ['string', 'null'],
    pattern: '^https?://\\S+$',
    maxLength: 2000,
    [MESSAGE]: 'avatar_url: expected an http(s) URL or null',
  },
};

type CharacterRoute = { Params: { name: string } };
interface NewCharacterBody {
  name: string;
  aliases?: string[];
  prompt_text: string;
  fallback_line: string;
  talkativeness: number;
  organic_starters?: string[];
  avatar_url?: string | null;
}

/**
 * The roster: GET /characters, POST /characters (with its first prompt), PATCH and DELETE (retire)
 * /characters/:name, card import (POST /characters/import, JSON or PNG) and export
 * (GET /characters/:name/card). Changes take effect without a restart (the bots read the roster).
 */
export function characterRoutes(
  app: FastifyInstance,
  options: {
    store: Store;
    delivery?: DeliveryInfo;
    /** Re-reads this process's roster (so the next request here already sees a change); absent: nothing to. */
    refreshRoster?: () => Promise<void>;
  },
): void {
  const { store } = options;
  /** A roster change, refused with the HTTP status of the store's refusal; this process sees it at once. */
  const changing = async <T>(change: () => Promise<T>): Promise<T> => {
    const result = await answering(change);
    await options.refreshRoster?.();
    return result;
  };
  const delivery = options.delivery ?? { botTokenNames: [], castBot: false };

  app.get(
    '/characters',
    { schema: { summary: 'every character, retired ones too', response: responses({ 200: 'characters' }) } },
    async () => {
      const [profiles, prompts] = await Promise.all([
        store.characterRoster.list({ includeRetired: true }),
        store.characterPrompts.list(),
      ]);
      const defaults = defaultVersions(prompts);
      return { characters: profiles.map((p) => characterView(p, defaults.get(p.name) ?? null, delivery)) };
    },
  );

  app.post<{ Body: NewCharacterBody }>(
    '/characters',
    {
      schema: {
        summary: 'add a character with its first prompt version (v1.0)',
        body: object(
          {
            name: text(32, 'a letter, then letters, digits or _', {
              pattern: ROSTER_NAME.source,
              [MESSAGE]: 'name: expected a letter, then at most 31 letters, digits or _',
            }),
            prompt_text: text(MAX_PROMPT_CHARS),
            ...FIELDS,
            talkativeness: { ...FIELDS.talkativeness, default: DEFAULT_TALKATIVENESS },
          },
          ['name', 'prompt_text', 'fallback_line'],
        ),
        response: responses({ 201: 'the character' }, [400, 409, 413]),
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { profile, prompt_version } = await changing(() =>
        addCharacter(
          store,
          {
            name: body.name,
            aliases: body.aliases ?? [],
            prompt_text: body.prompt_text,
            fallback_line: body.fallback_line,
            talkativeness: body.talkativeness,
            organic_starters: body.organic_starters ?? [],
            avatar_url: body.avatar_url ?? null,
          },
          'admin',
        ),
      );
      return reply.code(201).send(characterView(profile, prompt_version, delivery));
    },
  );

  app.patch<CharacterRoute & { Body: CharacterPatch }>(
    characterUrl(),
    {
      schema: {
        summary: "change a character's aliases, fallback, talkativeness, starters, avatar URL or status",
        params: nameParams,
        body: {
          ...object({ ...FIELDS, status: string(undefined, { enum: ['active', 'retired'] }) }),
          minProperties: 1,
          [MESSAGE]: 'expected at least one field to change',
        },
        response: responses({ 200: 'the character as now' }, [400, 404, 413]),
      },
    },
    async (request) => {
      const profile = await changing(() => store.characterRoster.update(request.params.name, request.body));
      return characterView(profile, await defaultVersion(store, profile.name), delivery);
    },
  );

  app.delete<CharacterRoute>(
    characterUrl(),
    {
      schema: {
        summary: 'retire a character (it answers nowhere; history and prompts stay)',
        params: nameParams,
        response: responses({ 200: 'the character as now' }, [404]),
      },
    },
    async (request) => {
      const profile = await changing(() => store.characterRoster.retire(request.params.name));
      return characterView(profile, await defaultVersion(store, profile.name), delivery);
    },
  );

  app.get<CharacterRoute & { Querystring: { format: 'json' | 'png' } }>(
    characterUrl('/card'),
    {
      schema: {
        summary: 'the character as a Character Card V3 (its default prompt, lorebook and avatar)',
        params: nameParams,
        querystring: query({ format: string(undefined, { enum: ['json', 'png'], default: 'json' }) }),
        response: responses({ 200: 'the card file (attachment)' }, [400, 404]),
      },
    },
    async (request, reply) => {
      const input = await answering(() => characterForExport(store, request.params.name));
      const card = characterToCard(input);
      const png = request.query.format === 'png';
      return reply
        .type(png ? 'image/png' : 'application/json')
        .header('content-disposition', `attachment; filename="${input.profile.name}.${png ? 'png' : 'json'}"`)
        .send(png ? cardToPng(card, input.profile.avatar) : cardToJson(card));
    },
  );

  // Card files come as they are (bytes, up to MAX_CARD_FILE_BYTES), not as the JSON objects other routes take.
  app.register((cards, _options, done) => {
    cards.removeAllContentTypeParsers();
    cards.addContentTypeParser(CARD_TYPES, { parseAs: 'buffer' }, (_request, bytes, parsed) =>
      parsed(null, bytes),
    );
    cards.addContentTypeParser('*', (request, _body, refused) =>
      refused(
        new HttpError(
          415,
          `send the card file as ${CARD_TYPES.join(', ')}, not ${request.headers['content-type']}`,
        ),
        undefined,
      ),
    );
    cards.post<{ Querystring: { replace: boolean } }>(
      '/characters/import',
      {
        bodyLimit: MAX_CARD_FILE_BYTES,
        schema: {
          summary: `import a Character Card V2/V3 (JSON, or PNG with ccv3/chara chunks; at most ${MAX_CARD_FILE_BYTES} bytes)`,
          description: `The card file is the body, sent as ${CARD_TYPES.join(', ')}.`,
          querystring: query({ replace: { type: 'boolean', default: false } }),
          response: responses({ 201: 'name, prompt_version, lore_entries, starters' }, [400, 409, 413, 415]),
        },
      },
      async (request, reply) => {
        const bytes = request.body;
        if (!Buffer.isBuffer(bytes) || bytes.length === 0)
          throw new HttpError(400, `send the card file as the body (${CARD_TYPES.join(', ')})`);
        const imported = parseCard(bytes);
        const result = await changing(() =>
          importCharacter(store, imported, { replace: request.query.replace, by: 'admin' }),
        );
        return reply.code(201).send(result);
      },
    );
    done();
  });
}

/**
 * GET /avatars/:name: a character's avatar image, public (Discord fetches it for webhook posts, without
 * the admin token).
 */
export function avatarRoutes(app: FastifyInstance, options: { store: Store }): void {
  app.get<CharacterRoute>(
    `/avatars/${param('name', ROSTER_NAME_PATTERN)}`,
    {
      schema: {
        summary: "a character's avatar image (public: webhook posts link to it)",
        security: [],
        params: nameParams,
        response: responses({ 200: 'the image' }, [404]),
      },
    },
    async (request, reply) => {
      const avatar = await options.store.characterRoster.avatar(request.params.name);
      if (!avatar) throw new HttpError(404, `no avatar for "${request.params.name}"`);
      return reply.type(avatar.mime).header('cache-control', 'public, max-age=300').send(avatar.data);
    },
  );
}

function parseCard(bytes: Buffer) {
  try {
    return parseCardFile(bytes);
  } catch (err) {
    if (err instanceof CardError) throw new HttpError(400, err.message);
    throw err;
  }
}

/** Runs a roster change, answering the roster's refusals with their HTTP status. */
async function answering<T>(change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (err) {
    if (err instanceof CharacterExistsError) throw new HttpError(409, err.message);
    if (err instanceof UnknownCharacterError) throw new HttpError(404, err.message);
    throw err;
  }
}

/** Each character's default prompt version (the newest default if two ever claim it). */
function defaultVersions(prompts: CharacterPrompt[]): Map<string, string> {
  const defaults = prompts
    .filter((p) => p.is_default)
    .sort((a, b) => (a.default_since?.getTime() ?? 0) - (b.default_since?.getTime() ?? 0));
  return new Map(defaults.map((p) => [p.character_name, p.prompt_version]));
}

async function defaultVersion(store: Store, name: string): Promise<string | null> {
  return (await store.characterPrompts.findDefault(name))?.prompt_version ?? null;
}

/** What GET /characters shows of a character: no avatar bytes, and how it reaches Discord. */
export function characterView(
  profile: CharacterProfile,
  defaultPromptVersion: string | null,
  delivery: DeliveryInfo,
) {
  return {
    name: profile.name,
    aliases: profile.aliases,
    status: profile.status,
    source: profile.source,
    talkativeness: profile.talkativeness,
    fallback_line: profile.fallback_line,
    organic_starters: profile.organic_starters,
    has_avatar: profile.avatar !== null,
    avatar_url: profile.avatar_url,
    delivery: deliveryMode(profile.name, delivery.botTokenNames, delivery.castBot),
    default_prompt_version: defaultPromptVersion,
  };
}
