/**
 * What the coordinator reads of a channel on the test stack's FerretDB: the last speaker and human turn
 * from the session document, and its caps from coordinated_answers (an hour's answers, and those in a row
 * since a human last named a character).
 */
import { randomUUID } from 'node:crypto';
import { createCoordinatorActivities } from '../../src/activities/coordinator';
import { userTurnId, type NewTurn } from '../../src/store/conversationHistory';
import { openStore, type Store } from '../../src/store/mongo';
import { sessionIdFor } from '../../src/store/sessionId';

let store: Store;

beforeAll(async () => {
  store = await openStore(process.env.MONGODB_URI as string, `fgbots_coord_${randomUUID().slice(0, 8)}`);
});

afterAll(async () => {
  await store?.db.dropDatabase();
  await store?.close();
});

const MINUTE = 60_000;
const T0 = Date.parse('2026-03-01T12:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * MINUTE);

/** A stored turn of `channelId`: a human's message `messageId` or a character's line. */
function turn(
  channelId: string,
  minutes: number,
  who: { user: string; messageId: string } | { bot: string },
): NewTurn {
  const human = 'user' in who;
  return {
    _id: human ? userTurnId(who.messageId) : `bot:${randomUUID()}`,
    session_id: sessionIdFor(channelId),
    timestamp: at(minutes),
    channel_id: channelId,
    user_id: human ? who.user : null,
    speaker_type: human ? 'USER' : 'BOT',
    bot_name: human ? null : who.bot,
    message_content: human ? 'hello' : 'Heh heh.',
    original_message_id: human ? who.messageId : null,
    is_organic_initiation: false,
    rag_context_used: [],
    llm_response_raw: null,
    llm_response_final: null,
  };
}

it('reads the last speaker and human turn, and counts the answers of the hour and those in a row', async () => {
  const channelId = `c-${randomUUID()}`;
  const { loadUnnamedContext, recordCoordinatedAnswer } = createCoordinatorActivities({ store });
  const context = (messageId: string, minutes: number) =>
    loadUnnamedContext({ channelId, messageId, at: at(minutes).toISOString() });

  expect(await context('m0', 0)).toEqual({
    lastSpeaker: null,
    lastSpeakerAt: null,
    lastHumanAt: null,
    answeredLastHour: 0,
    answeredInARow: 0,
  });

  // 10:00 an answer an hour and more ago; 12:01 a named message (Peter answers); then two unnamed ones
  // the coordinator had Brian and Stewie answer.
  await recordCoordinatedAnswer({
    channelId,
    messageId: 'old',
    character: 'Peter',
    at: at(-70).toISOString(),
  });
  const history = store.conversationHistory;
  await history.appendTurn(turn(channelId, 1, { user: 'u1', messageId: 'named' }));
  await history.appendTurn(turn(channelId, 1.5, { bot: 'Peter' }));
  for (const [messageId, character, minutes] of [
    ['unnamed-1', 'Brian', 2],
    ['unnamed-2', 'Stewie', 3],
  ] as const) {
    await recordCoordinatedAnswer({ channelId, messageId, character, at: at(minutes).toISOString() });
    await history.appendTurn(turn(channelId, minutes, { user: 'u2', messageId }));
    await history.appendTurn(turn(channelId, minutes + 0.5, { bot: character }));
  }
  // Recording the same answer again (a retried activity) changes nothing.
  await recordCoordinatedAnswer({
    channelId,
    messageId: 'unnamed-2',
    character: 'Stewie',
    at: at(3).toISOString(),
  });

  expect(await context('next', 4)).toEqual({
    lastSpeaker: 'Stewie',
    lastSpeakerAt: at(3.5).toISOString(),
    lastHumanAt: at(3).toISOString(),
    answeredLastHour: 2,
    answeredInARow: 2,
  });

  // A human names a character again: the run starts over; the hour's count does not.
  await history.appendTurn(turn(channelId, 5, { user: 'u1', messageId: 'named-again' }));
  expect(await context('later', 6)).toMatchObject({ answeredLastHour: 2, answeredInARow: 0 });
  // An hour on, the hour's answers have aged out.
  expect(await context('much-later', 64)).toMatchObject({ answeredLastHour: 0 });
});
