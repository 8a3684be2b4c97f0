import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRoster } from '../../src/characters/roster';

describe('loadRoster', () => {
  it('has Peter, Brian and Stewie built in, each with a fallback line and the prompt sections', () => {
    const roster = loadRoster(['Peter', 'brian', 'STEWIE']);
    expect(roster.map((c) => c.name)).toEqual(['Peter', 'Brian', 'Stewie']);
    for (const character of roster) {
      expect(character.fallbackLine.length).toBeGreaterThan(10);
      for (const section of [
        'RELATIONSHIPS',
        'PERSONALITY',
        'SPEECH STYLE',
        'INTERACTION RULES',
        'HARD RULES',
      ]) {
        expect(character.promptText).toContain(section);
      }
    }
  });

  it('adds a character from CHARACTERS_FILE', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'roster-')), 'characters.json');
    writeFileSync(
      file,
      JSON.stringify([
        { name: 'Quagmire', aliases: ['glenn'], promptText: 'You are Quagmire.', fallbackLine: 'Giggity?' },
      ]),
    );
    const [quagmire] = loadRoster(['Quagmire'], file);
    expect(quagmire).toMatchObject({
      name: 'Quagmire',
      aliases: ['quagmire', 'glenn'],
      fallbackLine: 'Giggity?',
    });
  });

  it('explains an unknown name or a bad file', () => {
    expect(() => loadRoster(['Cleveland'])).toThrow(/Cleveland.*neither built in/);
    const file = join(mkdtempSync(join(tmpdir(), 'roster-')), 'bad.json');
    writeFileSync(file, JSON.stringify([{ name: 'Joe' }]));
    expect(() => loadRoster(['Joe'], file)).toThrow(/"promptText" must be a non-empty string/);
  });
});
