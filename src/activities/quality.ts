import type { Store } from '../store/mongo';
import type { QcAssessment, QcPolicy } from '../workflows/contracts/qualityControl';

export interface QcAssessmentRecord {
  responseId: string;
  character: string;
  promptVersion: string;
  /** 1 for the first candidate, 2 for the first regeneration, ... */
  attempt: number;
  candidate: string;
  assessment: QcAssessment;
}

/** QC's settings and its fine_tuning_data log. */
export function createQualityActivities(deps: { store: Store; qc: QcPolicy | null }) {
  const { fineTuningData } = deps.store;
  return {
    /**
     * The worker's QC settings. Workflows cannot read configuration; asking an activity
     * records the answer in history, so a replay decides the same way.
     */
    loadQcPolicy(): Promise<QcPolicy | null> {
      return Promise.resolve(deps.qc);
    },

    /** One QC_AUTOMATED entry per assessed candidate, keyed so a retry does not add another. */
    async recordQcAssessment(record: QcAssessmentRecord): Promise<void> {
      await fineTuningData.record({
        _id: `qc:${record.responseId}:${record.attempt}`,
        response_id: record.responseId,
        rating_type: 'QC_AUTOMATED',
        rating_score: record.assessment.score,
        feedback_text: record.assessment.feedback,
        rated_by: 'qc_module',
        timestamp: new Date(),
        prompt_version_used: record.promptVersion,
        character_name: record.character,
        response_text: record.candidate,
        qc_method: record.assessment.method,
      });
    },
  };
}
