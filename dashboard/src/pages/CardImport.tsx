/**
 * The characters page's card import: form "Import a character card" with file field "Card file (JSON or
 * PNG)", checkbox "Replace the character of the same name" and button "Import"; the outcome in
 * role="status" ("Imported <Name>: prompt version card-1, 3 lorebook entries, 2 organic starters.") or
 * the API's refusal in role="alert" (data-testid "import-outcome").
 */
import { useRef, useState } from 'preact/hooks';
import { api, withQuery } from '../api';
import { Outcome, useAction } from '../components';
import type { ImportResult } from '../types';

/** What every PNG file starts with: such a card goes as image/png, anything else as JSON. */
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function cardContentType(bytes: ArrayBuffer): string {
  const head = new Uint8Array(bytes, 0, Math.min(bytes.byteLength, PNG_SIGNATURE.length));
  const isPng = PNG_SIGNATURE.every((byte, i) => head[i] === byte);
  return isPng ? 'image/png' : 'application/json';
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

function describeImport(result: ImportResult): string {
  return (
    `Imported ${result.name}: prompt version ${result.prompt_version}, ` +
    `${plural(result.lore_entries, 'lorebook entry', 'lorebook entries')}, ` +
    `${plural(result.starters, 'organic starter', 'organic starters')}.`
  );
}

export function CardImport(props: { onImported: () => void }) {
  const fileInput = useRef<HTMLInputElement>(null);
  const [replace, setReplace] = useState(false);
  const action = useAction();

  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const file = fileInput.current?.files?.[0];
      if (!file) throw new Error('Choose a card file (JSON or PNG) first.');
      const bytes = await file.arrayBuffer();
      const path = withQuery('/characters/import', { replace: replace ? 'true' : undefined });
      const result = await api.postBytes<ImportResult>(path, bytes, cardContentType(bytes));
      props.onImported();
      return describeImport(result);
    });
  };

  return (
    <form class="card" onSubmit={submit} aria-label="Import a character card">
      <h2>Import a character card</h2>
      <p class="muted">
        A Character Card V2 or V3, as JSON or as a PNG with the card inside (SillyTavern, Chub). The card's
        name becomes the roster name; its prompt becomes a new prompt version, its lorebook the character's.
      </p>
      <div class="field">
        <label for="card-file">Card file (JSON or PNG)</label>
        <input
          id="card-file"
          ref={fileInput}
          type="file"
          required
          accept=".json,.png,application/json,image/png"
          onChange={action.clear}
        />
      </div>
      <div class="field-inline">
        <input
          id="card-replace"
          type="checkbox"
          checked={replace}
          onChange={(e) => setReplace(e.currentTarget.checked)}
        />
        <label for="card-replace">Replace the character of the same name</label>
      </div>
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          Import
        </button>
      </div>
      <Outcome message={action.message} error={action.error} testid="import-outcome" />
    </form>
  );
}
