import { chooseNextSpeaker, weightedPick } from '../../src/workflows/nextSpeaker';

const cast = [
  { name: 'Peter', aliases: ['peter'], talkativeness: 0.3 },
  { name: 'Brian', aliases: ['brian'], talkativeness: 0.3 },
  { name: 'Stewie', aliases: ['stewie'], talkativeness: 0.3 },
];
const always = (value: number) => () => value;

describe('chooseNextSpeaker', () => {
  it('prefers a character named in the line', () => {
    expect(chooseNextSpeaker('Brian, pour me a drink', 'Peter', cast, always(0.99))).toBe('Brian');
  });

  it('never picks the speaker, even when the speaker is named', () => {
    expect(chooseNextSpeaker('Peter Peter Peter', 'Peter', cast, always(0.99))).toBeNull();
    expect(chooseNextSpeaker('I, Stewie, shall prevail', 'Stewie', cast, always(0))).not.toBe('Stewie');
  });

  it('lets nobody chime in when every talkativeness roll fails', () => {
    expect(chooseNextSpeaker('nice weather', 'Peter', cast, always(0.5))).toBeNull();
  });

  it('lets someone else chime in when a roll succeeds', () => {
    const pick = chooseNextSpeaker('nice weather', 'Peter', cast, always(0.1));
    expect(['Brian', 'Stewie']).toContain(pick);
  });
});

describe('weightedPick (the organic fallback initiator)', () => {
  const names = ['Peter', 'Brian', 'Stewie'];
  it('picks as often as each weight says: a talkative character starts more', () => {
    const picks = Array.from({ length: 100 }, (_, i) => weightedPick(names, [0.1, 0.1, 0.8], i / 100));
    expect(picks.filter((name) => name === 'Stewie')).toHaveLength(80);
    expect(picks.filter((name) => name === 'Peter')).toHaveLength(10);
  });
  it('never picks a character whose weight is 0', () => {
    for (let i = 0; i < 100; i++) expect(weightedPick(names, [0, 1, 1], i / 100)).not.toBe('Peter');
  });
  it('picks uniformly without weights or when all are 0 (runs from before talkativeness weighed in)', () => {
    expect(names.map((_, i) => weightedPick(names, undefined, i / 3 + 0.01))).toEqual(names);
    expect(names.map((_, i) => weightedPick(names, [0, 0, 0], i / 3 + 0.01))).toEqual(names);
  });
});
