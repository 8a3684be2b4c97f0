/**
 * QC regeneration (QualityControlWorkflow) on the time-skipping test server: candidates are generated and
 * reviewed until one scores the minimum, or the best one is sent when regenerations run out.
 */
import type { QualityControlWorkflow } from '../../src/workflows/qualityControl';
import type {
  QcAssessment,
  QcPolicy,
  QualityControlInput,
} from '../../src/workflows/contracts/qualityControl';
import type { AllActivities } from './fakeActivities';
import { useTestbed } from './env';

const bed = useTestbed();

const POLICY: QcPolicy = { minScore: 3, maxRegenerations: 3, maxReplyChars: 800 };

let runs = 0;
function qcInput(policy: QcPolicy = POLICY): QualityControlInput {
  return {
    responseId: `reply-${++runs}-peter`,
    promptVersion: 'v1.0',
    policy,
    prompt: {
      character: 'Peter',
      systemPrompt: 'You are Peter Griffin.',
      history: [],
      context: [],
      userMessage: 'Peter, tell a joke',
    },
  };
}

const runQc = (taskQueue: string, input: QualityControlInput) =>
  bed.env.client.workflow.execute<typeof QualityControlWorkflow>('QualityControlWorkflow', {
    taskQueue,
    workflowId: `${input.responseId}-qc`,
    args: [input],
  });

/** Candidate n is "candidate n"; the reviewer gives them the scores in order. */
function scripted(scores: number[]): Pick<AllActivities, 'generateReply' | 'assessReply'> & {
  generated: jest.Mock;
} {
  let n = 0;
  const generated = jest.fn();
  return {
    generated,
    generateReply: async () => {
      n++;
      generated(n);
      return { raw: `Peter: candidate ${n}`, final: `candidate ${n}` };
    },
    assessReply: async ({ candidate }): Promise<QcAssessment> => {
      const index = Number(candidate.final.split(' ')[1]) - 1;
      return { score: scores[index] ?? 1, feedback: `score of ${candidate.final}`, method: 'llm', rules: [] };
    },
  };
}

describe('QualityControlWorkflow', () => {
  it('regenerates a rejected candidate and sends the first one that scores the minimum', async () => {
    const { generated, ...llm } = scripted([2, 1, 4, 5]);
    const recordQcAssessment = jest.fn<
      ReturnType<AllActivities['recordQcAssessment']>,
      Parameters<AllActivities['recordQcAssessment']>
    >(async () => undefined);
    const input = qcInput();
    const result = await bed.run({ ...llm, recordQcAssessment }, (taskQueue) => runQc(taskQueue, input));

    expect(result).toMatchObject({
      reply: { final: 'candidate 3' },
      assessment: { score: 4, method: 'llm' },
      attempts: 3,
      accepted: true,
    });
    expect(generated).toHaveBeenCalledTimes(3);
    // Every assessment is logged, rejected ones included, in order.
    expect(recordQcAssessment.mock.calls.map(([record]) => [record.attempt, record.candidate])).toEqual([
      [1, 'candidate 1'],
      [2, 'candidate 2'],
      [3, 'candidate 3'],
    ]);
    expect(recordQcAssessment).toHaveBeenCalledWith(
      expect.objectContaining({ responseId: input.responseId, character: 'Peter', promptVersion: 'v1.0' }),
    );
  });

  it('sends the best candidate (the first of equals) when no regeneration reaches the minimum', async () => {
    const { generated, ...llm } = scripted([1, 2, 2, 1]);
    const result = await bed.run(llm, (taskQueue) => runQc(taskQueue, qcInput()));
    expect(generated).toHaveBeenCalledTimes(POLICY.maxRegenerations + 1);
    expect(result).toMatchObject({
      reply: { final: 'candidate 2' },
      assessment: { score: 2 },
      attempts: 4,
      accepted: false,
    });
  });

  it('sends the candidate without a verdict when the reviewer cannot be reached', async () => {
    const { generated, generateReply } = scripted([]);
    const assessReply = jest.fn(async (): Promise<never> => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:11434');
    });
    const result = await bed.run({ generateReply, assessReply }, (taskQueue) => runQc(taskQueue, qcInput()));
    expect(generated).toHaveBeenCalledTimes(1);
    expect(assessReply).toHaveBeenCalledTimes(3); // the LLM retry policy, backoffs skipped
    expect(result).toMatchObject({
      reply: { final: 'candidate 1' },
      assessment: { method: 'fallback', score: 3, feedback: expect.stringContaining('ECONNREFUSED') },
      attempts: 1,
      accepted: true,
    });
  });

  it('keeps the best candidate so far when a regeneration fails, and fails when the first one does', async () => {
    let calls = 0;
    const { assessReply } = scripted([1]);
    const generateReply = async () => {
      if (++calls > 1) throw new Error('llama runner process has terminated');
      return { raw: 'Peter: candidate 1', final: 'candidate 1' };
    };
    const result = await bed.run({ generateReply, assessReply }, (taskQueue) => runQc(taskQueue, qcInput()));
    expect(result).toMatchObject({ reply: { final: 'candidate 1' }, attempts: 1, accepted: false });

    const failing = bed.run(
      {
        generateReply: async () => {
          throw new Error('llama runner process has terminated');
        },
      },
      (taskQueue) => runQc(taskQueue, qcInput()),
    );
    await expect(failing).rejects.toThrow('Workflow execution failed');
  });
});
