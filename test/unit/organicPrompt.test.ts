import {
  buildStarterMessages,
  MAX_STARTER_CHARS,
  parseCharacterChoice,
  tidyStarter,
} from '../../src/llm/organicPrompt';

const ROSTER = ['Peter', 'Brian', 'Stewie'];

describe('parseCharacterChoice', () => {
  it.each([
    ['{"character": "Brian"}', 'Brian'],
    ['{\n  "character" : " stewie" }\n\n  ', 'Stewie'],
    ['```json\n{"character": "Peter"}\n```', 'Peter'],
  ])('accepts %j as %s', (answer, name) => {
    expect(parseCharacterChoice(answer, ROSTER)).toBe(name);
  });

  it.each([
    'Brian',
    '{"character": "I think Brian"}',
    '{"character": "Quagmire"}',
    '{"name": "Brian"}',
    '{"character": ["Brian"]}',
    'Sure! {"character": "Brian"}',
    '',
  ])('refuses %j', (answer) => {
    expect(parseCharacterChoice(answer, ROSTER)).toBeNull();
  });
});

describe('tidyStarter', () => {
  it('removes @everyone, @here and every kind of mention', () => {
    expect(
      tidyStarter(
        '@everyone hey <@123456789012345678> and <@!12345678901234567> <@&1234567890123456> @here <#1234567890123456>!',
      ),
    ).toBe('hey and !');
  });

  it('keeps a starter under the limit, cut at a word', () => {
    const long = 'giggity '.repeat(60);
    const tidy = tidyStarter(long);
    expect(tidy.length).toBeLessThan(MAX_STARTER_CHARS);
    expect(tidy).toMatch(/giggity…$/);
    expect(tidyStarter('Short and sweet.')).toBe('Short and sweet.');
  });
});

describe('buildStarterMessages', () => {
  it('resolves macros in the system prompt, {{user}} being everyone in the channel', () => {
    const prompt = {
      character: 'Quagmire',
      systemPrompt: '<BOT> greets {{user}}.',
      history: [],
      snippet: null,
    };
    expect(buildStarterMessages(prompt)[0]).toEqual({ role: 'system', content: 'Quagmire greets everyone.' });
  });
});
