/**
 * How much a (pretrained) tiny VLM knows about the world: first-word accuracy on visual
 * questions about fresh scenes, per skill (colour, class, count, existence, relation), beside
 * the majority-answer floor of the same questions (what a model that ignores the image gets).
 */
import { imageMedia } from '../../data/image.js';
import { Tokenizer } from '../../data/tokenizer.js';
import type { TinyVlm } from '../../models/vlm/model.js';
import { buildBatch, groupByLayout, type SequenceSpec } from '../../models/vlm/sequence.js';
import { noGrad, tidy } from '../../tensor/index.js';
import { Rng } from '../../util/rng.js';
import { visualQuestions } from '../../world/captions.js';
import { samplePrompts } from '../../world/prompts.js';
import { render } from '../../world/render.js';
import { sceneFor } from '../../world/scene.js';
import { questionSpec } from './pretrain-data.js';

export interface SkillAccuracy {
  accuracy: number;
  n: number;
  /** Accuracy of always answering the most common answer of this skill's questions. */
  majority: number;
}

export interface VqaEvaluation {
  accuracy: number;
  n: number;
  majority: number;
  bySkill: Record<string, SkillAccuracy>;
}

/**
 * Asks `n` visual questions about scenes of `split`'s prompts and compares the model's most
 * probable first answer word with the truth.
 * @example evaluateVqa(model, { n: 500, seed: 7, split: 'id' }).bySkill.color.accuracy
 */
export function evaluateVqa(model: TinyVlm, opts: { n: number; seed: number; split?: 'id' | 'ood'; batchSize?: number }): VqaEvaluation {
  const tok = new Tokenizer(model.config.vocab.slice(5));
  const rng = new Rng(opts.seed);
  const metas = samplePrompts({ n: Math.max(1, Math.ceil(opts.n / 2)), seed: opts.seed, domain: opts.split ?? 'id' });
  const rows: { spec: SequenceSpec; truth: number; skill: string; answer: string }[] = [];
  let k = 0;
  while (rows.length < opts.n) {
    const scene = sceneFor(metas[k++ % metas.length]!, rng);
    const media = imageMedia(render(scene, { size: model.config.imageSize }));
    for (const qa of visualQuestions(scene, rng).slice(0, 2)) {
      if (rows.length >= opts.n) break;
      const spec = questionSpec(tok, qa.question, media, []);
      rows.push({ spec, truth: tok.encode(qa.answer)[0]!, skill: qa.kind, answer: qa.answer });
    }
  }
  model.eval();
  const predicted = new Map<SequenceSpec, number>();
  const size = opts.batchSize ?? 64;
  noGrad(() => {
    for (const group of groupByLayout(rows.map((r) => r.spec))) {
      for (let i = 0; i < group.length; i += size) {
        const chunk = group.slice(i, i + size);
        const ids = tidy(() => {
          const batch = buildBatch(chunk, model.config);
          return model.logits(model.ansHidden(batch)).argmax(-1).toList();
        });
        chunk.forEach((s, j) => predicted.set(s, ids[j]!));
      }
    }
  });
  const bySkill: Record<string, SkillAccuracy> = {};
  const counts: Record<string, Map<string, number>> = {};
  let correct = 0;
  let majorityTotal = 0;
  for (const r of rows) {
    const ok = predicted.get(r.spec) === r.truth;
    const e = (bySkill[r.skill] ??= { accuracy: 0, n: 0, majority: 0 });
    e.accuracy += ok ? 1 : 0;
    e.n++;
    if (ok) correct++;
    const c = (counts[r.skill] ??= new Map());
    c.set(r.answer, (c.get(r.answer) ?? 0) + 1);
  }
  for (const [skill, e] of Object.entries(bySkill)) {
    const top = Math.max(...counts[skill]!.values());
    majorityTotal += top;
    e.majority = top / e.n;
    e.accuracy /= e.n;
  }
  return { accuracy: rows.length ? correct / rows.length : 0, n: rows.length, majority: rows.length ? majorityTotal / rows.length : 0, bySkill };
}
