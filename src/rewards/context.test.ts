import { describe, expect, it } from 'vitest';
import { blankImage, imageMedia, videoMedia } from '../data/image.js';
import { pairwiseInstruction } from '../data/export/template.js';
import { COT_MODES } from './types.js';
import { ANSWER_INSTRUCTION, answerText, buildContext, contextMedia, criteriaText, renderContextText } from './context.js';

const img = imageMedia(blankImage(2, 2));
const ref = imageMedia(blankImage(2, 2, [9, 9, 9]));
const vid = videoMedia([blankImage(2, 2), blankImage(2, 2)]);

describe('buildContext (pairwise) equals the SFT export template', () => {
  for (const task of ['t2i', 't2v', 'i2v'] as const) {
    for (const cot of COT_MODES) {
      for (const criteria of ['alignment', 'quality,motion', 'no flicker at all']) {
        it(`${task}, cot ${cot}, criteria '${criteria}'`, () => {
          const m = task === 't2i' ? img : vid;
          const parts = buildContext({ task, prompt: 'a red circle', candidate: m, reference: m, criteria, cot, ...(task === 'i2v' ? { condition: blankImage(2, 2) } : {}) }, 'pairwise');
          const text = renderContextText(parts);
          expect(text).toBe(pairwiseInstruction(criteria, 'a red circle', { task, cot }));
          expect(text.endsWith(ANSWER_INSTRUCTION[cot])).toBe(true);
        });
      }
    }
  }
  it('puts media in slot order: condition, reference, candidate', () => {
    const cond = blankImage(2, 2, [1, 2, 3]);
    const parts = buildContext({ task: 'i2v', prompt: 'p', candidate: vid, reference: ref, condition: cond }, 'pairwise');
    expect(contextMedia(parts)).toEqual([{ kind: 'image', image: cond }, ref, vid]);
  });
});

describe('buildContext (pointwise, examples)', () => {
  it('pointwise ignores the reference and asks about one media', () => {
    const text = renderContextText(buildContext({ task: 't2v', prompt: 'p', candidate: vid, reference: ref, criteria: 'motion', cot: 'reason-first' }, 'pointwise'));
    expect(text).toBe(
      'You are a reward model judging text-to-video generation. Rate one video made for a prompt.\n' +
        'Criteria: motion quality: smooth, plausible movement from frame to frame.\nPrompt: p\n' +
        'Candidate video: <video>\nDoes the candidate video meet these criteria well? Give a short reason first, then end with "Answer: yes" or "Answer: no".',
    );
  });
  it('puts in-context examples with their answers after the opening line', () => {
    const parts = buildContext(
      { task: 't2i', prompt: 'q', candidate: img, reference: ref, cot: 'decision-first', examples: [{ prompt: 'ex', candidate: img, reference: ref, answer: false, rationale: 'Wrong colour.' }] },
      'pairwise',
    );
    const text = renderContextText(parts);
    expect(text).toContain('Compare two images made for the same prompt.\nExample 1 of 1. Prompt: ex\nReference image: <image>\nCandidate image: <image>\nAnswer: no. because Wrong colour.\nNow the query.\nCriteria:');
    expect(contextMedia(parts)).toHaveLength(4);
  });
  it('explains what is missing', () => {
    expect(() => buildContext({ task: 't2i', prompt: 'p', candidate: img }, 'pairwise')).toThrow(/pairwise reward needs a reference image/);
    expect(() => buildContext({ task: 'i2v', prompt: 'p', candidate: vid, reference: vid }, 'pairwise')).toThrow(/needs its condition image/);
    expect(() => buildContext({ task: 't2i', prompt: '  ', candidate: img }, 'pointwise')).toThrow(/text prompt is empty/);
    expect(() => buildContext({ task: 't2i', prompt: 'p', candidate: img, reference: ref, examples: [{ prompt: 'e', candidate: img, answer: true }] }, 'pairwise')).toThrow(/example 1 has no reference/);
    expect(() => criteriaText(' ')).toThrow(/criteria is empty/);
  });
});

describe('answerText', () => {
  it('is the template answer for each CoT mode', () => {
    expect(answerText(true)).toBe('yes');
    expect(answerText(false, 'decision-first', 'too blue')).toBe('no. because too blue');
    expect(answerText(true, 'reason-first', 'Red circle.')).toBe('Red circle. Answer: yes');
  });
});
