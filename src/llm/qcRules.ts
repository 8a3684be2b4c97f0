/**
 * Cheap rule-based checks for the failure modes small local models kept showing in the
 * original system: leaked speaker labels, *stage directions*, third-person speech, one
 * character speaking as another, rambling, repetition, and dropping the role altogether.
 * They run before the LLM assessment; a reply that fails one is rejected without asking
 * the model.
 */

export type QcRule =
  | 'leaked_prefix'
  | 'stage_direction'
  | 'third_person'
  | 'speaks_as_other'
  | 'too_long'
  | 'repetition'
  | 'breaks_character';

export interface RuleViolation {
  rule: QcRule;
  /** What was found, quoted, for the feedback text. */
  evidence: string;
  /** True when cleaning already removed it from the text that is sent (noted, not penalised). */
  fixedByCleaning: boolean;
}

export interface RuleCheckInput {
  /** What the model returned. */
  raw: string;
  /** What would be sent (after cleanReply). */
  final: string;
  character: string;
  otherCharacters: string[];
  maxChars: number;
}

// Verbs of narrated action, as in "*laughs*", "(sighs)", "[takes a sip]".
const ACTION_WORDS =
  'laugh|chuckle|giggle|snicker|sigh|smirk|grin|smile|wink|nod|shrug|cough|burp|fart|snort|gasp|scoff|roll|sip|drink|take|look|glance|raise|lean|point|clear|adjust|pause|whisper|mutter|shout|scream|yell|cry|sob|clap|wave|stare|turn|walk|sit|stand|jump|rub|scratch|cross|hold|pour|light|puff|hiccup|belch|slam|grab|pull|push|open|close|throw|mumble|groan|grumble|snap|twirl|stroke|tap|spin|dance|bow|blink|frown|squint|pat|hug|punch|kick|hit';
const ACTION = new RegExp(`^(?:\\w+ly\\s+)?(?:${ACTION_WORDS})(?:s|es|ed|ing)?\\b`, 'i');

// Verbs that, right after the speaker's own name, make it third-person narration.
const SELF_VERBS =
  "is|was|has|had|does|did|doesn't|isn't|wasn't|thinks|wants|will|would|can|could|likes|loves|hates|says|feels|knows|needs|says|believes|gets|goes|must|should|shall|'s|'ll|'d";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function namePattern(names: string[]): string {
  return names.map(escapeRegExp).join('|');
}

function labelAtLineStart(text: string, names: string[]): RegExpExecArray | null {
  if (names.length === 0) return null;
  return new RegExp(
    `(?:^|\\n)\\s*[*_]{0,2}[\\[(]?(?:${namePattern(names)})(?:\\s+griffin)?[\\])]?[*_]{0,2}\\s*:`,
    'i',
  ).exec(text);
}

function stageDirections(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(
    /\*{1,2}([^*\n]{2,120})\*{1,2}|\(([^()\n]{2,80})\)|\[([^[\]\n]{2,80})\]/g,
  )) {
    const inner = (match[1] ?? match[2] ?? match[3] ?? '').trim();
    // Emphasis like *really* or (see above) is fine; narrated actions are not.
    if (ACTION.test(inner)) found.push(match[0]);
  }
  return found;
}

function thirdPerson(text: string, character: string): string | null {
  const own = escapeRegExp(character);
  const narration = new RegExp(`\\b${own}(?:\\s+griffin)?\\s+(?:${SELF_VERBS})\\b`, 'i').exec(text);
  if (narration) return narration[0];
  // "Peter's favourite..." about oneself; "Peter's here" is caught above via 's.
  const possessive = new RegExp(`\\b${own}'s\\s+[a-z]`, 'i').exec(text);
  return possessive ? possessive[0] : null;
}

function speaksAsOther(text: string, others: string[]): string | null {
  if (others.length === 0) return null;
  const label = labelAtLineStart(text, others);
  if (label) return label[0].trim();
  const claim = new RegExp(
    `\\b(?:i'm|i am|it's me,?|this is|as|signed,?)\\s+(?:${namePattern(others)})\\b(?!\\s+(?:said|says|would|told))`,
    'i',
  ).exec(text);
  return claim ? claim[0] : null;
}

function repetition(text: string): string | null {
  const sentences = text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) =>
      s
        .toLowerCase()
        .replace(/[^a-z0-9 ]/g, '')
        .trim(),
    )
    .filter((s) => s.length >= 15);
  const seen = new Set<string>();
  for (const sentence of sentences) {
    if (seen.has(sentence)) return sentence;
    seen.add(sentence);
  }
  // The same 4 words three times or more ("I love beer I love beer I love beer ...").
  const words = text.toLowerCase().match(/[a-z0-9']+/g) ?? [];
  const counts = new Map<string, number>();
  for (let i = 0; i + 4 <= words.length; i++) {
    const gram = words.slice(i, i + 4).join(' ');
    const count = (counts.get(gram) ?? 0) + 1;
    if (count >= 3) return gram;
    counts.set(gram, count);
  }
  return null;
}

const BREAKS_CHARACTER =
  /\b(?:as an ai\b|an ai (?:language )?model|a language model|i'm an ai\b|i am an ai\b|i cannot (?:role-?play|pretend)|i can't (?:role-?play|pretend to be)|openai|large language model)/i;

/** Every rule the reply breaks; an empty list means it passed. */
export function checkReply(input: RuleCheckInput): RuleViolation[] {
  const { raw, final, character, otherCharacters } = input;
  const violations: RuleViolation[] = [];
  const add = (rule: QcRule, evidenceInFinal: string | null, evidenceInRaw: string | null) => {
    if (evidenceInFinal) violations.push({ rule, evidence: evidenceInFinal, fixedByCleaning: false });
    else if (evidenceInRaw) violations.push({ rule, evidence: evidenceInRaw, fixedByCleaning: true });
  };
  const ownLabel = (text: string) => labelAtLineStart(text, [character])?.[0].trim() ?? null;

  add('leaked_prefix', ownLabel(final), ownLabel(raw));
  add('speaks_as_other', speaksAsOther(final, otherCharacters), speaksAsOther(raw, otherCharacters));
  add('stage_direction', stageDirections(final)[0] ?? null, stageDirections(raw)[0] ?? null);
  add('third_person', thirdPerson(final, character), null);
  add('too_long', final.length > input.maxChars ? `${final.length} characters` : null, null);
  add('repetition', repetition(final), null);
  add('breaks_character', BREAKS_CHARACTER.exec(final)?.[0] ?? null, null);
  return violations;
}

/** Violations still present in what would be sent. */
export function unfixedViolations(violations: RuleViolation[]): RuleViolation[] {
  return violations.filter((v) => !v.fixedByCleaning);
}

/** One line per violation, for feedback_text. */
export function describeViolations(violations: RuleViolation[]): string {
  return violations
    .map(
      (v) => `${v.rule}${v.fixedByCleaning ? ' (removed by cleaning)' : ''}: ${JSON.stringify(v.evidence)}`,
    )
    .join('; ');
}

/** A too-long reply is trimmed (without another LLM call) when the cut keeps at least this share of it. */
export const TRIM_KEEPS_MOST = 0.5;

/** How long a generated reply may be (QC_MAX_REPLY_CHARS), and how hard to hold it to that. */
export interface ReplyLengthLimit {
  maxChars: number;
  /**
   * False: trim only when a sentence boundary under the limit keeps most of the reply
   * (TRIM_KEEPS_MOST); otherwise leave it for the too_long rule (QC then asks once for a
   * shorter one). True, the last chance: trim however much that loses.
   */
  force: boolean;
}

/**
 * `text` cut to at most `limit.maxChars` at the last sentence end (or line break) that fits,
 * or undefined when that would keep less than most of it and `force` is off. With `force`
 * and no sentence end that fits, it is cut at a word boundary and ends with "…".
 */
export function trimToLength(text: string, limit: ReplyLengthLimit): string | undefined {
  const { maxChars } = limit;
  if (text.length <= maxChars) return text;
  let end = 0;
  for (const match of text.matchAll(/[.!?…]+["'”’)\]*_]*(?=\s)|\n/g)) {
    const boundary = match.index + (match[0] === '\n' ? 0 : match[0].length);
    if (boundary > maxChars) break;
    end = boundary;
  }
  const cut = text.slice(0, end).trimEnd();
  if (cut.length > 0 && (limit.force || cut.length >= TRIM_KEEPS_MOST * text.length)) return cut;
  if (!limit.force) return undefined;
  let room = text.slice(0, maxChars - 1);
  const last = room.charCodeAt(room.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) room = room.slice(0, -1); // do not split a surrogate pair
  const space = room.search(/\s\S*$/);
  return `${(space > 0 ? room.slice(0, space) : room).trimEnd()}…`;
}
