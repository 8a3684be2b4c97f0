import { displayName } from '../characters/names';
import type { RagSnippet } from '../store/conversationHistory';
import { parseJsonObject } from './json';
import { resolveMacros } from './macros';
import type { ChatMessage, JsonSchema } from './ollamaChat';
import { boundedHistory, boundedText, type HistoryLine } from './prompt';

/** Discord's own limit is 2000; an opener that starts a chat is a line, not a speech. */
export const MAX_STARTER_CHARS = 200;

export interface InitiatorChoicePrompt {
  characters: string[];
  history: HistoryLine[];
  lastInitiator: string | null;
}

export interface StarterPrompt {
  character: string;
  systemPrompt: string;
  history: HistoryLine[];
  /** At most one wiki snippet: a starter needs a topic, not a briefing. */
  snippet: RagSnippet | null;
  /** The character's organic starters (a card's first_mes and group greetings): examples of its openers. */
  openers?: string[];
}

/** Openers shown to the model as examples, each cut to a line's length (card greetings can be pages). */
const MAX_OPENER_EXAMPLES = 3;
const MAX_OPENER_EXAMPLE_CHARS = 300;

/** Who answers a message that names no character (the coordinator): one of `characters`. */
export interface AnswererChoicePrompt {
  characters: string[];
  history: HistoryLine[];
  message: { authorName: string; content: string };
  /** The character who spoke last; `characters` leaves them out when anyone else may answer. */
  lastSpeaker: string | null;
}

/** The channel's last turns as lines `Speaker: text`, for a choice of character. */
function transcript(history: HistoryLine[]): string {
  return boundedHistory(history)
    .map(
      (turn) =>
        `${turn.speaker_type === 'BOT' ? (turn.bot_name ?? 'Someone') : 'User'}: ${turn.message_content}`,
    )
    .join('\n');
}

export function buildInitiatorChoiceMessages(prompt: InitiatorChoicePrompt): ChatMessage[] {
  const recent = transcript(prompt.history);
  const avoid = prompt.lastInitiator
    ? ` ${prompt.lastInitiator} started the last one, so prefer someone else.`
    : '';
  return [
    {
      role: 'system',
      content:
        `You pick which Family Guy character starts a new conversation in a quiet Discord channel.` +
        ` Answer with JSON only: {"character": "<one name from this list>"}: ${prompt.characters.join(', ')}.${avoid}`,
    },
    {
      role: 'user',
      content: recent ? `The channel's last messages:\n${recent}\n\nWho speaks first?` : 'Who speaks first?',
    },
  ];
}

export function buildAnswererChoiceMessages(prompt: AnswererChoicePrompt): ChatMessage[] {
  const recent = transcript(prompt.history);
  const last =
    prompt.lastSpeaker && !prompt.characters.includes(prompt.lastSpeaker)
      ? ` ${prompt.lastSpeaker} spoke last, so someone else answers.`
      : '';
  const message = `${prompt.message.authorName}: ${boundedText(prompt.message.content, MAX_ANSWERED_CHARS)}`;
  return [
    {
      role: 'system',
      content:
        `You pick which Family Guy character answers a message in a Discord channel where they are chatting` +
        ` with people; the message names nobody. Pick whoever it suits best.${last}` +
        ` Answer with JSON only: {"character": "<one name from this list>"}: ${prompt.characters.join(', ')}.`,
    },
    {
      role: 'user',
      content: `${recent ? `The channel's last messages:\n${recent}\n\n` : ''}The new message:\n${message}\n\nWho answers it?`,
    },
  ];
}

/** A message to answer is shown whole up to this length (a choice needs its gist, not pages). */
const MAX_ANSWERED_CHARS = 1000;

/** The answer's shape, given to Ollama as its structured-output format: one name of the roster. */
export function characterChoiceSchema(characters: string[]): JsonSchema {
  return {
    type: 'object',
    properties: { character: { type: 'string', enum: characters } },
    required: ['character'],
  };
}

/**
 * Strict: the answer must be the JSON object asked for, naming one roster character (case and
 * surrounding spaces forgiven). Anything else is not trusted as a choice.
 */
export function parseCharacterChoice(answer: string, characters: string[]): string | null {
  const choice = parseJsonObject(answer)?.character;
  if (typeof choice !== 'string') return null;
  const name = choice.trim().toLowerCase();
  return characters.find((character) => character.toLowerCase() === name) ?? null;
}

/** A starter speaks to the whole channel, so a card's `{{user}}` is "everyone". */
export function buildStarterMessages(prompt: StarterPrompt): ChatMessage[] {
  const macros = { char: displayName(prompt.character), user: 'everyone' };
  let system = resolveMacros(prompt.systemPrompt, macros);
  if (prompt.snippet) {
    system += `\n\nA FACT FROM THE FAMILY GUY WIKI you may bring up, in your own voice: ${prompt.snippet.text.trim()}`;
  }
  const openers = (prompt.openers ?? [])
    .slice(0, MAX_OPENER_EXAMPLES)
    .map((opener) => boundedText(resolveMacros(opener.trim(), macros), MAX_OPENER_EXAMPLE_CHARS));
  if (openers.length > 0) {
    system += `\n\nWAYS YOU HAVE OPENED A CONVERSATION BEFORE (say something new in that spirit):\n${openers.map((opener) => `- ${opener}`).join('\n')}`;
  }
  const messages: ChatMessage[] = [{ role: 'system', content: system }];
  for (const turn of boundedHistory(prompt.history)) {
    const speaker = turn.speaker_type === 'BOT' ? (turn.bot_name ?? 'Someone') : 'User';
    messages.push({ role: 'user', content: `[${speaker}] ${turn.message_content}` });
  }
  messages.push({
    role: 'user',
    content:
      `The channel has been quiet for a while. As ${prompt.character}, say one short line (under ` +
      `${MAX_STARTER_CHARS} characters) that starts a new conversation. No greeting to a specific person, no mentions.`,
  });
  return messages;
}

/**
 * A starter never pings anyone (@everyone, @here, user/role/channel mentions are
 * removed, not just muted) and stays under MAX_STARTER_CHARS, cut at a word boundary.
 */
export function tidyStarter(text: string): string {
  let tidy = text
    .replace(/@(everyone|here)\b/gi, '')
    .replace(/<(@[!&]?|#)\d+>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (tidy.length >= MAX_STARTER_CHARS) {
    const cut = tidy.slice(0, MAX_STARTER_CHARS - 1);
    const lastSpace = cut.lastIndexOf(' ');
    tidy = `${(lastSpace > MAX_STARTER_CHARS / 2 ? cut.slice(0, lastSpace) : cut.slice(0, -1)).trimEnd()}…`;
  }
  return tidy;
}
