import {
  boundedHistory,
  boundedText,
  buildReplyMessages,
  MAX_PROMPT_HISTORY_CHARS,
  MAX_PROMPT_MESSAGE_CHARS,
  MAX_PROMPT_TURN_CHARS,
  type HistoryLine,
} from '../../src/llm/prompt';

const user = (message_content: string): HistoryLine => ({
  speaker_type: 'USER',
  bot_name: null,
  message_content,
});

describe('prompt bounds', () => {
  it('cuts a long text with a note and leaves a short one alone', () => {
    expect(boundedText('short', 10)).toBe('short');
    expect(boundedText('x'.repeat(25), 10)).toBe(`${'x'.repeat(10)}… [cut: 25 characters in all]`);
    // A surrogate pair is never split.
    expect(boundedText(`${'a'.repeat(9)}😀b`, 10)).toBe(`${'a'.repeat(9)}… [cut: 12 characters in all]`);
  });

  it('keeps the newest earlier turns that fit, each cut to MAX_PROMPT_TURN_CHARS', () => {
    const history = Array.from({ length: 20 }, (_, i) => user(`${i}:${'y'.repeat(20_000)}`));
    const kept = boundedHistory(history);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.at(-1)?.message_content.startsWith('19:')).toBe(true);
    expect(kept.map((t) => t.message_content.length).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(
      MAX_PROMPT_HISTORY_CHARS,
    );
    for (const turn of kept) expect(turn.message_content.length).toBeLessThan(MAX_PROMPT_TURN_CHARS + 50);
  });

  it('bounds the whole reply prompt however long the message and the history are', () => {
    const messages = buildReplyMessages({
      character: 'Peter',
      systemPrompt: 'You are Peter.',
      history: Array.from({ length: 10 }, () => user('z'.repeat(20_000))),
      context: [],
      userMessage: 'w'.repeat(20_000),
    });
    const total = messages.reduce((sum, m) => sum + m.content.length, 0);
    expect(total).toBeLessThan(MAX_PROMPT_HISTORY_CHARS + MAX_PROMPT_MESSAGE_CHARS + 1000);
    expect(messages.at(-1)?.content).toMatch(/^w{4000}… \[cut: 20000 characters in all\]$/);
  });
});

describe('asking for a short reply', () => {
  const prompt = {
    character: 'Peter',
    systemPrompt: 'You are Peter.',
    history: [],
    context: [],
    userMessage: 'hi',
  };

  it('adds the limit to the system prompt only when a candidate ran over it', () => {
    expect(buildReplyMessages(prompt)[0]?.content).toBe('You are Peter.');
    expect(buildReplyMessages({ ...prompt, keepUnderChars: 800 })[0]?.content).toBe(
      'You are Peter.\n\nKEEP IT SHORT: answer in two or three sentences, under 800 characters in all.',
    );
  });
});
