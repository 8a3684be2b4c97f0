/**
 * The slash commands every bot offers, one module each, and their wiring into a gateway client:
 * registration at ready (in DISCORD_COMMANDS_GUILD_ID when set, else globally) and dispatch of their
 * interactions. A character's own bot offers each command for its character; the cast bot of webhook
 * mode (no character of its own) offers those that make sense without one.
 */
import type { Client as TemporalClient } from '@temporalio/client';
import {
  Events,
  type ChatInputCommandInteraction,
  type Client,
  type ClientApplication,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { RosterView } from '../../characters/liveRoster';
import type { Logger } from '../../logger';
import { castCommand } from './cast';
import { forgetCommand } from './forget';
import { forgetMeCommand } from './forgetMe';
import { rateCommand } from './rate';
import { regenerateCommand } from './regenerate';

/** What a command's handler may use besides its interaction. */
export interface CommandContext {
  /** The character of the bot it was used with, as the roster spells it now; null: the cast bot. */
  character: string | null;
  temporal: TemporalClient;
  taskQueue: string;
  roster: RosterView;
  /** The characters the cast bot speaks for right now (those without a token of their own). */
  castCharacters(): string[];
  /** The Discord user id of a character's own bot once it is logged in; null: it has none (webhook mode). */
  botUserOf(character: string): string | null;
  log: Logger;
}

export interface SlashCommand {
  name: string;
  /** How the command is registered for `character`'s bot (null: the cast bot); null: that bot does not offer it. */
  data(character: string | null): RESTPostAPIChatInputApplicationCommandsJSONBody | null;
  handle(interaction: ChatInputCommandInteraction, context: CommandContext): Promise<void>;
}

/** Every command, in the order Discord lists them. */
export const SLASH_COMMANDS: SlashCommand[] = [
  rateCommand,
  regenerateCommand,
  castCommand,
  forgetCommand,
  forgetMeCommand,
];

export interface CommandWiring {
  client: Client;
  /** The bot's character as the roster spells it now (or as its token names it, before it is imported); null: the cast bot. */
  characterOf(): string | null;
  /** DISCORD_COMMANDS_GUILD_ID: register in this server only; undefined: globally. */
  guildId: string | undefined;
  context: Omit<CommandContext, 'character'>;
}

/** Registers the bot's commands once it is ready and hands their interactions to their handlers (call before login). */
export function attachCommands(wiring: CommandWiring): void {
  const { client, context } = wiring;
  const { log } = context;
  client.once(Events.ClientReady, (ready) => {
    registerCommands(ready.application, commandBodies(wiring.characterOf()), wiring.guildId)
      .then((names) =>
        log.info({ commands: names, guildId: wiring.guildId ?? null }, 'slash commands registered'),
      )
      .catch((err: unknown) => log.warn({ err }, 'could not register the slash commands'));
  });
  client.on(Events.InteractionCreate, (interaction) => {
    if (!interaction.isChatInputCommand()) return;
    const command = SLASH_COMMANDS.find((candidate) => candidate.name === interaction.commandName);
    if (!command) return;
    void command.handle(interaction, { ...context, character: wiring.characterOf() }).catch((err: unknown) =>
      // Only the message: a Discord error's URL would carry the interaction's token.
      log.error({ error: String(err), interactionId: interaction.id }, `could not answer /${command.name}`),
    );
  });
}

/** The commands a bot registers: each command's definition for its character (null: the cast bot). */
export function commandBodies(character: string | null): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return SLASH_COMMANDS.flatMap((command) => command.data(character) ?? []);
}

/**
 * Overwrites the application's commands: in one server (they show at once there), emptying the global list
 * so the commands are not listed twice; or globally (Discord may take up to an hour to show a change).
 */
async function registerCommands(
  application: ClientApplication,
  bodies: RESTPostAPIChatInputApplicationCommandsJSONBody[],
  guildId: string | undefined,
): Promise<string[]> {
  if (guildId) {
    await application.commands.set(bodies, guildId);
    await application.commands.set([]);
  } else {
    await application.commands.set(bodies);
  }
  return bodies.map((body) => body.name);
}
