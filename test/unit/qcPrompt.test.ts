import { buildQcMessages, parseQcVerdict, QC_SYSTEM_INTRO } from '../../src/llm/qcPrompt';

describe('the QC reviewer prompt and its strict verdict parser', () => {
  it('gives the reviewer the character sheet, the message and the candidate, and asks for JSON', () => {
    const messages = buildQcMessages(
      {
        character: 'Brian',
        systemPrompt: 'You are Brian Griffin, a pretentious dog.',
        history: [{ speaker_type: 'USER', bot_name: null, message_content: 'earlier line' }],
        context: [],
        userMessage: 'what do you think of opera?',
      },
      'Puccini understood suffering.',
    );
    expect(messages[0]?.content.startsWith(QC_SYSTEM_INTRO)).toBe(true);
    expect(messages[0]?.content).toContain('You are Brian Griffin, a pretentious dog.');
    expect(messages[0]?.content).toContain('{"score": <integer 1-5>');
    expect(messages[1]?.content).toContain('User: earlier line');
    expect(messages[1]?.content).toContain('MESSAGE:\nwhat do you think of opera?');
    expect(messages[1]?.content).toContain('REPLY BY BRIAN:\nPuccini understood suffering.');
  });

  it.each([
    ['{"score": 4, "justification": "in character"}', { score: 4, justification: 'in character' }],
    ['```json\n{"score": 2, "justification": "flat"}\n```', { score: 2, justification: 'flat' }],
    [' {"justification": "ok", "score": 5} ', { score: 5, justification: 'ok' }],
  ])('accepts %j', (raw, expected) => {
    expect(parseQcVerdict(raw)).toEqual(expected);
  });

  it.each([
    'Rating: 4/5',
    '{"score": "4", "justification": "string score"}',
    '{"score": 4.5, "justification": "not an integer"}',
    '{"score": 0, "justification": "out of range"}',
    '{"score": 6, "justification": "out of range"}',
    '{"score": 4}',
    '{"score": 4, "justification": "   "}',
    'Sure! {"score": 4, "justification": "chatty"}',
    '{"score": 4, "justification": "truncated',
    '[4, "array"]',
    '',
  ])('refuses %j', (raw) => {
    expect(parseQcVerdict(raw)).toBeNull();
  });
});
