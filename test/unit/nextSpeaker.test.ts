import { chooseNextSpeaker } from '../../src/workflows/nextSpeaker';

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
