import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
} from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { silenceCheckInput } from '../organic/schedules';
import {
  organicScheduleId,
  type OrganicThresholds,
  type SilenceCheckInput,
} from '../workflows/contracts/organic';
import { HttpError } from './http';
import { integerIn, MESSAGE, object, param, pathParams, responses } from './schemas';

const MAX_SECONDS = 7 * 24 * 3600;
const MAX_CHECK_SECONDS = 86_400;
/** A Discord channel id (a snowflake). */
const CHANNEL = '\\d{15,25}';
const channelUrl = (suffix = '') => `/organic/${param('channel', CHANNEL)}${suffix}`;
const channelParams = pathParams({ channel: CHANNEL });

/** A POST /organic/:channel/settings body: every field optional. */
export interface OrganicSettingsRequest {
  silence_seconds?: number;
  cooldown_seconds?: number;
  check_seconds?: number;
  quiet_hours_utc?: { start_hour: number; end_hour: number } | null;
}

/**
 * Organic conversations, steered through each channel's silence-check schedule (the
 * durable state lives in Temporal, visible in its UI): GET /organic/:channel shows it;
 * POST /organic/:channel/{pause,resume} pauses its checks, /trigger runs a check now
 * (thresholds still apply), /settings changes thresholds and the check interval.
 */
export function organicRoutes(app: FastifyInstance, options: { temporal: Client }): void {
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

  app.get<{ Params: { channel: string } }>(
    channelUrl(),
    {
      schema: {
        summary: "a channel's organic schedule",
        params: channelParams,
        response: responses({ 200: 'schedule state' }, [404]),
      },
    },
    (request) => stateOf(request.params.channel),
  );

  const actions: Array<[string, string, (handle: ScheduleHandle) => Promise<void>]> = [
    ['pause', 'pause organic starts', (handle) => handle.pause('organic conversations paused by admin')],
    ['resume', 'resume organic starts', (handle) => handle.unpause('organic conversations resumed by admin')],
    // SKIP like the schedule: a check still waiting for its conversation is not doubled.
    ['trigger', 'run a silence check now', (handle) => handle.trigger(ScheduleOverlapPolicy.SKIP)],
  ];
  for (const [name, summary, act] of actions) {
    app.post<{ Params: { channel: string } }>(
      channelUrl(`/${name}`),
      { schema: { summary, params: channelParams, response: responses({ 202: 'schedule state' }, [404]) } },
      async (request, reply) => {
        const [handle] = await scheduleOf(request.params.channel);
        await act(handle);
        return reply.code(202).send(await stateOf(request.params.channel));
      },
    );
  }

  app.post<{ Params: { channel: string }; Body: OrganicSettingsRequest }>(
    channelUrl('/settings'),
    {
      schema: {
        summary: 'change thresholds and check interval',
        params: channelParams,
        body: object({
          silence_seconds: integerIn('silence_seconds', 1, MAX_SECONDS),
          cooldown_seconds: integerIn('cooldown_seconds', 1, MAX_SECONDS),
          check_seconds: integerIn('check_seconds', 1, MAX_CHECK_SECONDS),
          quiet_hours_utc: {
            ...object(
              {
                start_hour: integerIn('quiet_hours_utc.start_hour', 0, 23),
                end_hour: integerIn('quiet_hours_utc.end_hour', 0, 23),
              },
              ['start_hour', 'end_hour'],
            ),
            type: ['object', 'null'],
            description: 'null: no quiet hours',
            [MESSAGE]: 'quiet_hours_utc must be null or {"start_hour": 0-23, "end_hour": 0-23}',
          },
        }),
        response: responses({ 200: 'schedule state' }, [400, 404, 413]),
      },
    },
    async (request) => {
      const channelId = request.params.channel;
      const [handle, description] = await scheduleOf(channelId);
      const changes = organicSettingsChanges(request.body);
      const thresholds = { ...checkInputOf(description), ...changes.thresholds };
      await handle.update((previous) => ({
        ...previous,
        spec: changes.checkSeconds
          ? { ...previous.spec, intervals: [{ every: `${changes.checkSeconds}s` }] }
          : previous.spec,
        action: { ...previous.action, args: [silenceCheckInput(channelId, thresholds)] },
      }));
      return stateOf(channelId);
    },
  );
}

function checkInputOf(description: ScheduleDescription): SilenceCheckInput {
  return description.action.args?.[0] as SilenceCheckInput;
}

/** A channel's schedule as GET /organic/:channel shows it (GET /organic too, for every channel). */
export function describeSchedule(description: ScheduleDescription) {
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

/** A settings body (checked by its schema) as the changes it asks for. */
export function organicSettingsChanges(body: OrganicSettingsRequest): {
  thresholds: Partial<OrganicThresholds>;
  checkSeconds: number | undefined;
} {
  const quiet = body.quiet_hours_utc;
  return {
    thresholds: {
      ...(body.silence_seconds !== undefined && { silenceSeconds: body.silence_seconds }),
      ...(body.cooldown_seconds !== undefined && { cooldownSeconds: body.cooldown_seconds }),
      ...(quiet !== undefined && {
        quietHoursUtc: quiet && { startHour: quiet.start_hour, endHour: quiet.end_hour },
      }),
    },
    checkSeconds: body.check_seconds,
  };
}
