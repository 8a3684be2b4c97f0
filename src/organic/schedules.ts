import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Config } from '../config';
import type { SilenceCheckWorkflow } from '../workflows/organic';
import {
  organicScheduleId,
  SILENCE_CHECK_WORKFLOW_TYPE,
  type OrganicThresholds,
  type SilenceCheckInput,
} from '../workflows/contracts/organic';
import type { FollowUpPolicy } from '../workflows/contracts/followUp';

export interface OrganicScheduleSettings extends OrganicThresholds {
  /** How often the silence check runs. */
  checkSeconds: number;
}

/**
 * Creates the silence-check schedule of each channel, once. A schedule that already
 * exists is left as it is: after creation it is the source of truth, so an admin's pause
 * or changed thresholds survive worker restarts (the settings are only its initial values).
 */
export async function ensureOrganicSchedules(
  temporal: Client,
  options: {
    taskQueue: string;
    channelIds: string[];
    settings: OrganicScheduleSettings;
    followUps?: FollowUpPolicy;
  },
): Promise<Record<string, 'created' | 'existing'>> {
  const outcomes: Record<string, 'created' | 'existing'> = {};
  for (const channelId of options.channelIds) {
    try {
      await temporal.schedule.create<typeof SilenceCheckWorkflow>({
        scheduleId: organicScheduleId(channelId),
        spec: { intervals: [{ every: `${options.settings.checkSeconds}s` }] },
        action: {
          type: 'startWorkflow',
          workflowType: SILENCE_CHECK_WORKFLOW_TYPE,
          taskQueue: options.taskQueue,
          workflowId: `silence-check-${channelId}`,
          args: [silenceCheckInput(channelId, { ...options.settings, followUps: options.followUps })],
        },
        // A check that is still waiting for its conversation makes the next one skip.
        policies: { overlap: ScheduleOverlapPolicy.SKIP },
      });
      outcomes[channelId] = 'created';
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      outcomes[channelId] = 'existing';
    }
  }
  return outcomes;
}

export function silenceCheckInput(
  channelId: string,
  settings: OrganicThresholds & { followUps?: FollowUpPolicy },
): SilenceCheckInput {
  const { silenceSeconds, cooldownSeconds, quietHoursUtc, followUps } = settings;
  return { channelId, silenceSeconds, cooldownSeconds, quietHoursUtc, ...(followUps && { followUps }) };
}

export function organicSettingsFromConfig(config: Config): OrganicScheduleSettings {
  return {
    silenceSeconds: config.organicSilenceMinutes * 60,
    cooldownSeconds: config.organicCooldownMinutes * 60,
    quietHoursUtc: null,
    checkSeconds: config.organicCheckSeconds,
  };
}
