import examples from '../test/fixtures/qc/replies.json';
import { cleanReply } from '../src/llm/clean';
import { QC_SYSTEM_INTRO } from '../src/llm/qcPrompt';
import { checkReply } from '../src/llm/qcRules';
import { CHARACTERS, startHarness, type Harness } from '../test/e2e/harness';
import { replyOnce } from './replies';
import { report } from './stats';

const QC_REPLIES = Number(process.env.BENCH_QC_REPLIES ?? 100);

/**
 * What QC adds to a reply with an instant scripted LLM (the orchestration cost: the
 * child workflow, the assessment activity, the fine_tuning_data write), each on a fresh
 * stack-side database so history length does not skew the comparison; then how many of
 * the labelled failure examples the rule checks catch.
 */
export async function benchQc(): Promise<void> {
  const verdicts: number[] = [];
  const scripted = (h: Harness) =>
    h.ollama.reply((body) =>
      body.messages?.[0]?.content.startsWith(QC_SYSTEM_INTRO)
        ? JSON.stringify({ score: verdicts.shift() ?? 4, justification: 'in character' })
        : 'Hehehehe. Freakin sweet.',
    );
  const measure = async (label: string, env: NodeJS.ProcessEnv, scoresPerReply: number[] = []) => {
    const h = await startHarness({ llmConcurrency: 8, env });
    try {
      scripted(h);
      await replyOnce(h, h.channelId, 'Peter', true); // warm-up
      const latencies: number[] = [];
      for (let i = 0; i < QC_REPLIES; i++) {
        verdicts.push(...scoresPerReply);
        latencies.push(await replyOnce(h, h.channelId, CHARACTERS[i % CHARACTERS.length] ?? 'Peter', true));
      }
      report(`${label} (n=${QC_REPLIES})`, latencies);
    } finally {
      await h.stop();
    }
  };
  await measure('reply, QC off', { QC_ENABLED: 'false' });
  await measure('reply, QC on, first candidate accepted', { QC_ENABLED: 'true' }, [4]);
  await measure('reply, QC on, one regeneration (scored 2 then 4)', { QC_ENABLED: 'true' }, [2, 4]);

  const roster = ['Peter', 'Brian', 'Stewie'];
  const failing = examples.examples.filter((e) => e.modes.length > 0);
  const clean = examples.examples.filter((e) => e.modes.length === 0);
  const rulesOf = (e: (typeof examples.examples)[number]) => {
    const others = roster.filter((name) => name !== e.character);
    return checkReply({
      raw: e.raw,
      final: cleanReply(e.raw, e.character, others),
      character: e.character,
      otherCharacters: others,
      maxChars: 800,
    }).map((v) => v.rule as string);
  };
  const caught = failing.filter((e) => e.modes.every((mode) => rulesOf(e).includes(mode)));
  const falseAlarms = clean.filter((e) => rulesOf(e).length > 0);
  console.log(
    `rule checks on ${examples.examples.length} example replies: caught ${caught.length}/${failing.length} failures ` +
      `(${((100 * caught.length) / failing.length).toFixed(0)}%), flagged ${falseAlarms.length}/${clean.length} good replies`,
  );
  for (const missed of failing.filter((e) => !caught.includes(e)))
    console.log(`  missed (${missed.modes.join(', ')}): ${JSON.stringify(missed.raw)}`);
}
