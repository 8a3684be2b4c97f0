import { MAX_MACRO_GROWTH_CHARS, MAX_MACRO_VALUE_CHARS, resolveMacros } from '../../src/llm/macros';

const values = { char: 'Peter', user: 'Lois' };

describe('resolveMacros', () => {
  it('puts in the character and the user, any case, both spellings', () => {
    expect(
      resolveMacros('{{char}} loves {{user}}. <BOT> and <user>; {{CHAR}}, {{User}}, <Bot>.', values),
    ).toBe('Peter loves Lois. Peter and Lois; Peter, Lois, Peter.');
  });

  it('leaves every other macro and near miss as written', () => {
    const text = '{{random:a,b}} {{ char }} {char} {{char} <BOT > {{original}} {{persona}}';
    expect(resolveMacros(text, values)).toBe(text);
  });

  it('does not resolve what a name puts in again', () => {
    expect(resolveMacros('{{user}} says {{char}}', { char: 'X', user: '{{char}}' })).toBe('{{char}} says X');
  });

  it('bounds what macro abuse can add, keeping the end of the text', () => {
    const abuse = `${'{{char}}'.repeat(10_000)}\nHARD RULES: stay in character.`;
    const resolved = resolveMacros(abuse, { char: 'Glenn_Quagmire', user: 'User' });
    expect(resolved.length).toBeLessThanOrEqual(abuse.length + MAX_MACRO_GROWTH_CHARS);
    expect(resolved.startsWith('Glenn_QuagmireGlenn_Quagmire')).toBe(true);
    expect(resolved.endsWith('{{char}}\nHARD RULES: stay in character.')).toBe(true);
  });

  it('cuts a name longer than MAX_MACRO_VALUE_CHARS', () => {
    expect(resolveMacros('<USER>', { char: 'P', user: 'u'.repeat(500) })).toBe(
      'u'.repeat(MAX_MACRO_VALUE_CHARS),
    );
  });
});
