import { cleanReply } from '../../src/llm/clean';

const others = ['Brian', 'Stewie'];

describe('cleanReply', () => {
  it.each([
    ['Peter: Hehehe, freakin sweet!', 'Hehehe, freakin sweet!'],
    ['**Peter:** Roadhouse!', 'Roadhouse!'],
    ['Peter Griffin: Holy crap.', 'Holy crap.'],
    ['[Peter] Bird is the word.', 'Bird is the word.'],
    ['"Oh my god, who the hell cares?"', 'Oh my god, who the hell cares?'],
    ['  Peter: Peter: double label  ', 'double label'],
  ])('strips labels and wrapping quotes: %s', (raw, expected) => {
    expect(cleanReply(raw, 'Peter', others)).toBe(expected);
  });

  it("cuts where the model starts writing another character's line", () => {
    const raw =
      'Peter: I fought the chicken again.\nBrian: Peter, that was a terrible idea.\nStewie: Indeed.';
    expect(cleanReply(raw, 'Peter', others)).toBe('I fought the chicken again.');
  });

  it('keeps names used inside a sentence', () => {
    const raw = 'Brian: is a dog, and Stewie: is a baby. That is my family.';
    expect(cleanReply(raw, 'Peter', others)).toBe(raw);
  });

  it('leaves an already clean reply untouched', () => {
    expect(cleanReply('Blast! Victory shall be mine.', 'Stewie', ['Peter', 'Brian'])).toBe(
      'Blast! Victory shall be mine.',
    );
  });

  it('drops the unfinished last sentence of an answer the token limit cut off, and only then', () => {
    const cut = 'Hehehe, I went to the Clam. Then Quagmire said "giggity!" And then we went to';
    expect(cleanReply(cut, 'Peter', others, true)).toBe(
      'Hehehe, I went to the Clam. Then Quagmire said "giggity!"',
    );
    expect(cleanReply(cut, 'Peter', others, false)).toBe(cut);
    expect(cleanReply('Hehehe, freakin sweet', 'Peter', others, false)).toBe('Hehehe, freakin sweet');
  });

  it('ends a cut-off answer without a sentence end at its last whole word', () => {
    expect(
      cleanReply('Roadhouse! And the other thing about the chicken is that it never', 'Peter', others, true),
    ).toBe('Roadhouse! And the other thing about the chicken is that it…');
  });
});
