/**
 * The preference export (`npm run export-finetune -- --format preference`) on a fixture written to the
 * test stack's real FerretDB: regenerated replies (candidates on the turn, USER_REGENERATED entries),
 * user ratings of several candidates, QC regenerations (QC_AUTOMATED entries with their texts, a
 * fallback one among them), a QC verdict users contradict, a regeneration that wrote the same text
 * again, another character's regeneration and a reply nothing is compared with. The CLI's file is read back line by line as JSON and must hold exactly the expected pairs,
 * each with the prompt the chat export builds for that reply.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportFineTuningExamples, type ChatExample } from '../../src/admin/exportFineTuning';
import type { PreferenceExample } from '../../src/admin/exportPreferences';
import {
  botTurnId,
  userTurnId,
  type NewTurn,
  type ReplyCandidate,
} from '../../src/store/conversationHistory';
import type { FineTuningEntry } from '../../src/store/fineTuningData';
import { openStore, type Store } from '../../src/store/mongo';
import { sessionIdFor } from '../../src/store/sessionId';

jest.setTimeout(60_000);

const repo = join(__dirname, '..', '..');
const dbName = `fgbots_prefs_${randomUUID().slice(0, 8)}`;
const channelId = `c-${randomUUID()}`;
let store: Store;
let dir: string;

/** A user asks `character`, who answers with `text` (its turn as the fixture wants it). */
async function exchange(
  n: number,
  character: string,
  asked: string,
  reply: Partial<NewTurn> & { message_content: string },
): Promise<string> {
  const messageId = `${1000 + n}`;
  const responseId = `resp-${n}`;
  const common = {
    session_id: sessionIdFor(channelId),
    timestamp: new Date(Date.now() + n * 1000),
    channel_id: channelId,
    is_organic_initiation: false,
    rag_context_used: [],
    llm_response_raw: null,
  };
  await store.conversationHistory.appendTurn({
    ...common,
    _id: userTurnId(messageId),
    user_id: 'lois',
    speaker_type: 'USER',
    bot_name: null,
    message_content: asked,
    original_message_id: messageId,
    llm_response_final: null,
  });
  await store.conversationHistory.appendTurn({
    ...common,
    _id: botTurnId(responseId),
    user_id: null,
    speaker_type: 'BOT',
    bot_name: character,
    original_message_id: `${2000 + n}`,
    response_id: responseId,
    reply_to_message_id: messageId,
    prompt_version_used: 'v1.0',
    qc_result: null,
    llm_response_final: reply.message_content,
    ...reply,
  });
  return responseId;
}

function candidate(text: string, source: ReplyCandidate['source'], version = 'v1.0'): ReplyCandidate {
  return {
    text,
    raw: text,
    created_at: new Date(),
    source,
    requested_by: source === 'original' ? null : 'lois',
    prompt_version: version,
  };
}

const entry = (
  responseId: string,
  id: string,
  fields: Pick<FineTuningEntry, 'rating_type' | 'rating_score' | 'response_text'> & Partial<FineTuningEntry>,
): FineTuningEntry => ({
  _id: id,
  response_id: responseId,
  feedback_text: '',
  rated_by: 'lois',
  timestamp: new Date(),
  prompt_version_used: 'v1.0',
  character_name: 'Peter',
  ...fields,
});

beforeAll(async () => {
  store = await openStore(process.env.MONGODB_URI as string, dbName);
  dir = await mkdtemp(join(tmpdir(), 'prefs-'));
  for (const [character, version, text] of [
    ['Peter', 'v1.0', 'You are Peter Griffin.'],
    ['Peter', 'v1.1', 'You are Peter Griffin, louder.'],
    ['Brian', 'v1.0', 'You are Brian Griffin.'],
  ] as const) {
    await store.characterPrompts.create({
      character_name: character,
      prompt_version: version,
      prompt_text: text,
      is_default: version === 'v1.0',
      ab_test_percentage: 0,
      fallback_line: '...',
      based_on: null,
      created_by: 'test',
      reason: 'fixture',
    });
  }
  const ft = store.fineTuningData;

  // 1. Regenerated twice (the last by a newer prompt version); its standing text also rated 5.
  const r1 = await exchange(1, 'Peter', 'Peter, what is the bird?', {
    message_content: 'Bird is the word!',
    candidates: [
      candidate('The bird? Meh.', 'original'),
      candidate('I dunno, Lois.', 'regenerate'),
      candidate('Bird is the word!', 'regenerate', 'v1.1'),
    ],
    chosen_candidate: 2,
  });
  await ft.record(
    entry(r1, `regen:${r1}:0`, {
      rating_type: 'USER_REGENERATED',
      rating_score: 1,
      response_text: 'The bird? Meh.',
    }),
  );
  await ft.record(
    entry(r1, `regen:${r1}:1`, {
      rating_type: 'USER_REGENERATED',
      rating_score: 1,
      response_text: 'I dunno, Lois.',
    }),
  );
  await ft.record(
    entry(r1, `user:${r1}:meg`, {
      rating_type: 'USER_SUBMITTED',
      rating_score: 5,
      response_text: 'Bird is the word!',
      rated_by: 'meg',
    }),
  );

  // 2. Two replaced candidates that users rated 4 and 2 before they were replaced.
  const r2 = await exchange(2, 'Peter', 'Peter, a song?', {
    message_content: 'Surfin bird!',
    candidates: [
      candidate('La la la.', 'original'),
      candidate('Hmm hmm.', 'regenerate'),
      candidate('Surfin bird!', 'regenerate'),
    ],
    chosen_candidate: 2,
  });
  await ft.record(
    entry(r2, `user:${r2}:meg`, {
      rating_type: 'USER_SUBMITTED',
      rating_score: 4,
      response_text: 'La la la.',
      rated_by: 'meg',
    }),
  );
  await ft.record(
    entry(r2, `user:${r2}:chris`, {
      rating_type: 'USER_SUBMITTED',
      rating_score: 2,
      response_text: 'Hmm hmm.',
      rated_by: 'chris',
    }),
  );

  // 3. QC regenerations: the first attempt scored 2, the sent one 4; a fallback verdict says nothing.
  const r3 = await exchange(3, 'Peter', 'Peter, the Clam?', {
    message_content: 'To the Drunken Clam!',
    qc_result: { score: 4, feedback: 'in character', method: 'llm', attempts: 2, accepted: true },
  });
  await ft.record(
    entry(r3, `qc:${r3}:1`, {
      rating_type: 'QC_AUTOMATED',
      rating_score: 2,
      response_text: 'Clam.',
      rated_by: 'qc_module',
      qc_method: 'llm',
    }),
  );
  await ft.record(
    entry(r3, `qc:${r3}:2`, {
      rating_type: 'QC_AUTOMATED',
      rating_score: 4,
      response_text: 'To the Drunken Clam!',
      rated_by: 'qc_module',
      qc_method: 'llm',
    }),
  );
  await ft.record(
    entry(r3, `qc:${r3}:3`, {
      rating_type: 'QC_AUTOMATED',
      rating_score: 5,
      response_text: 'Unparsed.',
      rated_by: 'qc_module',
      qc_method: 'fallback',
    }),
  );

  // 4. QC liked the original better, the person answered replaced it: the people win.
  const r4 = await exchange(4, 'Peter', 'Peter, work?', {
    message_content: 'Shhh, I am napping.',
    candidates: [candidate('Working hard!', 'original'), candidate('Shhh, I am napping.', 'regenerate')],
    chosen_candidate: 1,
  });
  await ft.record(
    entry(r4, `qc:${r4}:1`, {
      rating_type: 'QC_AUTOMATED',
      rating_score: 5,
      response_text: 'Working hard!',
      rated_by: 'qc_module',
      qc_method: 'llm',
    }),
  );
  await ft.record(
    entry(r4, `qc:${r4}:2`, {
      rating_type: 'QC_AUTOMATED',
      rating_score: 3,
      response_text: 'Shhh, I am napping.',
      rated_by: 'qc_module',
      qc_method: 'llm',
    }),
  );

  // 5. A regeneration that wrote the same text again (but for a space), the standing one rated.
  const r5 = await exchange(5, 'Peter', 'Peter, again?', {
    message_content: 'Hehehe.',
    candidates: [candidate('Hehehe. ', 'original'), candidate('Hehehe.', 'regenerate')],
    chosen_candidate: 1,
  });
  await ft.record(
    entry(r5, `user:${r5}:meg`, {
      rating_type: 'USER_SUBMITTED',
      rating_score: 3,
      response_text: 'Hehehe.',
      rated_by: 'meg',
    }),
  );

  // 6. Brian's regeneration: there unless the export is for Peter only.
  await exchange(6, 'Brian', 'Brian, a martini?', {
    message_content: 'Dry, please.',
    candidates: [candidate('Wet, please.', 'original'), candidate('Dry, please.', 'regenerate')],
    chosen_candidate: 1,
  });
  // 7. A reply nobody compared with anything.
  await exchange(7, 'Peter', 'Peter?', { message_content: 'What?' });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await store?.db.dropDatabase().catch(() => undefined);
  await store?.close();
});

function exportCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/admin/exportCli.ts', ...args], {
      cwd: repo,
      env: {
        PATH: process.env.PATH,
        MONGODB_URI: process.env.MONGODB_URI,
        MONGODB_DB: dbName,
        HISTORY_WINDOW: '10',
      },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

const summary = (example: PreferenceExample) => [
  example.prompt.at(-1)?.content,
  example.chosen[0].content,
  example.rejected[0].content,
];

test('writes the expected chosen/rejected pairs as JSONL, each with the prompt the chat export builds', async () => {
  const out = join(dir, 'pairs.jsonl');
  const run = await exportCli(['--format', 'preference', '--out', out]);
  expect(run.code).toBe(0);
  expect(run.stderr).toContain(`8 pairs written to ${out}`);
  expect(run.stderr).toMatch(/6 from regenerations, 1 from ratings, 1 from QC; .* 1 contradicted/);
  const lines = (await readFile(out, 'utf8')).split('\n');
  expect(lines.pop()).toBe('');
  const examples = lines.map((line) => JSON.parse(line) as PreferenceExample);
  for (const example of examples) {
    expect(Object.keys(example).sort()).toEqual(['chosen', 'prompt', 'rejected']);
    expect(example.chosen).toEqual([{ role: 'assistant', content: expect.any(String) }]);
    expect(example.rejected).toEqual([{ role: 'assistant', content: expect.any(String) }]);
    expect(example.prompt[0]?.role).toBe('system');
    expect(example.prompt.at(-1)?.role).toBe('user');
  }
  expect(examples.map(summary)).toEqual([
    ['Peter, what is the bird?', 'Bird is the word!', 'The bird? Meh.'],
    ['Peter, what is the bird?', 'Bird is the word!', 'I dunno, Lois.'],
    ['Peter, a song?', 'Surfin bird!', 'La la la.'],
    ['Peter, a song?', 'Surfin bird!', 'Hmm hmm.'],
    ['Peter, a song?', 'La la la.', 'Hmm hmm.'],
    ['Peter, the Clam?', 'To the Drunken Clam!', 'Clam.'],
    ['Peter, work?', 'Shhh, I am napping.', 'Working hard!'],
    ['Brian, a martini?', 'Dry, please.', 'Wet, please.'],
  ]);
  // The chosen text's own prompt version: v1.1 wrote "Bird is the word!".
  expect(examples[0]?.prompt[0]?.content).toContain('You are Peter Griffin, louder.');
  expect(examples[2]?.prompt[0]?.content).toContain('You are Peter Griffin.');

  // The prompt is the chat export's for the same reply, without its answer: the history before included.
  const chat: ChatExample[] = [];
  await exportFineTuningExamples(store, { minScore: 1, historyWindow: 10, character: 'Peter' }, (e) => {
    chat.push(e);
  });
  const clam = chat.find((e) => e.messages.at(-1)?.content === 'To the Drunken Clam!');
  expect(examples[5]?.prompt).toEqual(clam?.messages.slice(0, -1));
  expect(examples[5]?.prompt.map((m) => m.content)).toEqual(
    expect.arrayContaining(['[User] Peter, a song?', 'Surfin bird!']),
  );
  expect(await readdir(dir)).toEqual(['pairs.jsonl']);
});

test('--character keeps one character; chat stays the default; --min-score is for chat only', async () => {
  const out = join(dir, 'brian.jsonl');
  expect((await exportCli(['--format', 'preference', '--character', 'Brian', '--out', out])).code).toBe(0);
  const brian = (await readFile(out, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as PreferenceExample);
  expect(brian.map(summary)).toEqual([['Brian, a martini?', 'Dry, please.', 'Wet, please.']]);

  const chatOut = join(dir, 'chat.jsonl');
  expect((await exportCli(['--out', chatOut, '--min-score', '4'])).code).toBe(0);
  const chat = (await readFile(chatOut, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ChatExample);
  expect(chat.every((example) => Array.isArray(example.messages))).toBe(true);

  const refused = await exportCli([
    '--format',
    'preference',
    '--min-score',
    '4',
    '--out',
    join(dir, 'x.jsonl'),
  ]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('--min-score applies to --format chat only');
  await expect(readFile(join(dir, 'x.jsonl'))).rejects.toThrow();
});
