import examples from '../fixtures/qc/replies.json';
import { cleanReply } from '../../src/llm/clean';
import { checkReply, trimToLength, unfixedViolations } from '../../src/llm/qcRules';

const ROSTER = ['Peter', 'Brian', 'Stewie'];

function check(character: string, raw: string, maxChars = 800) {
  const others = ROSTER.filter((name) => name !== character);
  return checkReply({
    raw,
    final: cleanReply(raw, character, others),
    character,
    otherCharacters: others,
    maxChars,
  });
}

describe('rule-based QC checks on labelled example replies', () => {
  const failing = examples.examples.filter((e) => e.modes.length > 0);
  const clean = examples.examples.filter((e) => e.modes.length === 0);

  it('has at least 30 examples covering every failure mode of the original system', () => {
    expect(examples.examples.length).toBeGreaterThanOrEqual(30);
    const modes = new Set(failing.flatMap((e) => e.modes));
    for (const mode of [
      'third_person',
      'leaked_prefix',
      'stage_direction',
      'speaks_as_other',
      'too_long',
      'repetition',
    ])
      expect(modes).toContain(mode);
  });

  it('flags nothing in in-character replies (emphasis, asides and other characters named are fine)', () => {
    const flagged = clean
      .map((e) => ({ raw: e.raw, rules: check(e.character, e.raw).map((v) => v.rule) }))
      .filter((e) => e.rules.length > 0);
    expect(flagged).toEqual([]);
  });

  it('catches at least 90% of the labelled failures, each under its own rule', () => {
    const caught = failing.filter((e) => {
      const rules = check(e.character, e.raw).map((v) => v.rule);
      return e.modes.every((mode) => rules.includes(mode as (typeof rules)[number]));
    });
    expect(caught.length / failing.length).toBeGreaterThanOrEqual(0.9);
  });

  it('notes a label that cleaning removed without penalising the cleaned text', () => {
    const violations = check('Peter', 'Peter: Holy crap, Lois!');
    expect(violations).toEqual([{ rule: 'leaked_prefix', evidence: 'Peter:', fixedByCleaning: true }]);
    expect(unfixedViolations(violations)).toEqual([]);
  });

  it('uses the configured length limit', () => {
    expect(check('Brian', 'Well, actually. '.repeat(5), 50).map((v) => v.rule)).toContain('too_long');
    expect(check('Brian', 'Well, actually, no.', 50)).toEqual([]);
  });
});

describe('trimming a reply to the length limit', () => {
  const text = 'Holy crap, Lois! The Clam is closed. I am going home. Then I will eat the whole fridge.';

  it('leaves a reply within the limit alone', () => {
    expect(trimToLength(text, { maxChars: 200, force: false })).toBe(text);
  });

  it('cuts at the last sentence end that fits when that keeps most of it', () => {
    expect(trimToLength(text, { maxChars: 60, force: false })).toBe(
      'Holy crap, Lois! The Clam is closed. I am going home.',
    );
    expect(
      trimToLength('“Roads?” he said. Where we are going we need none at all.', {
        maxChars: 30,
        force: true,
      }),
    ).toBe('“Roads?” he said.');
  });

  it('gives up when the cut would lose most of it, unless forced', () => {
    expect(trimToLength(text, { maxChars: 30, force: false })).toBeUndefined(); // "Holy crap, Lois!" is 16 of 86
    expect(trimToLength(text, { maxChars: 30, force: true })).toBe('Holy crap, Lois!');
  });

  it('cuts at a word boundary, marked with an ellipsis, when no sentence ends in time and it must', () => {
    const runOn = 'and then the chicken and I fought through the hospital and the boat';
    expect(trimToLength(runOn, { maxChars: 30, force: false })).toBeUndefined();
    const cut = trimToLength(runOn, { maxChars: 30, force: true }) as string;
    expect(cut).toBe('and then the chicken and I…');
    expect(cut.length).toBeLessThanOrEqual(30);
  });

  it('counts a line break as a boundary', () => {
    expect(
      trimToLength('First line without a stop\nsecond line that goes on and on', {
        maxChars: 40,
        force: true,
      }),
    ).toBe('First line without a stop');
  });
});
