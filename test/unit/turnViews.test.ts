/** How the dashboard's routes show stored turns (src/admin/turnViews.ts): pure functions. */
import { qcView, snippetView, turnView } from '../../src/admin/turnViews';
import type { ConversationTurn } from '../../src/store/conversationHistory';

const at = new Date('2026-12-06T12:00:00Z');
const bot: ConversationTurn = {
  _id: 'bot:reply-1-peter',
  session_id: 'web:abc',
  turn_id: 2,
  timestamp: at,
  channel_id: 'web:abc',
  user_id: null,
  speaker_type: 'BOT',
  bot_name: 'Peter',
  message_content: 'Hehehe.',
  original_message_id: null,
  is_organic_initiation: false,
  rag_context_used: [
    {
      text: 'Ernie the Giant Chicken\nThe fights...',
      source_url: 'https://familyguy.fandom.com/wiki/Ernie_the_Giant_Chicken',
      score: 0.7,
    },
  ],
  llm_response_raw: 'Peter: Hehehe.',
  llm_response_final: 'Hehehe.',
  response_id: 'reply-1-peter',
  prompt_version_used: 'v1.1',
  qc_result: { score: 4, feedback: 'fine', method: 'llm', attempts: 1, accepted: true },
};

describe('turn views', () => {
  it('shows a bot turn with its version, QC (passed), snippets titled after their article, raw and final text', () => {
    expect(turnView(bot)).toEqual({
      turn_id: 2,
      role: 'bot',
      author: 'Peter',
      character: 'Peter',
      text: 'Hehehe.',
      created_at: '2026-12-06T12:00:00.000Z',
      prompt_version: 'v1.1',
      qc: { score: 4, feedback: 'fine', method: 'llm', attempts: 1, accepted: true, passed: true },
      rag_context_used: [
        {
          title: 'Ernie the Giant Chicken',
          url: 'https://familyguy.fandom.com/wiki/Ernie_the_Giant_Chicken',
          text: 'Ernie the Giant Chicken\nThe fights...',
        },
      ],
      raw_text: 'Peter: Hehehe.',
      final_text: 'Hehehe.',
      is_organic_initiation: false,
      used_fallback: false,
    });
  });

  it('shows a regenerated reply with every candidate and which one stands', () => {
    const later = new Date('2026-12-06T12:05:00Z');
    const regenerated: ConversationTurn = {
      ...bot,
      message_content: 'Freakin sweet!',
      candidates: [
        {
          text: 'Hehehe.',
          raw: 'Peter: Hehehe.',
          created_at: at,
          source: 'original',
          requested_by: null,
          prompt_version: 'v1.1',
          qc_score: 4,
        },
        {
          text: 'Freakin sweet!',
          raw: 'Freakin sweet!',
          created_at: later,
          source: 'regenerate',
          requested_by: 'u1',
          prompt_version: 'v1.1',
        },
      ],
      chosen_candidate: 1,
    };
    expect(turnView(regenerated)).toMatchObject({
      text: 'Freakin sweet!',
      chosen_candidate: 1,
      candidates: [
        {
          text: 'Hehehe.',
          source: 'original',
          requested_by: null,
          prompt_version: 'v1.1',
          qc_score: 4,
          created_at: '2026-12-06T12:00:00.000Z',
        },
        {
          text: 'Freakin sweet!',
          source: 'regenerate',
          requested_by: 'u1',
          prompt_version: 'v1.1',
          qc_score: null,
          created_at: '2026-12-06T12:05:00.000Z',
        },
      ],
    });
  });

  it('shows a user turn by its author, and a fallback line as such', () => {
    const user = { ...bot, speaker_type: 'USER' as const, user_id: 'u1', bot_name: null, turn_id: 1 };
    expect(turnView(user)).toEqual({
      turn_id: 1,
      role: 'user',
      author: 'u1',
      text: 'Hehehe.',
      created_at: '2026-12-06T12:00:00.000Z',
    });
    expect(turnView({ ...bot, llm_response_raw: null, qc_result: null })).toMatchObject({
      used_fallback: true,
      qc: null,
      raw_text: null,
    });
    expect(qcView(undefined)).toBeNull();
    expect(snippetView({ text: 't', source_url: 'https://example.org/about', score: 1 }).title).toBe(
      'https://example.org/about',
    );
  });

  it('titles a lorebook entry after its book, entry and why it was chosen', () => {
    const lore = {
      text: 'The Drunken Clam is the bar.',
      source_url: 'lorebook:global#3',
      score: 1,
      origin: 'lorebook' as const,
      lore: { scope: 'global', book: 'Quahog', entry_id: 3, name: 'Clam', reason: 'key: clam' },
    };
    expect(snippetView(lore)).toEqual({
      title: 'Lorebook "Quahog" (global): Clam, key: clam',
      url: 'lorebook:global#3',
      text: 'The Drunken Clam is the bar.',
    });
    expect(snippetView({ ...lore, lore: { ...lore.lore, name: '' } }).title).toBe(
      'Lorebook "Quahog" (global): entry 3, key: clam',
    );
  });
});
