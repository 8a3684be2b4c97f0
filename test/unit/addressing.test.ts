import {
  addressedCharacters,
  addressesNobody,
  type MessageFacts,
  type RosterMember,
} from '../../src/bots/addressing';

const roster: RosterMember[] = [
  { name: 'Peter', aliases: ['peter', 'pete', 'mr griffin'], userId: '100' },
  { name: 'Brian', aliases: ['brian'], userId: '200' },
  { name: 'Stewie', aliases: ['stewie'], userId: '300' },
];
const message = (facts: Partial<MessageFacts>): MessageFacts => ({
  isDirectMessage: false,
  content: '',
  mentionedUserIds: [],
  repliedToUserId: null,
  ...facts,
});

describe('addressedCharacters', () => {
  it('answers to a name in the text', () => {
    expect(addressedCharacters(message({ content: 'hey Stewie, how is Rupert?' }), roster, 'Peter')).toEqual([
      'Stewie',
    ]);
    expect(addressedCharacters(message({ content: 'STEWIE!!' }), roster, 'Peter')).toEqual(['Stewie']);
    expect(
      addressedCharacters(message({ content: 'what do you think, mr  griffin' }), roster, 'Peter'),
    ).toEqual(['Peter']);
  });

  it('does not match names inside other words', () => {
    expect(
      addressedCharacters(message({ content: 'Peterson and Brianna went out' }), roster, 'Peter'),
    ).toEqual([]);
  });

  it('lets an @mention or a reply win over names in the text', () => {
    expect(
      addressedCharacters(
        message({ content: '<@100> what does Stewie think?', mentionedUserIds: ['100'] }),
        roster,
        'Peter',
      ),
    ).toEqual(['Peter']);
    expect(
      addressedCharacters(message({ content: 'and Brian?', repliedToUserId: '300' }), roster, 'Stewie'),
    ).toEqual(['Stewie']);
  });

  it('addresses the receiving bot in a DM', () => {
    expect(
      addressedCharacters(message({ isDirectMessage: true, content: 'hello' }), roster, 'Brian'),
    ).toEqual(['Brian']);
  });

  it('addresses nobody with a message without text (an attachment alone, whitespace), even in a DM', () => {
    for (const content of ['', '  \n\t ']) {
      expect(addressedCharacters(message({ isDirectMessage: true, content }), roster, 'Brian')).toEqual([]);
      expect(addressedCharacters(message({ content, repliedToUserId: '300' }), roster, 'Stewie')).toEqual([]);
    }
  });

  describe('in webhook mode (characters without a bot of their own: userId null)', () => {
    const cast: RosterMember[] = [
      ...roster,
      { name: 'Glenn_Quagmire', aliases: ['glenn_quagmire', 'glenn quagmire', 'quagmire'], userId: null },
      { name: 'Cleveland', aliases: ['cleveland'], userId: null },
    ];

    it("answers a reply to a character's webhook post, signed with its display name, over names in the text", () => {
      const reply = message({ content: 'and what does Peter say?', repliedToCharacter: 'Glenn Quagmire' });
      expect(addressedCharacters(reply, cast, null)).toEqual(['Glenn_Quagmire']);
      expect(addressedCharacters(reply, cast, 'Peter')).toEqual(['Glenn_Quagmire']);
    });

    it('makes the names beside an @mention of the cast bot explicit, so they win over nothing else', () => {
      const facts = message({
        content: '<@900> Quagmire and Cleveland, poker tonight?',
        mentionedUserIds: ['900'],
        mentionsCastBot: true,
      });
      expect(addressedCharacters(facts, cast, null)).toEqual(['Glenn_Quagmire', 'Cleveland']);
      // An @mention of a character's own bot still wins over names.
      const both = message({ content: '<@100> what would Cleveland do?', mentionedUserIds: ['100'] });
      expect(addressedCharacters(both, cast, null)).toEqual(['Peter']);
    });

    it('answers no DM through the cast bot (webhooks cannot post there)', () => {
      expect(
        addressedCharacters(message({ isDirectMessage: true, content: 'Cleveland?' }), cast, null),
      ).toEqual([]);
    });
  });

  it('ignores a message that addresses nobody', () => {
    expect(addressedCharacters(message({ content: 'anyone seen the game?' }), roster, 'Peter')).toEqual([]);
  });
});

describe('addressesNobody (what the coordinator may answer)', () => {
  it('is a channel message with text that names and mentions nobody and replies to no one', () => {
    expect(addressesNobody(message({ content: 'what should we eat?' }), [])).toBe(true);
  });

  it('is not a message for a character, a person, or nobody in particular without text', () => {
    expect(addressesNobody(message({ content: 'Peter, what should we eat?' }), ['Peter'])).toBe(false);
    expect(addressesNobody(message({ content: 'what now, <@900>?', mentionedUserIds: ['900'] }), [])).toBe(
      false,
    );
    expect(addressesNobody(message({ content: 'agreed', repliedToUserId: '900' }), [])).toBe(false);
    expect(addressesNobody(message({ content: 'hello?', isDirectMessage: true }), [])).toBe(false);
    expect(addressesNobody(message({ content: '   ' }), [])).toBe(false);
  });
});
