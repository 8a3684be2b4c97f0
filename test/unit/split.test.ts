import { DISCORD_MESSAGE_LIMIT, splitMessage } from '../../src/discord/split';

const words = (text: string) => text.split(/\s+/).filter(Boolean);

describe('splitMessage', () => {
  it('keeps a short reply as one message', () => {
    expect(splitMessage('Hehehehe. Roadhouse!')).toEqual(['Hehehehe. Roadhouse!']);
  });

  it('splits a 4,500-character reply into three messages on sentence boundaries, losing nothing', () => {
    const sentence = 'Lois, I have decided to become a professional chicken fighter again. ';
    const text =
      sentence
        .repeat(Math.ceil(4500 / sentence.length))
        .slice(0, 4500)
        .trim() + '.';
    const parts = splitMessage(text);
    expect(parts).toHaveLength(3);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(DISCORD_MESSAGE_LIMIT);
      expect(part.length).toBeGreaterThan(0);
    }
    for (const part of parts.slice(0, -1)) expect(part.endsWith('again.')).toBe(true);
    expect(words(parts.join(' '))).toEqual(words(text));
  });

  it('prefers line breaks over sentence ends', () => {
    const block = `${'a'.repeat(1200)}\n${'b. '.repeat(400)}`;
    const parts = splitMessage(block);
    expect(parts[0]).toBe('a'.repeat(1200));
  });

  it('hard-cuts a single unbroken run longer than the limit, never truncating', () => {
    const text = 'x'.repeat(4100);
    const parts = splitMessage(text);
    expect(parts.map((p) => p.length)).toEqual([2000, 2000, 100]);
    expect(parts.join('')).toBe(text);
  });

  it('returns nothing for whitespace only', () => {
    expect(splitMessage('  \n ')).toEqual([]);
  });
});
