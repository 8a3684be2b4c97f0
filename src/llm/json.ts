/**
 * The one JSON object a model was asked for: the whole answer (a ```json fence around it is tolerated, since
 * models add one even under a schema), or null when it is anything else.
 */
export function parseJsonObject(answer: string): Record<string, unknown> | null {
  const text = answer
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '');
  if (!text.startsWith('{') || !text.endsWith('}')) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
