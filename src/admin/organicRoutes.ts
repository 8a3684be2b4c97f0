import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
} from '@temporalio/client';
import { silenceCheckInput } from '../organic/schedules';
import {
  organicScheduleId,
  type OrganicThresholds,
  type SilenceCheckInput,
} from '../workflows/contracts/organic';
import { HttpError, readJsonObject, type Route } from './http';

const MAX_SECONDS = 7 * 24 * 3600;

/**
 * Organic conversations, steered through each channel's silence-check schedule (the
 * durable state lives in Temporal, visible in its UI): GET /organic/:channel shows it;
 * POST /organic/:channel/{pause,resume} pauses its checks, /trigger runs a check now
 * (thresholds still apply), /settings changes thresholds and the check interval.
 */
export function organicRoutes(options: { temporal: Client }): Route[] {
  const scheduleOf = async (channelId: string): Promise<[ScheduleHandle, ScheduleDescription]> => {
    const handle = options.temporal.schedule.getHandle(organicScheduleId(channelId));
    try {
      return [handle, await handle.describe()];
    } catch (err) {
      if (err instanceof ScheduleNotFoundError)
        throw new HttpError(404, `channel ${channelId} has no organic schedule (is it in ORGANIC_CHANNELS?)`);
      throw err;
    }
  };
  const stateOf = async (channelId: string) => describeSchedule((await scheduleOf(channelId))[1]);
  const action = (name: string, act: (handle: ScheduleHandle) => Promise<void>): Route => ({
    method: 'POST',
    path: new RegExp(`^/organic/(?<channel>\\d{15,25})/${name}$`),
    handle: async (_req, { channel }) => {
      const [handle] = await scheduleOf(channel as string);
      await act(handle);
      return [202, await stateOf(channel as string)];
    },
  });

  return [
    {
      method: 'GET',
      path: /^\/organic\/(?<channel>\d{15,25})$/,
      handle: async (_req, { channel }) => [200, await stateOf(channel as string)],
    },
    action('pause', (handle) => handle.pause('organic conversations paused by admin')),
    action('resume', (handle) => handle.unpause('organic conversations resumed by admin')),
    // SKIP like the schedule: a check still waiting for its conversation is not doubled.
    action('trigger', (handle) => handle.trigger(ScheduleOverlapPolicy.SKIP)),
    {
      method: 'POST',
      path: /^\/organic\/(?<channel>\d{15,25})\/settings$/,
      handle: async (req, { channel }) => {
        const channelId = channel as string;
        const [handle, description] = await scheduleOf(channelId);
        const changes = organicSettingsChanges(await readJsonObject(req));
        const thresholds = { ...checkInputOf(description), ...changes.thresholds };
        await handle.update((previous) => ({
          ...previous,
          spec: changes.checkSeconds
            ? { ...previous.spec, intervals: [{ every: `${changes.checkSeconds}s` }] }
            : previous.spec,
          action: { ...previous.action, args: [silenceCheckInput(channelId, thresholds)] },
        }));
        return [200, await stateOf(channelId)];
      },
    },
  ];
}

function checkInputOf(description: ScheduleDescription): SilenceCheckInput {
  return description.action.args?.[0] as SilenceCheckInput;
}

function describeSchedule(description: ScheduleDescription) {
  const input = checkInputOf(description);
  const every = description.spec.intervals?.[0]?.every;
  return {
    schedule_id: description.scheduleId,
    paused: description.state.paused,
    note: description.state.note ?? null,
    settings: {
      silence_seconds: input.silenceSeconds,
      cooldown_seconds: input.cooldownSeconds,
      quiet_hours_utc: input.quietHoursUtc && {
        start_hour: input.quietHoursUtc.startHour,
        end_hour: input.quietHoursUtc.endHour,
      },
      check_seconds: typeof every === 'number' ? every / 1000 : null,
    },
    next_action_times: description.info.nextActionTimes,
    recent_actions: description.info.recentActions.map((result) => ({
      scheduled_at: result.scheduledAt,
      workflow_id: result.action.workflow.workflowId,
    })),
  };
}

/** Validates a settings body: every field optional, unknown fields refused. */
export function organicSettingsChanges(body: Record<string, unknown>): {
  thresholds: Partial<OrganicThresholds>;
  checkSeconds: number | undefined;
} {
  const problems: string[] = [];
  const known = ['silence_seconds', 'cooldown_seconds', 'check_seconds', 'quiet_hours_utc'];
  for (const key of Object.keys(body)) if (!known.includes(key)) problems.push(`unknown field "${key}"`);
  const integer = (value: unknown, name: string, min: number, max: number): number | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer in ${min}..${max}`);
      return undefined;
    }
    return value;
  };
  const thresholds: Partial<OrganicThresholds> = {};
  const silence = integer(body.silence_seconds, 'silence_seconds', 1, MAX_SECONDS);
  if (silence !== undefined) thresholds.silenceSeconds = silence;
  const cooldown = integer(body.cooldown_seconds, 'cooldown_seconds', 1, MAX_SECONDS);
  if (cooldown !== undefined) thresholds.cooldownSeconds = cooldown;
  const quiet = body.quiet_hours_utc;
  if (quiet === null) thresholds.quietHoursUtc = null;
  else if (quiet !== undefined) {
    const hours = (typeof quiet === 'object' && !Array.isArray(quiet) ? quiet : {}) as Record<
      string,
      unknown
    >;
    const startHour = integer(hours.start_hour, 'quiet_hours_utc.start_hour', 0, 23);
    const endHour = integer(hours.end_hour, 'quiet_hours_utc.end_hour', 0, 23);
    if (startHour === undefined || endHour === undefined)
      problems.push('quiet_hours_utc must be null or {"start_hour": 0-23, "end_hour": 0-23}');
    else thresholds.quietHoursUtc = { startHour, endHour };
  }
  const checkSeconds = integer(body.check_seconds, 'check_seconds', 1, 86_400);
  if (problems.length > 0) throw new HttpError(400, problems.join('; '));
  return { thresholds, checkSeconds };
}
