/**
 * The characters page's channels: table "Channel settings" (a row per channel with settings, data-testid
 * "channel-<id>", button "Edit <id>"), and form "Cast and scenario of a channel": textbox "Channel ID",
 * group "Cast" with radios "Every active character" / "Only these characters" and a checkbox per
 * character, textbox "Scenario", number field "Follow-up chain limit" (empty: the default), buttons
 * "Save channel" and "Use the defaults"; outcome data-testid "channel-outcome".
 */
import { useState } from 'preact/hooks';
import { api, seg } from '../api';
import { LoadError, Outcome, Time, useAction, useLoad } from '../components';
import type { ChannelSettings, CharacterSummary } from '../types';

interface ChannelForm {
  channelId: string;
  everyone: boolean;
  cast: string[];
  scenario: string;
  /** Empty: FOLLOW_UP_MAX_CHAIN. */
  followUps: string;
}

const BLANK: ChannelForm = { channelId: '', everyone: true, cast: [], scenario: '', followUps: '' };

function formOf(settings: ChannelSettings): ChannelForm {
  return {
    channelId: settings.channel_id,
    everyone: settings.cast === null,
    cast: settings.cast ?? [],
    scenario: settings.scenario ?? '',
    followUps: settings.follow_up_max_chain === null ? '' : String(settings.follow_up_max_chain),
  };
}

function bodyOf(form: ChannelForm): Omit<ChannelSettings, 'channel_id'> {
  return {
    cast: form.everyone ? null : form.cast,
    scenario: form.scenario.trim() || null,
    follow_up_max_chain: form.followUps === '' ? null : Number(form.followUps),
  };
}

export function Channels(props: { characters: CharacterSummary[] }) {
  const channels = useLoad(
    () => api.get<{ channels: ChannelSettings[] }>('/channels').then((r) => r.channels),
    [],
  );
  const [form, setForm] = useState<ChannelForm>(BLANK);
  const action = useAction();
  const channelId = form.channelId.trim();

  const save = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const saved = await api.put<ChannelSettings>(`/channels/${seg(channelId)}`, bodyOf(form));
      await channels.reload();
      return `Saved channel ${channelId}: ${castText(saved.cast)}.`;
    });
  };
  const clearSettings = () =>
    action.run(async () => {
      await api.delete(`/channels/${seg(channelId)}`);
      await channels.reload();
      setForm({ ...BLANK, channelId });
      return `Channel ${channelId} uses the defaults again: every active character, no scenario.`;
    });

  return (
    <section aria-labelledby="channels-heading">
      <h2 id="channels-heading">Channels</h2>
      <p class="muted">
        Who is present in a channel (the others stay silent there, even when named), the scenario added to
        their prompts there, and how many characters may follow up on each other. A channel without settings
        has every active character and no scenario.
      </p>
      <LoadError error={channels.error} />
      {channels.data && (
        <ChannelTable channels={channels.data} onEdit={(c) => setForm(formOf(c))} busy={action.busy} />
      )}
      <form class="card" onSubmit={save} aria-label="Cast and scenario of a channel">
        <h3>Cast and scenario of a channel</h3>
        <div class="field">
          <label for="channel-id">Channel ID</label>
          <input
            id="channel-id"
            required
            inputMode="numeric"
            autoComplete="off"
            value={form.channelId}
            onInput={(e) => setForm({ ...form, channelId: e.currentTarget.value })}
          />
        </div>
        <CastPicker characters={props.characters} form={form} onChange={setForm} />
        <div class="field">
          <label for="channel-scenario">Scenario</label>
          <textarea
            id="channel-scenario"
            rows={3}
            value={form.scenario}
            onInput={(e) => setForm({ ...form, scenario: e.currentTarget.value })}
            aria-describedby="channel-scenario-hint"
          />
          <small id="channel-scenario-hint">
            Empty: none. {'{{char}}'} and {'{{user}}'} are filled in.
          </small>
        </div>
        <div class="field">
          <label for="channel-follow-ups">Follow-up chain limit</label>
          <input
            id="channel-follow-ups"
            type="number"
            min={0}
            step={1}
            value={form.followUps}
            onInput={(e) => setForm({ ...form, followUps: e.currentTarget.value })}
            aria-describedby="channel-follow-ups-hint"
          />
          <small id="channel-follow-ups-hint">Empty: FOLLOW_UP_MAX_CHAIN.</small>
        </div>
        <div class="actions">
          <button type="submit" disabled={action.busy || !channelId}>
            Save channel
          </button>
          <button type="button" disabled={action.busy || !channelId} onClick={() => void clearSettings()}>
            Use the defaults
          </button>
        </div>
        <Outcome message={action.message} error={action.error} testid="channel-outcome" />
      </form>
    </section>
  );
}

function castText(cast: string[] | null): string {
  if (cast === null) return 'every active character';
  return cast.length === 0 ? 'nobody' : cast.join(', ');
}

function ChannelTable(props: {
  channels: ChannelSettings[];
  onEdit: (settings: ChannelSettings) => void;
  busy: boolean;
}) {
  if (props.channels.length === 0) return <p>No channel has settings of its own.</p>;
  return (
    <table>
      <caption>Channel settings</caption>
      <thead>
        <tr>
          <th scope="col">Channel</th>
          <th scope="col">Cast</th>
          <th scope="col">Scenario</th>
          <th scope="col">Follow-up chain limit</th>
          <th scope="col">Updated</th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {props.channels.map((c) => (
          <tr key={c.channel_id} data-testid={`channel-${c.channel_id}`}>
            <th scope="row">
              <code>{c.channel_id}</code>
            </th>
            <td>{castText(c.cast)}</td>
            <td class="wrap">{c.scenario ?? 'none'}</td>
            <td>{c.follow_up_max_chain ?? 'default'}</td>
            <td>
              <Time iso={c.updated_at} />
              {c.updated_by && <span class="muted"> by {c.updated_by}</span>}
            </td>
            <td>
              <button
                type="button"
                disabled={props.busy}
                onClick={() => props.onEdit(c)}
                aria-label={`Edit ${c.channel_id}`}
              >
                Edit
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Everyone, or the checked characters (active ones, and any retired one already in the cast). */
function CastPicker(props: {
  characters: CharacterSummary[];
  form: ChannelForm;
  onChange: (form: ChannelForm) => void;
}) {
  const { form, onChange } = props;
  const names = props.characters
    .filter((c) => c.status === 'active' || form.cast.includes(c.name))
    .map((c) => c.name);
  const toggle = (name: string, on: boolean) =>
    onChange({ ...form, cast: on ? [...form.cast, name] : form.cast.filter((n) => n !== name) });

  return (
    <fieldset>
      <legend>Cast</legend>
      <div class="field-inline">
        <input
          id="cast-everyone"
          type="radio"
          name="cast-mode"
          checked={form.everyone}
          onChange={() => onChange({ ...form, everyone: true })}
        />
        <label for="cast-everyone">Every active character</label>
      </div>
      <div class="field-inline">
        <input
          id="cast-chosen"
          type="radio"
          name="cast-mode"
          checked={!form.everyone}
          onChange={() => onChange({ ...form, everyone: false })}
        />
        <label for="cast-chosen">Only these characters</label>
      </div>
      <div class="actions">
        {names.map((name) => (
          <span class="field-inline" key={name}>
            <input
              id={`cast-${name}`}
              type="checkbox"
              disabled={form.everyone}
              checked={form.cast.includes(name)}
              onChange={(e) => toggle(name, e.currentTarget.checked)}
            />
            <label for={`cast-${name}`}>{name}</label>
          </span>
        ))}
      </div>
    </fieldset>
  );
}
