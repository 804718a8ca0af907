/** The RewardDance pairwise prompt: exact text (a change here changes what trained models expect), slots and answers. */
import { describe, expect, it } from 'vitest';
import { criteriaText, pairwiseAnswer, pairwiseInstruction, pairwiseParts } from './template.js';

describe('pairwise template', () => {
  it('writes the documented t2i prompt exactly (docs/data.md shows this text)', () => {
    expect(pairwiseInstruction('alignment', 'two red cubes')).toBe(
      'You are a reward model judging text-to-image generation. Compare two images made for the same prompt.\n' +
        'Criteria: text alignment: how faithfully it shows what the prompt asks for (objects, counts, colours, positions).\n' +
        'Prompt: two red cubes\n' +
        'Reference image: <image>\n' +
        'Candidate image: <image>\n' +
        'Is the candidate image better than the reference image by these criteria? Answer "yes" or "no" only.',
    );
  });

  it('orders slots condition, reference, candidate and uses <video> for video tasks', () => {
    expect(pairwiseParts('motion', 'p', { task: 'i2v' }).flatMap((p) => (p.type === 'media' ? [p.slot] : []))).toEqual(['condition', 'reference', 'candidate']);
    expect(pairwiseParts('quality', 'p').flatMap((p) => (p.type === 'media' ? [p.slot] : []))).toEqual(['reference', 'candidate']);
    const v = pairwiseInstruction('motion', 'p', { task: 'i2v' });
    expect(v).toContain('Condition image (the first frame both videos start from): <image>\nReference video: <video>\nCandidate video: <video>\n');
    expect(v).toContain('judging image-to-video generation');
    expect(pairwiseInstruction('motion', 'p', { task: 't2v', placeholders: { image: '[I]', video: '[V]' } })).toContain('Reference video: [V]\nCandidate video: [V]');
  });

  it('describes named criteria, keeps free text verbatim, and lays answers out by CoT mode', () => {
    expect(criteriaText('alignment,quality')).toBe(`${criteriaText('alignment')}; ${criteriaText('quality')}`);
    expect(criteriaText('  prefer warm colours ')).toBe('prefer warm colours');
    expect(pairwiseAnswer(true)).toBe('yes');
    expect(pairwiseAnswer(false, { cot: 'off', rationale: 'ignored' })).toBe('no');
    expect(pairwiseAnswer(true, { cot: 'decision-first', rationale: 'two cubes' })).toBe('yes. because two cubes');
    expect(pairwiseAnswer(false, { cot: 'reason-first', rationale: 'one cube only.' })).toBe('one cube only. Answer: no');
    expect(pairwiseAnswer(false, { cot: 'decision-first' })).toBe('no');
    expect(pairwiseInstruction('quality', 'p', { cot: 'reason-first' })).toMatch(/Give a short reason first, then end with "Answer: yes" or "Answer: no"\.$/);
  });
});
