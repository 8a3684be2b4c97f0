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

  it("shows a card's greetings as examples of the character's openers: three at most, each a line long", () => {
    const greeting = `*{{char}} waves at {{user}}* ${'and rambles on '.repeat(50)}`;
    const system = buildStarterMessages({
      character: 'Glenn_Quagmire',
      systemPrompt: 'You are {{char}}.',
      history: [],
      snippet: null,
      openers: ['Giggity!', greeting, 'Hey there.', 'A fourth one.'],
    })[0]?.content;
    expect(system).toContain('You are Glenn Quagmire.');
    expect(system).toContain('WAYS YOU HAVE OPENED A CONVERSATION BEFORE');
    expect(system).toContain('- Giggity!');
    expect(system).toContain('- *Glenn Quagmire waves at everyone* and rambles on');
    expect(system).toContain('[cut:');
    expect(system).toContain('- Hey there.');
    expect(system).not.toContain('A fourth one.');
  });

  it('adds no openers section for a character without starters', () => {
    const prompt = { character: 'Peter', systemPrompt: 'You are Peter.', history: [], snippet: null };
    expect(buildStarterMessages(prompt)[0]?.content).toBe('You are Peter.');
  });
});
