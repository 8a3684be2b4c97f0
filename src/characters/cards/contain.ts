/**
 * Containment of card text: a card is text from anyone, and every text field of it goes into a
 * prompt. Control characters (but newline and tab), bidirectional overrides and the chat-template
 * tokens models are trained to obey (`<|im_start|>`, `[INST]`, `<s>`, `<<SYS>>`, `### Instruction:`
 * headers at a line start) are taken out, so card text cannot open a turn or a role of its own.
 */

const CONTROL_CHARACTERS = /[^\P{Cc}\n\t]|[\u202A-\u202E\u2066-\u2069]/gu;
/** Replaced by a space, not removed: removing could join the pieces around it into a new token. */
const CHAT_TEMPLATE_TOKENS = /<\|[^<>|\n]{0,64}\|>|\[\/?INST\]|<\/?s>|<<\/?SYS>>/gi;
const ROLE_HEADERS =
  /^[ \t]*(?:#{2,}[ \t]*)+(?:instruction|response|input|system|user|assistant|human)\b[^\n:]{0,40}:?/gim;

export function containCardText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL_CHARACTERS, '')
    .replace(CHAT_TEMPLATE_TOKENS, ' ')
    .replace(ROLE_HEADERS, '');
}
