/** Pieces the conversations and playground pages share: a QC result and wiki snippets. */
import { formatNumber } from '../components';
import type { QcResult, Snippet } from '../types';

export function QcText(props: { qc: QcResult | null | undefined }) {
  const qc = props.qc;
  if (!qc) return <span>not checked</span>;
  const passed = qc.passed ?? qc.accepted;
  const verdict = passed === undefined ? '' : passed ? 'passed' : 'failed';
  const score = typeof qc.score === 'number' ? `score ${formatNumber(qc.score)}` : '';
  const attempts = typeof qc.attempts === 'number' && qc.attempts > 1 ? `${qc.attempts} attempts` : '';
  return (
    <span data-testid="qc">
      {[verdict, score, attempts].filter(Boolean).join(', ') || 'checked'}
      {qc.feedback && <span class="muted"> ({qc.feedback})</span>}
    </span>
  );
}

export function Snippets(props: { snippets: Snippet[] }) {
  return (
    <div class="snippets">
      <h4>Wiki snippets</h4>
      <ul aria-label="Wiki snippets">
        {props.snippets.map((s, i) => (
          <li key={i}>
            {safeUrl(s.url) ? (
              <a href={s.url} target="_blank" rel="noreferrer">
                {s.title || s.url}
              </a>
            ) : (
              <span>{s.title || s.url}</span>
            )}
            {s.text && <blockquote>{s.text}</blockquote>}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Only http(s) links are made clickable (a snippet's URL comes from crawled data). */
function safeUrl(url: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}
