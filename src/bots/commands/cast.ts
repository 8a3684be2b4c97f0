/** `/cast`: who is present in this channel (its cast, or every active character) and how to address each. */
import { ApplicationIntegrationType, InteractionContextType, SlashCommandBuilder } from 'discord.js';
import type { RosterEntry } from '../../characters/profile';
import { displayName } from '../../characters/names';
import { answerEphemerally } from './answer';
import type { CommandContext, SlashCommand } from '.';

/** Every bot offers it, the cast bot too: the answer is the same whichever is asked. */
export const castCommand: SlashCommand = {
  name: 'cast',
  data: () =>
    new SlashCommandBuilder()
      .setName('cast')
      .setDescription('Who is here in this channel, and how to talk to each of them')
      .setContexts(InteractionContextType.Guild)
      .setIntegrationTypes(ApplicationIntegrationType.GuildInstall)
      .toJSON(),
  async handle(interaction, context) {
    await answerEphemerally(
      interaction,
      async () => describeCast(await context.roster.presentIn(interaction.channelId), context),
      'Sorry, the cast could not be read right now. Please try again in a minute.',
      context.log,
    );
  },
};

/** One line per character present: their name and aliases, then how a message reaches them. */
export function describeCast(
  present: Array<Pick<RosterEntry, 'name' | 'aliases'>>,
  context: Pick<CommandContext, 'botUserOf' | 'castCharacters'>,
): string {
  if (present.length === 0) return 'Nobody is here: no character is part of this channel.';
  const cast = context.castCharacters();
  const lines = present.map((character) => {
    const name = displayName(character.name);
    const own = [name.toLowerCase(), character.name.toLowerCase()];
    const others = character.aliases.filter((alias) => !own.includes(alias));
    const known = others.length > 0 ? ` (also: ${others.join(', ')})` : '';
    const botUser = context.botUserOf(character.name);
    const how = botUser
      ? `mention <@${botUser}>, reply to one of their messages, or say "${name}"`
      : cast.includes(character.name)
        ? `say "${name}" in your message or reply to one of their messages (they speak through webhooks)`
        : 'offline: no bot speaks for them at the moment';
    return `- **${name}**${known}: ${how}`;
  });
  return [`Here (${present.length}):`, ...lines].join('\n');
}
