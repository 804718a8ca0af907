import { describe, expect, it } from 'vitest';
import { blankImage, imageMedia, videoMedia } from '../data/image.js';
import { answerText, buildContext, contextMedia, criteriaText, renderContextText } from './context.js';

const img = imageMedia(blankImage(2, 2));
const ref = imageMedia(blankImage(2, 2, [9, 9, 9]));

describe('buildContext', () => {
  it('renders the pairwise RewardDance instruction in a fixed order', () => {
    const parts = buildContext({ task: 't2i', prompt: 'a red circle', candidate: img, reference: ref, criteria: 'alignment' }, 'pairwise');
    expect(renderContextText(parts)).toBe(
      [
        'You are an expert judge of AI-generated images.',
        'Text prompt: "a red circle"',
        'Criteria: prompt alignment: the objects, their number, colours and positions match the text prompt',
        'Reference image:',
        '<image>',
        'Candidate image:',
        '<image>',
        'Question: is the candidate image better than the reference image under the criteria?',
        'Answer with one word: yes or no.',
      ].join('\n'),
    );
    expect(contextMedia(parts)).toEqual([ref, img]);
  });
  it('pointwise ignores the reference; videos get one placeholder a frame; free-text criteria pass through', () => {
    const v = videoMedia([blankImage(2, 2), blankImage(2, 2)]);
    const text = renderContextText(buildContext({ task: 't2v', prompt: 'p', candidate: v, reference: ref, criteria: 'no flicker', cot: 'reason-first' }, 'pointwise'));
    expect(text).toContain('Criteria: no flicker');
    expect(text).not.toContain('Reference');
    expect(text).toContain('Candidate video:\n<image>\n<image>\nQuestion: does the candidate video satisfy the criteria well?');
    expect(text).toContain('"Answer: yes" or "Answer: no"');
  });
  it('includes examples with their answers and the i2v condition', () => {
    const parts = buildContext(
      {
        task: 'i2v',
        prompt: 'p',
        candidate: img,
        reference: ref,
        condition: blankImage(2, 2),
        cot: 'decision-first',
        examples: [{ prompt: 'ex', candidate: img, reference: ref, answer: false, rationale: 'Wrong colour.' }],
      },
      'pairwise',
    );
    const text = renderContextText(parts);
    expect(text).toContain('Example 1 of 1. Text prompt: "ex"');
    expect(text).toContain('Answer: no. Wrong colour.');
    expect(text.indexOf('Condition image')).toBeLessThan(text.indexOf('Candidate video:\n<image>\nQuestion'));
    expect(contextMedia(parts).map((m) => m.kind)).toEqual(['image', 'image', 'image', 'image', 'image']);
  });
  it('explains what is missing', () => {
    expect(() => buildContext({ task: 't2i', prompt: 'p', candidate: img }, 'pairwise')).toThrow(/pairwise reward needs a reference image/);
    expect(() => buildContext({ task: 't2i', prompt: '  ', candidate: img }, 'pointwise')).toThrow(/text prompt is empty/);
    expect(() => criteriaText(' ')).toThrow(/criteria is empty/);
  });
});

describe('answerText', () => {
  it('formats each CoT mode', () => {
    expect(answerText(true)).toBe('yes');
    expect(answerText(false, 'decision-first', 'Too blue.')).toBe('no. Too blue.');
    expect(answerText(true, 'reason-first', 'Red circle.')).toBe('Red circle.\nAnswer: yes');
    expect(answerText(false, 'reason-first')).toBe('Answer: no');
  });
});
