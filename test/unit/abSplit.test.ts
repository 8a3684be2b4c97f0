import { randomUUID } from 'node:crypto';
import { pickPromptVersion } from '../../src/prompts/abSplit';

const v1 = { prompt_version: 'v1.0', ab_test_percentage: 0 };
const challenger = { prompt_version: 'v1.1_optimized', ab_test_percentage: 20 };

function share(versions: string[], version: string): number {
  return versions.filter((v) => v === version).length / versions.length;
}

describe('A/B choice of prompt versions per session', () => {
  const sessions = Array.from({ length: 10_000 }, () => `discord:${randomUUID()}`);

  it('gives a 20% challenger 20% ± 2% of 10,000 sessions', () => {
    const chosen = sessions.map((s) => pickPromptVersion(v1, [challenger], 'Peter', s).prompt_version);
    expect(share(chosen, 'v1.1_optimized')).toBeGreaterThanOrEqual(0.18);
    expect(share(chosen, 'v1.1_optimized')).toBeLessThanOrEqual(0.22);
  });

  it('keeps a session on its version for every reply', () => {
    for (const session of sessions.slice(0, 500)) {
      const first = pickPromptVersion(v1, [challenger], 'Peter', session).prompt_version;
      for (let reply = 0; reply < 5; reply++)
        expect(pickPromptVersion(v1, [challenger], 'Peter', session).prompt_version).toBe(first);
    }
  });

  it('splits two challengers by their shares and gives the rest to the default', () => {
    const second = { prompt_version: 'v1.2_optimized', ab_test_percentage: 10 };
    const chosen = sessions.map(
      (s) => pickPromptVersion(v1, [challenger, second], 'Brian', s).prompt_version,
    );
    expect(share(chosen, 'v1.1_optimized')).toBeCloseTo(0.2, 1);
    expect(share(chosen, 'v1.2_optimized')).toBeCloseTo(0.1, 1);
    expect(share(chosen, 'v1.0')).toBeCloseTo(0.7, 1);
  });

  it('serves only the default without challengers, and never more than 100% to challengers', () => {
    expect(new Set(sessions.map((s) => pickPromptVersion(v1, [], 'Stewie', s).prompt_version))).toEqual(
      new Set(['v1.0']),
    );
    const greedy = [
      { prompt_version: 'a', ab_test_percentage: 80 },
      { prompt_version: 'b', ab_test_percentage: 80 },
    ];
    const chosen = sessions.map((s) => pickPromptVersion(v1, greedy, 'Stewie', s).prompt_version);
    expect(share(chosen, 'v1.0')).toBe(0);
    expect(share(chosen, 'b')).toBeCloseTo(0.2, 1);
  });
});
