import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GenerationBody } from '../fakes/scriptedOllama';
import { QC_SYSTEM_INTRO } from '../../src/llm/qcPrompt';
import { botTurnId } from '../../src/store/conversationHistory';
import { replyWorkflowId, type ReplyResult } from '../../src/workflows/contracts/reply';
import { waitFor } from '../fakes/waitFor';
import { startHarness, type CharacterName, type Harness } from './harness';

/** What the scripted model says for one test: candidate replies and reviewer verdicts, in order. */
interface Script {
  candidates: string[];
  verdicts: string[];
}

const verdict = (score: number, justification = `scored ${score}`) =>
  JSON.stringify({ score, justification });

function isQcRequest(body: GenerationBody): boolean {
  return body.messages?.[0]?.content.startsWith(QC_SYSTEM_INTRO) ?? false;
}

describe('quality control of replies (QC on)', () => {
  let h: Harness;
  /** Scripts by a marker word in the user's message, so each test scripts its own reply. */
  const scripts = new Map<string, Script>();

  beforeAll(async () => {
    h = await startHarness({
      env: { QC_ENABLED: 'true', QC_MIN_SCORE: '3', QC_MAX_REGENERATIONS: '2', QC_MAX_REPLY_CHARS: '300' },
    });
    h.ollama.reply((body) => {
      // The reviewer also sees earlier lines (other tests' markers): look at the message only.
      const message = (body.messages?.at(-1)?.content ?? '').split('MESSAGE:\n').at(-1) ?? '';
      const script = [...scripts.entries()].find(([marker]) => message.includes(marker))?.[1];
      if (!script) return 'Hehehehe.';
      const next = isQcRequest(body) ? script.verdicts.shift() : script.candidates.shift();
      return next ?? 'script ran out';
    });
  });

  afterAll(async () => {
    await h?.stop();
  });

  async function askAndWait(character: CharacterName, marker: string, script: Script) {
    scripts.set(marker, script);
    const message = await h.discord.userSays({
      channelId: h.channelId,
      content: `hey ${character}, ${marker}?`,
    });
    const result: ReplyResult = await waitFor(
      () => h.temporal.workflow.getHandle(replyWorkflowId(message.id, character)).result(),
      { what: `${character}'s reply` },
    );
    const posted = h.discord
      .botMessages(h.channelId)
      .filter((m) => m.message_reference?.message_id === message.id);
    const turn = await h.store.conversationHistory.findByResponseId(result.responseId);
    const assessments = await h.store.fineTuningData.collection
      .find({ response_id: result.responseId })
      .sort({ _id: 1 })
      .toArray();
    const qcCalls = h.ollama.requests.filter(
      (r) =>
        isQcRequest(r.body) &&
        (r.body.messages?.at(-1)?.content.split('MESSAGE:\n').at(-1) ?? '').includes(marker),
    );
    return { message, result, posted, turn, assessments, qcCalls };
  }

  it('regenerates a reply scored 2, sends the one scored 4, and logs both assessments', async () => {
    const { posted, turn, assessments, result } = await askAndWait('Brian', 'opera tickets', {
      candidates: ['Opera is fine I guess.', 'Ah, Tosca. Puccini understood suffering, much like my novel.'],
      verdicts: [verdict(2, 'flat, not Brian'), verdict(4, 'pretentious and literary')],
    });

    expect(posted.map((m) => m.content)).toEqual([
      'Ah, Tosca. Puccini understood suffering, much like my novel.',
    ]);
    expect(assessments).toHaveLength(2);
    expect(assessments.map((a) => a.rating_score)).toEqual([2, 4]);
    for (const entry of assessments) {
      expect(entry).toMatchObject({
        response_id: result.responseId,
        rating_type: 'QC_AUTOMATED',
        rated_by: 'qc_module',
        prompt_version_used: 'v1.0',
        character_name: 'Brian',
        qc_method: 'llm',
      });
      expect(entry.timestamp).toBeInstanceOf(Date);
    }
    expect(assessments.map((a) => a.feedback_text)).toEqual(['flat, not Brian', 'pretentious and literary']);
    expect(assessments[0]?.response_text).toBe('Opera is fine I guess.');
    expect(turn).toMatchObject({
      _id: botTurnId(result.responseId),
      llm_response_final: 'Ah, Tosca. Puccini understood suffering, much like my novel.',
      message_content: 'Ah, Tosca. Puccini understood suffering, much like my novel.',
      qc_result: {
        score: 4,
        method: 'llm',
        attempts: 2,
        accepted: true,
        feedback: 'pretentious and literary',
      },
    });
  });

  it('falls back without failing the reply when the reviewer answers something unparseable', async () => {
    const { posted, turn, assessments, result } = await askAndWait('Peter', 'beer tonight', {
      candidates: ['Heck yeah, the Clam at eight!'],
      verdicts: ['Rating: 4/5. Strengths: sounds like Peter.'],
    });

    expect(result.usedFallback).toBe(false);
    expect(posted.map((m) => m.content)).toEqual(['Heck yeah, the Clam at eight!']);
    expect(assessments).toHaveLength(1);
    expect(assessments[0]).toMatchObject({
      rating_type: 'QC_AUTOMATED',
      rating_score: 3,
      qc_method: 'fallback',
    });
    expect(assessments[0]?.feedback_text).toContain('not the JSON asked for');
    expect(turn?.qc_result).toMatchObject({ method: 'fallback', attempts: 1, accepted: true });
  });

  it('rejects a rule-breaking candidate without asking the reviewer', async () => {
    const { posted, assessments, qcCalls } = await askAndWait('Stewie', 'world domination', {
      candidates: [
        '*rubs hands together* Stewie thinks the plan is brilliant.',
        'Victory is mine! The plan proceeds.',
      ],
      verdicts: [verdict(5, 'menacing and British')],
    });

    expect(posted.map((m) => m.content)).toEqual(['Victory is mine! The plan proceeds.']);
    expect(assessments.map((a) => [a.rating_score, a.qc_method])).toEqual([
      [1, 'rules'],
      [5, 'llm'],
    ]);
    expect(assessments[0]?.feedback_text).toMatch(/stage_direction.*third_person/);
    // Only the second candidate reached the LLM reviewer.
    expect(qcCalls).toHaveLength(1);
  });

  it('sends the best candidate when none reaches the minimum score', async () => {
    const { posted, turn, assessments } = await askAndWait('Brian', 'bad novel', {
      candidates: ['First try.', 'Second try, slightly better.', 'Third try.'],
      verdicts: [verdict(1), verdict(2), verdict(1)],
    });

    expect(assessments.map((a) => a.rating_score)).toEqual([1, 2, 1]);
    expect(posted.map((m) => m.content)).toEqual(['Second try, slightly better.']);
    expect(turn?.qc_result).toMatchObject({ score: 2, attempts: 3, accepted: false });
  });

  it('still answers with the fallback line, and dead-letters the failure, when the LLM is down', async () => {
    h.ollama.failAll(500);
    try {
      const message = await h.discord.userSays({
        channelId: h.channelId,
        content: 'hey Stewie, llm outage?',
      });
      const result: ReplyResult = await waitFor(
        () => h.temporal.workflow.getHandle(replyWorkflowId(message.id, 'Stewie')).result(),
        { what: "Stewie's reply", timeoutMs: 60_000 },
      );
      const prompt = await h.store.characterPrompts.findDefault('Stewie');
      expect(result.usedFallback).toBe(true);
      expect(result.text).toBe(prompt?.fallback_line);
      expect(result.deadLetterIds).toHaveLength(1);
      const [entry] = await h.store.deadLetterQueue.list();
      expect(entry?.failed_step).toBe('generateReply');
    } finally {
      h.ollama.recover();
    }
  }, 90_000);

  it('exports the replies rated 4 or more as chat-format JSONL for fine-tuning', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fg-export-')), 'examples.jsonl');
    const cli = await runCli(['--out', out, '--min-score', '4']);
    expect(cli.code).toBe(0);
    expect(cli.stderr).toMatch(/2 examples written to/);
    const examples = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { messages: Array<{ role: string; content: string }> });
    // Brian's opera reply (QC 4) and Stewie's plan (QC 5); the 2s, the unparseable verdict and the fallback are left out.
    expect(examples.map((e) => e.messages.at(-1))).toEqual([
      { role: 'assistant', content: 'Ah, Tosca. Puccini understood suffering, much like my novel.' },
      { role: 'assistant', content: 'Victory is mine! The plan proceeds.' },
    ]);
    const [opera] = examples;
    const brian = await h.store.characterPrompts.findVersion('Brian', 'v1.0');
    expect(opera?.messages[0]).toEqual({ role: 'system', content: brian?.prompt_text });
    expect(opera?.messages.at(-2)).toEqual({ role: 'user', content: 'hey Brian, opera tickets?' });

    const bad = await runCli(['--min-score', '4']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--out is required');
  }, 60_000);

  // Replies over QC_MAX_REPLY_CHARS (300 here). Scored 3 so the export above stays as it is.
  describe('a reply over QC_MAX_REPLY_CHARS', () => {
    /** The scripted model's generation calls for one test's message (the reviewer's are qcCalls). */
    const generationCalls = (marker: string) =>
      h.ollama.requests.filter(
        (r) => !isQcRequest(r.body) && (r.body.messages?.at(-1)?.content ?? '').includes(marker),
      );
    // Distinct words, so that no other rule (repetition) applies.
    const words = (tag: string, count: number) =>
      Array.from({ length: count }, (_, i) => `${tag}${i}`).join(' ');
    const sentences = (count: number) =>
      Array.from({ length: count }, (_, i) => `${words(`s${i}w`, 8)}.`).join(' ');

    it('is trimmed on a sentence boundary when that keeps most of it: 2 LLM calls, no regeneration', async () => {
      const long = sentences(9); // 368 characters
      const { posted, turn, assessments, qcCalls } = await askAndWait('Peter', 'clam closing time', {
        candidates: [long, 'a regeneration nobody asked for'],
        verdicts: [verdict(3, 'Peter enough')],
      });

      const trimmed = sentences(7); // 286: the longest run of whole sentences under 300
      expect(long.length).toBeGreaterThan(300);
      expect(trimmed.length).toBeLessThanOrEqual(300);
      expect(generationCalls('clam closing time')).toHaveLength(1);
      expect(qcCalls).toHaveLength(1); // 1 generation + 1 review: the whole cost
      expect(posted.map((m) => m.content)).toEqual([trimmed]);
      expect(turn).toMatchObject({ llm_response_raw: long, llm_response_final: trimmed });
      expect(assessments.map((a) => [a.rating_score, a.qc_method])).toEqual([[3, 'llm']]);
      expect(assessments[0]?.feedback_text).toContain(`[trimmed from ${long.length} characters`);
    });

    it('is regenerated once, asking for a short answer, when trimming would lose most of it: 3 LLM calls', async () => {
      const rambling = `Well. ${words('chicken', 60)}.`; // "Well." alone would be all a trim keeps
      const { posted, assessments, qcCalls } = await askAndWait('Peter', 'chicken fight', {
        candidates: [rambling, 'Short version: I beat the chicken.', 'a third one nobody asked for'],
        verdicts: [verdict(3, 'Peter enough')],
      });

      const calls = generationCalls('chicken fight');
      expect(calls).toHaveLength(2);
      expect(qcCalls).toHaveLength(1); // the rambling candidate failed the too_long rule without a review
      expect(calls[0]?.body.messages?.[0]?.content).not.toContain('KEEP IT SHORT');
      expect(calls[1]?.body.messages?.[0]?.content).toContain('KEEP IT SHORT');
      expect(calls[1]?.body.messages?.[0]?.content).toContain('under 300 characters');
      expect(assessments.map((a) => [a.rating_score, a.qc_method])).toEqual([
        [2, 'rules'],
        [3, 'llm'],
      ]);
      expect(assessments[0]?.feedback_text).toContain('too_long');
      expect(posted.map((m) => m.content)).toEqual(['Short version: I beat the chicken.']);
    });

    it('trims the one regeneration however much that loses when it is too long as well', async () => {
      const rambling = words('boat', 60);
      const { posted, assessments, qcCalls } = await askAndWait('Peter', 'boat race', {
        candidates: [rambling, `Okay. ${rambling}`, 'a third one nobody asked for'],
        verdicts: [verdict(3, 'Peter enough')],
      });

      expect(generationCalls('boat race')).toHaveLength(2);
      expect(qcCalls).toHaveLength(1);
      expect(posted.map((m) => m.content)).toEqual(['Okay.']);
      expect(assessments.map((a) => a.rating_score)).toEqual([2, 3]);
    });
  });

  function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/admin/exportCli.ts', ...args], {
        env: { ...process.env, ...h.workerEnv },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });
  }
});

describe('quality control off', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ env: { QC_ENABLED: 'false' } });
    h.ollama.reply('Roadhouse!');
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('makes no QC call and logs no assessment', async () => {
    const message = await h.discord.userSays({
      channelId: h.channelId,
      content: 'hey Peter, sing something',
    });
    const result: ReplyResult = await waitFor(
      () => h.temporal.workflow.getHandle(replyWorkflowId(message.id, 'Peter')).result(),
      { what: "Peter's reply" },
    );
    expect(result.text).toBe('Roadhouse!');
    expect(h.ollama.requests.length).toBeGreaterThan(0);
    expect(h.ollama.requests.filter((r) => isQcRequest(r.body))).toEqual([]);
    expect(await h.store.fineTuningData.collection.countDocuments({ response_id: result.responseId })).toBe(
      0,
    );
    const turn = await h.store.conversationHistory.findByResponseId(result.responseId);
    expect(turn?.qc_result).toBeNull();
  });
});
