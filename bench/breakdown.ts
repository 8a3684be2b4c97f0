/**
 * Where a reply's time goes, read from its workflow history: the time between consecutive events
 * is charged to what the later event ends (a worker picking up a task, an activity running, a
 * workflow task running its local activities, ...). Concurrent steps overlap, so per-step sums
 * partition the workflow's timeline rather than add up each step's own duration.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { report } from './stats';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const { EventType } = temporal.api.enums.v1;

const ms = (event: HistoryEvent): number =>
  Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;

/** Per step: milliseconds per reply, for each reply in `workflowIds`. */
export async function stepsOf(
  client: Client,
  workflowIds: string[],
  /** When each reply's Discord message was sent (performance.timeOrigin-based epoch ms). */
  sentAt: Map<string, number>,
): Promise<Map<string, number[]>> {
  const steps = new Map<string, number[]>();
  for (const workflowId of workflowIds) {
    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const perStep = new Map<string, number>();
    const charge = (step: string, time: number) => perStep.set(step, (perStep.get(step) ?? 0) + time);
    const activityTypes = new Map<string, string>();
    let firstTask = true;
    const sent = sentAt.get(workflowId);
    if (sent !== undefined && events[0]) charge('bot: message -> workflow started', ms(events[0]) - sent);
    for (let i = 1; i < events.length; i++) {
      const event = events[i] as HistoryEvent;
      const gap = ms(event) - ms(events[i - 1] as HistoryEvent);
      const type = event.eventType ?? EventType.EVENT_TYPE_UNSPECIFIED;
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled) activityTypes.set(String(event.eventId), scheduled.activityType?.name ?? '?');
      const activityOf = (id: unknown) => activityTypes.get(String(id)) ?? '?';
      switch (type) {
        case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
          // The first task is the one eager start can hand over; the others follow an activity.
          charge(`${firstTask ? 'first' : 'later'} workflow task: wait for a worker`, gap);
          firstTask = false;
          break;
        case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: {
          // Local activities ran inside this task; their markers follow it with their completion times.
          let from = ms(events[i - 1] as HistoryEvent);
          for (const { type: activity, completedAt } of localActivitiesAfter(events, i)) {
            charge(`${activity} (local): run`, Math.max(0, completedAt - from));
            from = Math.max(from, completedAt);
          }
          charge('workflow task: run', ms(event) - from);
          break;
        }
        case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
          charge(
            `${activityOf(event.activityTaskStartedEventAttributes?.scheduledEventId)}: wait for a worker`,
            gap,
          );
          break;
        case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
          charge(`${activityOf(event.activityTaskCompletedEventAttributes?.scheduledEventId)}: run`, gap);
          break;
        default:
          charge(`until ${EventType[type].replace('EVENT_TYPE_', '').toLowerCase()}`, gap);
      }
    }
    for (const [step, time] of perStep) steps.set(step, [...(steps.get(step) ?? []), time]);
  }
  return steps;
}

/** The local activities recorded by the workflow task completed at `events[index]`, by completion time. */
function localActivitiesAfter(
  events: HistoryEvent[],
  index: number,
): Array<{ type: string; completedAt: number }> {
  const found: Array<{ type: string; completedAt: number }> = [];
  for (const event of events.slice(index + 1)) {
    const marker = event.markerRecordedEventAttributes;
    if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) break;
    const data = marker?.details?.data?.payloads?.[0]?.data;
    if (!data) continue;
    const decoded = JSON.parse(new TextDecoder().decode(data)) as {
      activity_type?: string;
      complete_time?: { seconds: number; nanos: number };
    };
    if (!decoded.activity_type || !decoded.complete_time) continue;
    const { seconds, nanos } = decoded.complete_time;
    found.push({ type: decoded.activity_type, completedAt: seconds * 1000 + nanos / 1e6 });
  }
  return found.sort((a, b) => a.completedAt - b.completedAt);
}

/** Prints each step's p50/p95 per reply, largest p50 first. */
export function reportSteps(title: string, steps: Map<string, number[]>, replies: number): void {
  console.log(`${title}: where a reply's time goes (per reply; a step missing from a reply counts 0)`);
  const rows = [...steps].map(([step, times]) => {
    const padded = [...times, ...Array<number>(Math.max(0, replies - times.length)).fill(0)];
    return { step, padded, median: [...padded].sort((a, b) => a - b)[Math.floor(padded.length / 2)] ?? 0 };
  });
  for (const { step, padded } of rows.sort((a, b) => b.median - a.median)) report(`  ${step}`, padded);
}
