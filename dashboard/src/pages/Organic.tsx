/**
 * Organic conversations (#/organic), refreshed every 10 s. Accessible names: heading "Organic";
 * per channel a region "Channel <id>" (data-testid "organic-<id>") with the schedule state as text
 * ("active" / "paused", data-testid "organic-state"), last check, last starter, next check; buttons
 * "Pause", "Resume", "Trigger a check"; form "Settings of channel <id>" with fields "Silence
 * (seconds)", "Cooldown (seconds)", "Check every (seconds)", checkbox "Quiet hours", "Quiet from (UTC
 * hour)", "Quiet until (UTC hour)" and button "Save settings". Outcomes in role="status"
 * (data-testid "organic-outcome") or role="alert".
 */
import { useEffect, useState } from 'preact/hooks';
import { api, seg } from '../api';
import { LoadError, Outcome, StateBadge, Time, useAction, useLoad } from '../components';
import type { OrganicChannel } from '../types';

const POLL_MS = 10_000;

export function OrganicPage() {
  const channels = useLoad(() => api.get<{ channels: OrganicChannel[] }>('/organic'), [], POLL_MS);
  return (
    <>
      <h1 tabIndex={-1}>Organic</h1>
      <p class="muted">
        Each channel's silence check runs on a Temporal schedule; a paused schedule starts nothing.
      </p>
      <LoadError error={channels.error} />
      {channels.data && channels.data.channels.length === 0 && (
        <p>No channels have organic conversations (ORGANIC_CHANNELS is empty).</p>
      )}
      {channels.data?.channels.map((c) => (
        <ChannelCard key={c.channel_id} channel={c} onChanged={() => void channels.reload()} />
      ))}
    </>
  );
}

function ChannelCard(props: { channel: OrganicChannel; onChanged: () => void }) {
  const c = props.channel;
  const id = `organic-${c.channel_id}`;
  const action = useAction();
  const act = (kind: 'pause' | 'resume' | 'trigger') =>
    action.run(async () => {
      const state = await api.post<{ paused: boolean }>(`/organic/${seg(c.channel_id)}/${kind}`);
      props.onChanged();
      const done = kind === 'pause' ? 'Paused' : kind === 'resume' ? 'Resumed' : 'Triggered a check';
      return `${done}: the schedule is ${state.paused ? 'paused' : 'active'}.`;
    });

  return (
    <section class="card" aria-labelledby={`${id}-heading`} data-testid={id}>
      <h2 id={`${id}-heading`}>Channel {c.channel_id}</h2>
      <dl class="facts">
        <dt>Schedule</dt>
        <dd data-testid="organic-state">
          <StateBadge ok={!c.paused} okText="active" badText="paused" />
          {c.note && <span class="muted"> ({c.note})</span>}
        </dd>
        <dt>Last check</dt>
        <dd>
          <Time iso={c.last_check_at} />
        </dd>
        <dt>Last starter</dt>
        <dd>
          {c.last_starter ? (
            <>
              {c.last_starter.character}, <Time iso={c.last_starter.at} />
            </>
          ) : (
            'none yet'
          )}
        </dd>
        <dt>Next check</dt>
        <dd>
          <Time iso={c.next_action_times[0]} />
        </dd>
      </dl>
      <div class="actions">
        <button type="button" disabled={action.busy || c.paused} onClick={() => void act('pause')}>
          Pause
        </button>
        <button type="button" disabled={action.busy || !c.paused} onClick={() => void act('resume')}>
          Resume
        </button>
        <button type="button" disabled={action.busy} onClick={() => void act('trigger')}>
          Trigger a check
        </button>
      </div>
      <Outcome message={action.message} error={action.error} testid="organic-outcome" />
      <SettingsForm channel={c} onSaved={props.onChanged} />
    </section>
  );
}

function SettingsForm(props: { channel: OrganicChannel; onSaved: () => void }) {
  const c = props.channel;
  const id = `organic-${c.channel_id}-settings`;
  const fromChannel = () => ({
    silence: String(c.settings.silence_seconds),
    cooldown: String(c.settings.cooldown_seconds),
    check: c.settings.check_seconds === null ? '' : String(c.settings.check_seconds),
    quiet: c.settings.quiet_hours_utc !== null,
    start: String(c.settings.quiet_hours_utc?.start_hour ?? 23),
    end: String(c.settings.quiet_hours_utc?.end_hour ?? 7),
  });
  const [form, setForm] = useState(fromChannel);
  const [dirty, setDirty] = useState(false);
  // Follow the server's values while the admin is not editing.
  useEffect(() => {
    if (!dirty) setForm(fromChannel());
  }, [c.settings]); // fromChannel reads c.settings
  const action = useAction();
  const update = (patch: Partial<ReturnType<typeof fromChannel>>) => {
    setDirty(true);
    setForm((f) => ({ ...f, ...patch }));
  };

  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const body: Record<string, unknown> = {
        silence_seconds: Number(form.silence),
        cooldown_seconds: Number(form.cooldown),
        quiet_hours_utc: form.quiet ? { start_hour: Number(form.start), end_hour: Number(form.end) } : null,
      };
      if (form.check !== '') body.check_seconds = Number(form.check);
      await api.post(`/organic/${seg(c.channel_id)}/settings`, body);
      setDirty(false);
      props.onSaved();
      return 'Settings saved.';
    });
  };

  const field = (key: 'silence' | 'cooldown' | 'check', label: string, required: boolean) => (
    <div class="field">
      <label for={`${id}-${key}`}>{label}</label>
      <input
        id={`${id}-${key}`}
        type="number"
        min={1}
        step={1}
        required={required}
        value={form[key]}
        onInput={(e) => update({ [key]: e.currentTarget.value })}
      />
    </div>
  );

  return (
    <form onSubmit={submit} aria-label={`Settings of channel ${c.channel_id}`} class="settings">
      <h3>Settings</h3>
      {field('silence', 'Silence (seconds)', true)}
      {field('cooldown', 'Cooldown (seconds)', true)}
      {field('check', 'Check every (seconds)', false)}
      <fieldset>
        <legend>Quiet hours (UTC)</legend>
        <div class="field-inline">
          <input
            id={`${id}-quiet`}
            type="checkbox"
            checked={form.quiet}
            onChange={(e) => update({ quiet: e.currentTarget.checked })}
          />
          <label for={`${id}-quiet`}>Quiet hours</label>
        </div>
        <div class="field">
          <label for={`${id}-start`}>Quiet from (UTC hour)</label>
          <input
            id={`${id}-start`}
            type="number"
            min={0}
            max={23}
            step={1}
            disabled={!form.quiet}
            value={form.start}
            onInput={(e) => update({ start: e.currentTarget.value })}
          />
        </div>
        <div class="field">
          <label for={`${id}-end`}>Quiet until (UTC hour)</label>
          <input
            id={`${id}-end`}
            type="number"
            min={0}
            max={23}
            step={1}
            disabled={!form.quiet}
            value={form.end}
            onInput={(e) => update({ end: e.currentTarget.value })}
          />
        </div>
      </fieldset>
      <button type="submit" disabled={action.busy}>
        Save settings
      </button>
      <Outcome message={action.message} error={action.error} testid="organic-settings-outcome" />
    </form>
  );
}
