import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  RESTJSONErrorCodes,
  type APIApplicationCommand,
  type APIApplicationCommandInteractionDataBasicOption,
  type APIApplicationCommandOption,
  type InteractionContextType,
} from 'discord.js';
import type { BotRecord } from './guild';
import { isRecord } from './json';
import { fail, invalidForm, invalidFormAt, methodNotAllowed, type RestResponse } from './responses';
import { nextSnowflake } from './snowflake';

/**
 * Bots' application commands: global ones (PUT/GET /applications/:id/commands) and each guild's
 * (PUT/GET /applications/:id/guilds/:guild/commands), each list a bulk overwrite.
 */
export class CommandRegistry {
  /** By `<application id>` (global) or `<application id>:<guild id>`. */
  private readonly byScope = new Map<string, APIApplicationCommand[]>();

  /** Copies: the global commands, or the guild's when `guildId` is given. */
  list(applicationId: string, guildId: string | null = null): APIApplicationCommand[] {
    return structuredClone(this.byScope.get(scope(applicationId, guildId)) ?? []);
  }

  /**
   * The command a user in `guildId` (null: a DM) picks by name: the guild's own, else the global one
   * (Discord's client lists both when both exist; the fake takes the guild's).
   */
  find(applicationId: string, name: string, guildId: string | null): APIApplicationCommand | undefined {
    const named = (commands: APIApplicationCommand[] | undefined) =>
      commands?.find((command) => command.name === name);
    return (
      (guildId === null ? undefined : named(this.byScope.get(scope(applicationId, guildId)))) ??
      named(this.byScope.get(scope(applicationId, null)))
    );
  }

  /** PUT (bulk overwrite) and GET of the global commands (`guildId` null) or a guild's. */
  route(
    method: string,
    applicationId: string,
    guildId: string | null,
    bot: BotRecord,
    body: unknown,
  ): RestResponse {
    if (applicationId !== bot.id) throw fail(403, RESTJSONErrorCodes.MissingAccess, 'Missing Access');
    const key = scope(bot.id, guildId);
    if (method === 'GET') return { status: 200, body: this.list(bot.id, guildId) };
    if (method !== 'PUT') throw methodNotAllowed();
    if (!Array.isArray(body)) throw invalidForm('_errors', 'LIST_TYPE_CONVERT', 'Must be an array.');
    const previous = this.byScope.get(key) ?? [];
    const names = new Set<string>();
    const commands = body.map((raw: unknown, index): APIApplicationCommand => {
      const command = isRecord(raw) ? raw : {};
      const type = (command.type as ApplicationCommandType | undefined) ?? ApplicationCommandType.ChatInput;
      const problem = commandProblem(command, type);
      if (problem) throw invalidFormAt([String(index), ...problem.path], problem.code, problem.message);
      const name = command.name as string;
      if (names.has(name)) {
        throw invalidFormAt([String(index), 'name'], 'APPLICATION_COMMANDS_DUPLICATE_NAME', 'Duplicate name');
      }
      names.add(name);
      // An overwritten command keeps its id.
      const id = previous.find((c) => c.name === name && c.type === type)?.id ?? nextSnowflake();
      return registered(command, id, type, bot.id, guildId);
    });
    this.byScope.set(key, commands);
    return { status: 200, body: this.list(bot.id, guildId) };
  }
}

function scope(applicationId: string, guildId: string | null): string {
  return guildId === null ? applicationId : `${applicationId}:${guildId}`;
}

/** A command as Discord stores it: what the bot sent, with Discord's defaults for what it left out. */
function registered(
  command: Record<string, unknown>,
  id: string,
  type: ApplicationCommandType,
  applicationId: string,
  guildId: string | null,
): APIApplicationCommand {
  return {
    id,
    type,
    application_id: applicationId,
    ...(guildId !== null && { guild_id: guildId }),
    name: command.name as string,
    description: typeof command.description === 'string' ? command.description : '',
    ...(Array.isArray(command.options) && { options: command.options as APIApplicationCommandOption[] }),
    default_member_permissions: (command.default_member_permissions as string | null | undefined) ?? null,
    nsfw: command.nsfw === true,
    contexts: (command.contexts as InteractionContextType[] | undefined) ?? null,
    integration_types: (command.integration_types as ApplicationIntegrationType[] | undefined) ?? [
      ApplicationIntegrationType.GuildInstall,
    ],
    version: nextSnowflake(),
  };
}

/** Discord's rule for command and option names (chat-input ones are lower case). */
const COMMAND_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

/** What Discord would refuse in a registered command (a subset of its checks), or null. */
function commandProblem(
  command: Record<string, unknown>,
  type: ApplicationCommandType,
): { path: string[]; code: string; message: string } | null {
  const chatInput = type === ApplicationCommandType.ChatInput;
  const badName = (name: unknown): boolean =>
    typeof name !== 'string' || !COMMAND_NAME.test(name) || (chatInput && name !== name.toLowerCase());
  const badDescription = (text: unknown): boolean =>
    typeof text !== 'string' || text.length < 1 || text.length > 100;
  const regex = { code: 'STRING_TYPE_REGEX', message: 'String value did not match validation regex.' };
  const length = { code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 100 in length.' };
  if (badName(command.name)) return { path: ['name'], ...regex };
  if (!chatInput) return null;
  if (badDescription(command.description)) return { path: ['description'], ...length };
  const options: unknown[] = Array.isArray(command.options) ? command.options : [];
  if (options.length > 25) {
    return { path: ['options'], code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 25 or fewer in length.' };
  }
  let optionalSeen = false;
  for (const [index, raw] of options.entries()) {
    const option = isRecord(raw) ? raw : {};
    if (badName(option.name)) return { path: ['options', String(index), 'name'], ...regex };
    if (badDescription(option.description))
      return { path: ['options', String(index), 'description'], ...length };
    if (option.required === true && optionalSeen) {
      return {
        path: ['options'],
        code: 'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID',
        message: 'Required options must be placed before non-required options',
      };
    }
    optionalSeen ||= option.required !== true;
  }
  return null;
}

/** The JSON type of each option type this fake supports. */
const OPTION_VALUE_TYPE: Partial<Record<ApplicationCommandOptionType, string>> = {
  [ApplicationCommandOptionType.String]: 'string',
  [ApplicationCommandOptionType.Integer]: 'number',
  [ApplicationCommandOptionType.Number]: 'number',
  [ApplicationCommandOptionType.Boolean]: 'boolean',
};

/**
 * The `options` of a use of `command`, checked as a Discord client checks them before sending (required
 * options present, types, min/max values and lengths, choices). Throws for what a client would not send.
 */
export function commandOptions(
  command: APIApplicationCommand,
  given: Record<string, string | number | boolean>,
): APIApplicationCommandInteractionDataBasicOption[] {
  const defined = command.options ?? [];
  const refuse = (why: string): never => {
    throw new Error(`/${command.name}: ${why} (a Discord client would not send it)`);
  };
  for (const option of defined) {
    if ('required' in option && option.required && !(option.name in given)) {
      refuse(`option ${option.name} is required`);
    }
  }
  return Object.entries(given).map(([name, value]) => {
    const option = defined.find((candidate) => candidate.name === name);
    if (!option) return refuse(`there is no option ${name}`);
    const why = optionValueProblem(option, value);
    if (why) refuse(why);
    return { name, type: option.type, value } as APIApplicationCommandInteractionDataBasicOption;
  });
}

/** Why a client would not send `value` for `option`, or undefined. */
function optionValueProblem(
  option: APIApplicationCommandOption,
  value: string | number | boolean,
): string | undefined {
  const { name, type } = option;
  const spec = option as {
    min_value?: number;
    max_value?: number;
    min_length?: number;
    max_length?: number;
    choices?: Array<{ value: unknown }>;
  };
  const expected = OPTION_VALUE_TYPE[type];
  if (!expected) return `option type ${type} is not supported by this fake`;
  if (
    typeof value !== expected ||
    (type === ApplicationCommandOptionType.Integer && !Number.isInteger(value))
  ) {
    return `${name} must be of option type ${type}`;
  }
  if (typeof value === 'number') {
    if (value < (spec.min_value ?? -Infinity) || value > (spec.max_value ?? Infinity)) {
      return `${name} must be between ${spec.min_value} and ${spec.max_value}`;
    }
  }
  if (typeof value === 'string') {
    const chars = [...value].length;
    if (chars < (spec.min_length ?? 0) || chars > (spec.max_length ?? 6000)) {
      return `${name} has ${chars} characters`;
    }
  }
  if (spec.choices?.length && !spec.choices.some((choice) => choice.value === value)) {
    return `${name} must be one of its choices`;
  }
  return undefined;
}
