/**
 * The RewardDance paper's published figures, as named constants with their source, so that
 * reports can put them beside our own miniature results. Only figures we could trace to a
 * source are here; slots for the paper's other results (regressive vs generative paradigms,
 * context ablations, late-RL reward std vs size, RL gains vs size) stay empty until someone
 * transcribes them from the paper's tables with a table number. Never fill a slot by guessing.
 */

/** The paper these figures come from. */
export const PAPER_CITATION = 'Wu et al., "RewardDance: Reward Scaling in Visual Generation", arXiv:2509.08826 (2025)';

/** Where a published figure was taken from, stated as precisely as we could check it. */
export interface PaperSource {
  /** The paper (always PAPER_CITATION here). */
  readonly paper: string;
  /** Which part of the paper, or how we got the figure when the table number is unverified. */
  readonly where: string;
}

/** One model size of the paper's reward-model accuracy-vs-size result (accuracies in percent). */
export interface PaperAccuracyPoint {
  /** The size label the paper uses ('1B', '26B'). */
  readonly size: string;
  /** Nominal parameter count, for log-scale axes. */
  readonly params: number;
  /** In-domain preference accuracy, percent. */
  readonly idAccuracyPct: number;
  /** Out-of-domain preference accuracy, percent. */
  readonly oodAccuracyPct: number;
}

/** A published table: rows plus where they come from. */
export interface PaperFigure<Row> {
  readonly title: string;
  readonly source: PaperSource;
  readonly rows: readonly Row[];
}

/**
 * Reward-model accuracy vs model size, in domain (ID) and out of domain (OOD), for the paper's
 * generative reward models from 1B to 26B parameters. Transcribed in the project's issue 7
 * from the paper; the table number was not re-checked against the PDF here (the public copies
 * we could search only expose the abstract).
 * @example PAPER_RM_ACCURACY_VS_SIZE.rows.map((r) => r.idAccuracyPct); // [64.7, 69.4, 65.4, 74.9, 78.4]
 */
export const PAPER_RM_ACCURACY_VS_SIZE: PaperFigure<PaperAccuracyPoint> = {
  title: 'Reward-model accuracy vs size (ID / OOD)',
  source: { paper: PAPER_CITATION, where: 'RM accuracy vs model size (1B-26B), as transcribed in issue 7; table number unverified' },
  rows: [
    { size: '1B', params: 1e9, idAccuracyPct: 64.7, oodAccuracyPct: 69.1 },
    { size: '2B', params: 2e9, idAccuracyPct: 69.4, oodAccuracyPct: 69.6 },
    { size: '4B', params: 4e9, idAccuracyPct: 65.4, oodAccuracyPct: 71.9 },
    { size: '8B', params: 8e9, idAccuracyPct: 74.9, oodAccuracyPct: 71.9 },
    { size: '26B', params: 26e9, idAccuracyPct: 78.4, oodAccuracyPct: 80.9 },
  ],
};

/**
 * Qualitative findings stated in the paper's abstract (no numbers there). Reports show them
 * beside our measurements of the same effect; they are claims to compare with, not data.
 */
export const PAPER_FINDINGS = {
  lateRewardStd: {
    claim: 'Large reward models exhibit and maintain high reward variance during RL fine-tuning, which the paper reads as resistance to reward hacking and less mode collapse than small ones.',
    source: { paper: PAPER_CITATION, where: 'abstract' },
  },
  paradigm: {
    claim: 'Scoring the reward as the probability of a "yes" token (generative) aligns with the VLM next-token objective, whereas Bradley-Terry / regression heads do not, which the paper argues hinders scaling.',
    source: { paper: PAPER_CITATION, where: 'abstract' },
  },
  context: {
    claim: 'Context scaling: task-specific instructions, reference examples and chain-of-thought reasoning are the second scaling axis besides model size.',
    source: { paper: PAPER_CITATION, where: 'abstract' },
  },
} as const satisfies Record<string, { claim: string; source: PaperSource }>;
