/** Character Card V2/V3 import and export: pure functions, no I/O (the import service writes). */
export { CardError } from './errors';
export * from './limits';
export { parseCardFile, parseCardJson } from './parse';
export { composeCardPrompt, DEFAULT_CARD_INTRO } from './prompt';
export { characterToCard, cardToJson, cardToPng, type CharacterToExport } from './export';
export { containCardText } from './contain';
export type {
  CardV3,
  CardV3Data,
  CardCharacterBook,
  CardLoreEntry,
  CardAsset,
  FgBotsExtension,
} from './types';
