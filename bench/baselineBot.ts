/**
 * The baseline the reply overhead is measured against: a plain, non-durable bot with the same
 * real clients (discord.js on the fake Discord, the ollama client on the scripted Ollama) that
 * answers a message naming it with one chat call and posts the answer. No memory, no retrieval,
 * no Temporal, no retries: what a minimal llmcord-style bot does.
 */
import { Client, Events, GatewayIntentBits } from 'discord.js';
import { Ollama } from 'ollama';

export interface BaselineBot {
  stop(): Promise<void>;
}

export async function startBaselineBot(options: {
  name: string;
  token: string;
  discordApiUrl: string;
  ollamaHost: string;
  model: string;
}): Promise<BaselineBot> {
  const ollama = new Ollama({ host: options.ollamaHost });
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
    rest: { api: options.discordApiUrl },
  });
  const named = new RegExp(`\\b${options.name}\\b`, 'i');
  client.on(Events.MessageCreate, (message) => {
    if (message.author.bot || !named.test(message.content)) return;
    void (async () => {
      const answer = await ollama.chat({
        model: options.model,
        messages: [
          { role: 'system', content: `You are ${options.name}.` },
          { role: 'user', content: message.content },
        ],
      });
      await message.reply(answer.message.content);
    })().catch((err: unknown) => console.error('baseline bot failed to answer', err));
  });
  await client.login(options.token);
  return {
    async stop() {
      await client.destroy();
    },
  };
}
