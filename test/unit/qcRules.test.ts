import examples from '../fixtures/qc/replies.json';
import { cleanReply } from '../../src/llm/clean';
import { checkReply, unfixedViolations } from '../../src/llm/qcRules';

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
