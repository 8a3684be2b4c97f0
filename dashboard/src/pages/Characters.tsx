/**
 * Characters (#/characters): the roster in MongoDB, which the bots follow without a restart.
 * Accessible names: heading "Characters"; form "Import a character card" (CardImport.tsx); table
 * "Roster" with a row per character (data-testid "character-<Name>"): image "Avatar of <Name>" (when it
 * has one), status (data-testid "character-status": "active"/"retired"), delivery (data-testid
 * "character-delivery": "own bot", "webhook", "offline (no token)"), default prompt version (a link to its
 * prompt versions), its lorebook (data-testid "character-lorebook": "<book>, 3 entries" or "none"),
 * links "Export <Name> as JSON" and "Export <Name> as PNG", button "Retire <Name>" or "Activate <Name>";
 * outcome data-testid "roster-outcome". Then the channels' casts (Channels.tsx).
 */
import { api, seg, withQuery } from '../api';
import { LoadError, Outcome, StateBadge, useAction, useLoad } from '../components';
import type { CharacterSummary, Delivery, LorebookSummary } from '../types';
import { CardImport } from './CardImport';
import { Channels } from './Channels';

export function CharactersPage() {
  const roster = useLoad(
    () => api.get<{ characters: CharacterSummary[] }>('/characters').then((r) => r.characters),
    [],
  );
  const lorebooks = useLoad(
    () => api.get<{ lorebooks: LorebookSummary[] }>('/lorebooks').then((r) => r.lorebooks),
    [],
  );
  const reload = () => void Promise.all([roster.reload(), lorebooks.reload()]);
  return (
    <>
      <h1 tabIndex={-1}>Characters</h1>
      <p class="muted">
        The roster the bots follow: an import, a retirement or a channel's cast takes effect within seconds,
        without a restart.
      </p>
      <CardImport onImported={reload} />
      <section aria-labelledby="roster-heading">
        <h2 id="roster-heading">Roster</h2>
        <LoadError error={roster.error ?? lorebooks.error} />
        {roster.data && (
          <RosterTable characters={roster.data} lorebooks={lorebooks.data ?? []} onChanged={reload} />
        )}
      </section>
      <Channels characters={roster.data ?? []} />
    </>
  );
}

function RosterTable(props: {
  characters: CharacterSummary[];
  lorebooks: LorebookSummary[];
  onChanged: () => void;
}) {
  const action = useAction();
  const setStatus = (name: string, status: CharacterSummary['status']) =>
    action.run(async () => {
      await api.patch(`/characters/${seg(name)}`, { status });
      props.onChanged();
      return status === 'retired'
        ? `Retired ${name}: it answers nowhere now; its history stays.`
        : `Activated ${name}: it answers again.`;
    });

  if (props.characters.length === 0) return <p>The roster is empty.</p>;
  return (
    <>
      <Outcome message={action.message} error={action.error} testid="roster-outcome" />
      <table>
        <caption class="visually-hidden">Roster</caption>
        <thead>
          <tr>
            <th scope="col">
              <span class="visually-hidden">Avatar</span>
            </th>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col">Delivery</th>
            <th scope="col">Default prompt version</th>
            <th scope="col">Lorebook</th>
            <th scope="col">Source</th>
            <th scope="col">Export</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.characters.map((c) => (
            <CharacterRow
              key={c.name}
              character={c}
              lorebook={props.lorebooks.find((b) => b.scope === `character:${c.name.toLowerCase()}`) ?? null}
              busy={action.busy}
              onStatus={(status) => void setStatus(c.name, status)}
            />
          ))}
        </tbody>
      </table>
    </>
  );
}

function CharacterRow(props: {
  character: CharacterSummary;
  lorebook: LorebookSummary | null;
  busy: boolean;
  onStatus: (status: CharacterSummary['status']) => void;
}) {
  const c = props.character;
  const aliases = c.aliases.filter((alias) => alias !== c.name.toLowerCase());
  const active = c.status === 'active';
  return (
    <tr data-testid={`character-${c.name}`}>
      <td>
        <AvatarImage character={c} />
      </td>
      <th scope="row">
        {c.name}
        {aliases.length > 0 && <div class="muted small">also {aliases.join(', ')}</div>}
      </th>
      <td data-testid="character-status">
        <StateBadge ok={active} okText="active" badText="retired" />
      </td>
      <td data-testid="character-delivery">{DELIVERY_TEXT[c.delivery]}</td>
      <td>
        {c.default_prompt_version ? (
          <a href={`#/prompts?character=${encodeURIComponent(c.name)}`}>{c.default_prompt_version}</a>
        ) : (
          'none'
        )}
      </td>
      <td data-testid="character-lorebook">
        {props.lorebook
          ? `${props.lorebook.name || 'unnamed'}, ${entriesText(props.lorebook.entries)}`
          : 'none'}
      </td>
      <td>{c.source}</td>
      <td>
        <span class="actions">
          <CardLink name={c.name} format="json" />
          <CardLink name={c.name} format="png" />
        </span>
      </td>
      <td>
        <button
          type="button"
          disabled={props.busy}
          onClick={() => props.onStatus(active ? 'retired' : 'active')}
          aria-label={`${active ? 'Retire' : 'Activate'} ${c.name}`}
        >
          {active ? 'Retire' : 'Activate'}
        </button>
      </td>
    </tr>
  );
}

function entriesText(count: number): string {
  return `${count} ${count === 1 ? 'entry' : 'entries'}`;
}

const DELIVERY_TEXT: Record<Delivery, string> = {
  bot: 'own bot',
  webhook: 'webhook',
  offline: 'offline (no token)',
};

/** The stored avatar (GET /avatars/:name, same origin, so the CSP allows it), or the name's initial. */
function AvatarImage(props: { character: CharacterSummary }) {
  const { name, has_avatar } = props.character;
  if (!has_avatar)
    return (
      <span class="avatar avatar-none" aria-hidden="true">
        {name.charAt(0)}
      </span>
    );
  return (
    <img class="avatar" src={`/avatars/${seg(name)}`} alt={`Avatar of ${name}`} width={48} height={48} />
  );
}

/** A download of the character as a V3 card; the session cookie authorises the GET. */
function CardLink(props: { name: string; format: 'json' | 'png' }) {
  const upper = props.format.toUpperCase();
  return (
    <a
      href={withQuery(`/characters/${seg(props.name)}/card`, { format: props.format })}
      download={`${props.name}.${props.format}`}
      aria-label={`Export ${props.name} as ${upper}`}
    >
      {upper}
    </a>
  );
}
