/**
 * Exporting a character as a Character Card V3: JSON, or a PNG with the card in a `ccv3` tEXt chunk
 * and a V2 copy in `chara` for V2-only readers. Re-importing an export gives the same prompt text,
 * lorebook, starters, aliases, fallback line and talkativeness.
 */
import type { Lorebook } from '../../lore/types';
import type { Avatar, CardPromptFields, CharacterProfile } from '../profile';
import { toCardCharacterBook } from './lorebook';
import { isCardChunk, placeholderPng, readPngChunks, textChunk, writePng } from './png';
import { isJsonObject } from './read';
import type { CardAsset, CardV3, CardV3Data, FgBotsExtension } from './types';

export interface CharacterToExport {
  profile: CharacterProfile;
  /** The default prompt version's text. */
  promptText: string;
  /** That version's card fields; null for a prompt not made from a card (built-in, admin). */
  cardFields: CardPromptFields | null;
  lorebook: Lorebook | null;
}

const MAIN_ICON: CardAsset = { type: 'icon', uri: 'ccdefault:', name: 'main', ext: 'png' };
/** V3 fields a V2 card does not have (left out of the `chara` copy). */
const V3_ONLY_FIELDS = [
  'nickname',
  'group_only_greetings',
  'assets',
  'source',
  'creator_notes_multilingual',
  'creation_date',
  'modification_date',
];

export function characterToCard({ profile, promptText, cardFields, lorebook }: CharacterToExport): CardV3 {
  // Without card fields the whole prompt is the system_prompt: re-importing composes it back as it is.
  const fields = cardFields ?? { ...EMPTY_FIELDS, system_prompt: promptText };
  const { extensions: keptExtensions, assets: keptAssets, ...kept } = profile.card?.data ?? {};
  const [firstMes = '', ...groupGreetings] = profile.organic_starters;
  const fgBots: FgBotsExtension = { fallback_line: profile.fallback_line, aliases: profile.aliases };
  const data: CardV3Data = {
    creator_notes: '',
    alternate_greetings: [],
    tags: [],
    creator: '',
    character_version: '',
    ...kept,
    name: profile.name,
    ...fields,
    first_mes: firstMes,
    group_only_greetings: groupGreetings,
    assets: [MAIN_ICON, ...otherAssets(keptAssets)],
    extensions: {
      ...(isJsonObject(keptExtensions) ? keptExtensions : {}),
      talkativeness: profile.talkativeness,
      fg_bots: fgBots,
    },
    ...(lorebook ? { character_book: toCardCharacterBook(lorebook) } : {}),
  };
  return { spec: 'chara_card_v3', spec_version: '3.0', data };
}

const EMPTY_FIELDS: CardPromptFields = {
  description: '',
  personality: '',
  scenario: '',
  mes_example: '',
  system_prompt: '',
  post_history_instructions: '',
};

/** The card's assets but its main icon, which is the exported PNG itself (ccdefault:). */
function otherAssets(assets: unknown): CardAsset[] {
  if (!Array.isArray(assets)) return [];
  return (assets as CardAsset[]).filter((asset) => !(asset.type === 'icon' && asset.name === 'main'));
}

export function cardToJson(card: CardV3): string {
  return `${JSON.stringify(card, null, 2)}\n`;
}

/**
 * The avatar PNG (or a placeholder when the character has none, or one that is not a PNG) with the
 * card in it: `ccv3` and `chara` tEXt chunks before IEND, replacing any card chunks it had.
 */
export function cardToPng(card: CardV3, avatar: Avatar | null): Buffer {
  const image = avatar?.mime === 'image/png' ? avatar.data : placeholderPng(card.data.name);
  const chunks = readPngChunks(image).filter((chunk) => !isCardChunk(chunk));
  const iend = chunks.pop();
  if (!iend) throw new Error('unreachable: readPngChunks returns chunks up to IEND');
  return writePng([
    ...chunks,
    textChunk('chara', base64Json(cardToV2(card))),
    textChunk('ccv3', base64Json(card)),
    iend,
  ]);
}

function base64Json(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
}

/** The V2 copy: V2's spec, V3's data without the V3-only fields. */
function cardToV2(card: CardV3): {
  spec: 'chara_card_v2';
  spec_version: '2.0';
  data: Record<string, unknown>;
} {
  const data = Object.fromEntries(Object.entries(card.data).filter(([key]) => !V3_ONLY_FIELDS.includes(key)));
  return { spec: 'chara_card_v2', spec_version: '2.0', data };
}
