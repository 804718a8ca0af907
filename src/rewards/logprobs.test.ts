import { describe, expect, it } from 'vitest';
import { answerOf, findAnswer, logSumExp, sigmoid, yesNoFromStep, type LogprobStep } from './logprobs.js';

const step = (token: string, logprob: number, top: [string, number][] = [[token, logprob]]): LogprobStep => ({
  token,
  logprob,
  top: top.map(([t, l]) => ({ token: t, logprob: l })),
});

describe('answerOf', () => {
  it('reads every spelling of yes and no', () => {
    for (const t of ['yes', 'Yes', ' yes', 'YES', '\u0120yes', '\u2581Yes', 'Yes.', '**Yes**', ' Yes,']) expect(answerOf(t)).toBe('yes');
    for (const t of ['no', 'No', ' no', 'NO', '\u2581no', 'No.']) expect(answerOf(t)).toBe('no');
    for (const t of ['yesterday', 'not', 'The', '', '\n', 'maybe']) expect(answerOf(t)).toBeNull();
  });
});

describe('yesNoFromStep', () => {
  it('sums spellings in probability space and normalises over yes/no', () => {
    const r = yesNoFromStep(step('Yes', Math.log(0.6), [['Yes', Math.log(0.6)], [' yes', Math.log(0.1)], ['No', Math.log(0.2)], ['no', Math.log(0.05)], ['The', Math.log(0.01)]]))!;
    expect(r.pYesVocab).toBeCloseTo(0.7, 12);
    expect(r.reward).toBeCloseTo(0.7 / 0.95, 12);
    expect(r.logitYes).toBeCloseTo(Math.log(0.7), 12);
    expect(r.logitNo).toBeCloseTo(Math.log(0.25), 12);
    expect(sigmoid(r.logitYes - r.logitNo)).toBeCloseTo(r.reward, 12);
  });
  it('counts the sampled token once even though it is also listed in top', () => {
    const r = yesNoFromStep(step('Yes', Math.log(0.5), [['Yes', Math.log(0.5)], ['No', Math.log(0.5)]]))!;
    expect(r.reward).toBeCloseTo(0.5, 12);
  });
  it('bounds an unlisted side by the least likely listed token', () => {
    const r = yesNoFromStep(step('Yes', Math.log(0.9), [['Yes', Math.log(0.9)], ['The', Math.log(0.01)]]))!;
    expect(r.sawNo).toBe(false);
    expect(r.reward).toBeCloseTo(0.9 / 0.91, 12);
  });
  it('returns null without any yes/no token', () => {
    expect(yesNoFromStep(step('The', -0.1, [['The', -0.1], ['A', -2]]))).toBeNull();
  });
});

describe('logSumExp and sigmoid', () => {
  it('are stable', () => {
    expect(logSumExp([-1000, -1000])).toBeCloseTo(-1000 + Math.log(2), 10);
    expect(logSumExp([])).toBe(-Infinity);
    expect(sigmoid(-800)).toBeGreaterThanOrEqual(0);
    expect(sigmoid(800)).toBe(1);
    expect(sigmoid(0)).toBe(0.5);
  });
});

describe('findAnswer', () => {
  it('answer-first modes read the first word-bearing token after a few fillers', () => {
    expect(findAnswer([step('\n', -1), step('Yes', -0.1)], 'off').index).toBe(1);
    const d = findAnswer([step('No', -0.1), step('.', -0.1), step(' Too', -0.1), step(' blue', -0.1), step('.', -0.1)], 'decision-first');
    expect(d).toEqual({ index: 0, rationale: 'Too blue.' });
    expect(findAnswer([step('\n', -1), step('\n', -1), step('*', -1), step('*', -1), step('Yes', -1)], 'off').index).toBe(-1);
  });
  it('reason-first reads the token after the last "Answer:"', () => {
    const toks = ['It', ' is', ' red', '.', '\n', 'Answer', ':', ' yes'];
    const r = findAnswer(toks.map((t) => step(t, -0.1)), 'reason-first');
    expect(r).toEqual({ index: 7, rationale: 'It is red.' });
  });
  it('reason-first without a marker falls back to the last yes/no token', () => {
    const r = findAnswer(['Looks', ' right', ',', ' so', ' yes'].map((t) => step(t, -0.1)), 'reason-first');
    expect(r.index).toBe(4);
    expect(findAnswer([step('Hmm', -0.1)], 'reason-first').index).toBe(-1);
  });
});
