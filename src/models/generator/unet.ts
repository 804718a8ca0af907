/**
 * The flow generator's network: a three-level U-Net (32 -> 16 -> 8 px) whose residual blocks
 * are FiLM-conditioned on time and the pooled prompt, with cross-attention to the prompt's
 * tokens at the 8x8 and 16x16 levels (where layout and colour binding are decided). It
 * predicts the rectified-flow velocity v = noise - data.
 */
import { Conv2d, GroupNorm, Linear, Module, ModuleList } from '../../nn/index.js';
import { cat, F, arange, type Tensor } from '../../tensor/index.js';
import { ShapeError } from '../../errors.js';
import type { GeneratorConfig } from './config.js';
import { TextEncoder, type TextFeatures } from './text.js';

/** Sinusoidal time features use this many frequencies x 2 (sin and cos). */
const TIME_FREQS = 16;
/** Largest period of the time features (t in [0, 1] is scaled by 1000 first, as DDPM does). */
const TIME_MAX_PERIOD = 10_000;
const TIME_SCALE = 1000;

function groupsFor(ch: number, want: number): number {
  let g = Math.min(want, ch);
  while (ch % g !== 0) g--;
  return g;
}

/** GN -> SiLU -> conv, FiLM(emb) on the second GN, -> SiLU -> conv, plus a (1x1) skip. */
class ResBlock extends Module {
  readonly n1: GroupNorm;
  readonly c1: Conv2d;
  readonly film: Linear;
  readonly n2: GroupNorm;
  readonly c2: Conv2d;
  readonly skip: Conv2d | null;
  constructor(readonly cin: number, readonly cout: number, embDim: number, groups: number) {
    super();
    this.n1 = this.child('n1', new GroupNorm(cin, groupsFor(cin, groups)));
    this.c1 = this.child('c1', new Conv2d(cin, cout, 3, { padding: 1 }));
    this.film = this.child('film', new Linear(embDim, 2 * cout));
    this.n2 = this.child('n2', new GroupNorm(cout, groupsFor(cout, groups)));
    this.c2 = this.child('c2', new Conv2d(cout, cout, 3, { padding: 1 }));
    this.skip = cin === cout ? null : this.child('skip', new Conv2d(cin, cout, 1));
  }
  /** x (B, Cin, H, W), emb (B, E) -> (B, Cout, H, W) */
  forward(x: Tensor, emb: Tensor): Tensor {
    const [b] = x.shape as [number];
    let h = this.c1.forward(this.n1.forward(x).silu()); // (B, Cout, H, W)
    const [scale, shift] = this.film.forward(emb).reshape(b, 2, this.cout, 1, 1).chunk(2, 1); // (B, 1, Cout, 1, 1) each
    h = this.n2.forward(h).mul(scale!.squeeze(1).add(1)).add(shift!.squeeze(1));
    h = this.c2.forward(h.silu());
    return h.add(this.skip ? this.skip.forward(x) : x);
  }
}

/** Image features attend to the prompt's tokens (pre-norm, residual). */
class CrossAttention extends Module {
  readonly norm: GroupNorm;
  readonly q: Linear;
  readonly kv: Linear;
  readonly out: Linear;
  constructor(readonly ch: number, textDim: number, readonly heads: number, groups: number) {
    super();
    this.norm = this.child('norm', new GroupNorm(ch, groupsFor(ch, groups)));
    this.q = this.child('q', new Linear(ch, ch));
    this.kv = this.child('kv', new Linear(textDim, 2 * ch));
    this.out = this.child('out', new Linear(ch, ch));
  }
  /** x (B, C, H, W), text tokens (B, L, D) with mask (B, 1, 1, L) -> (B, C, H, W) */
  forward(x: Tensor, text: TextFeatures): Tensor {
    const [b, c, hh, ww] = x.shape as [number, number, number, number];
    const [, l] = text.tokens.shape as [number, number];
    const dh = c / this.heads;
    const seq = this.norm.forward(x).reshape(b, c, hh * ww).transpose(1, 2); // (B, HW, C)
    const q = this.q.forward(seq).reshape(b, hh * ww, this.heads, dh).transpose(1, 2); // (B, H, HW, Dh)
    const kv = this.kv.forward(text.tokens).reshape(b, l, 2, this.heads, dh).permute(2, 0, 3, 1, 4); // (2, B, H, L, Dh)
    const y = F.scaledDotProductAttention(q, kv.select(0, 0), kv.select(0, 1), text.mask); // (B, H, HW, Dh)
    const o = this.out.forward(y.transpose(1, 2).reshape(b, hh * ww, c)); // (B, HW, C)
    return x.add(o.transpose(1, 2).reshape(b, c, hh, ww));
  }
}

/** Sinusoidal features of t in [0, 1]: (B) -> (B, 2 * TIME_FREQS). */
export function timeFeatures(t: Tensor): Tensor {
  const freqs = arange(0, TIME_FREQS, 1, 'float32').mul(-Math.log(TIME_MAX_PERIOD) / TIME_FREQS).exp(); // (F)
  const args = t.mul(TIME_SCALE).reshape(-1, 1).mul(freqs.reshape(1, -1)); // (B, F)
  return cat([args.sin(), args.cos()], 1);
}

/** Text encoder + U-Net velocity predictor. */
export class FlowUNet extends Module {
  readonly text: TextEncoder;
  readonly timeMlp1: Linear;
  readonly timeMlp2: Linear;
  readonly textProj: Linear;
  readonly inConv: Conv2d;
  readonly down0: ResBlock;
  readonly ds0: Conv2d;
  readonly down1: ResBlock;
  readonly attn1: CrossAttention;
  readonly ds1: Conv2d;
  readonly mid: ModuleList<ResBlock>;
  readonly midAttn: CrossAttention;
  readonly up1: ResBlock;
  readonly upAttn1: CrossAttention;
  readonly up0: ResBlock;
  readonly outNorm: GroupNorm;
  readonly outConv: Conv2d;

  constructor(readonly config: GeneratorConfig) {
    super();
    const [c0, c1, c2] = config.channels as [number, number, number];
    const { embDim: e, groups: g, textDim: td, heads } = config;
    this.text = this.child('text', new TextEncoder(td, config.textLayers, heads, config.maxTokens, config.words));
    this.timeMlp1 = this.child('timeMlp1', new Linear(2 * TIME_FREQS, e));
    this.timeMlp2 = this.child('timeMlp2', new Linear(e, e));
    this.textProj = this.child('textProj', new Linear(td, e));
    this.inConv = this.child('inConv', new Conv2d(3, c0, 3, { padding: 1 }));
    this.down0 = this.child('down0', new ResBlock(c0, c0, e, g));
    this.ds0 = this.child('ds0', new Conv2d(c0, c0, 3, { stride: 2, padding: 1 }));
    this.down1 = this.child('down1', new ResBlock(c0, c1, e, g));
    this.attn1 = this.child('attn1', new CrossAttention(c1, td, headsFor(c1, heads), g));
    this.ds1 = this.child('ds1', new Conv2d(c1, c1, 3, { stride: 2, padding: 1 }));
    this.mid = this.child('mid', new ModuleList([new ResBlock(c1, c2, e, g), new ResBlock(c2, c2, e, g)]));
    this.midAttn = this.child('midAttn', new CrossAttention(c2, td, heads, g));
    this.up1 = this.child('up1', new ResBlock(c2 + c1, c1, e, g));
    this.upAttn1 = this.child('upAttn1', new CrossAttention(c1, td, headsFor(c1, heads), g));
    this.up0 = this.child('up0', new ResBlock(c1 + c0, c0, e, g));
    this.outNorm = this.child('outNorm', new GroupNorm(c0, groupsFor(c0, g)));
    this.outConv = this.child('outConv', new Conv2d(c0, 3, 3, { padding: 1 }));
  }

  /** Prompt features (computed once per sampling run and reused at every step). */
  encode(prompts: readonly string[]): TextFeatures {
    return this.text.forward(prompts);
  }

  /** x (B, 3, S, S) at times t (B), prompt features -> velocity (B, 3, S, S) */
  forward(x: Tensor, t: Tensor, text: TextFeatures): Tensor {
    const s = this.config.imageSize;
    const [b, ch, hh, ww] = x.shape as [number, number, number, number];
    if (ch !== 3 || hh !== s || ww !== s) throw new ShapeError(`generator: expected images (B, 3, ${s}, ${s}), got [${x.shape.join(', ')}]`);
    if (t.shape.length !== 1 || t.shape[0] !== b || text.pooled.shape[0] !== b) {
      throw new ShapeError(`generator: t must be (${b}) and the prompt batch ${b}, got t [${t.shape.join(', ')}] and ${text.pooled.shape[0]} prompts`);
    }
    const emb = this.timeMlp2.forward(this.timeMlp1.forward(timeFeatures(t)).silu()).add(this.textProj.forward(text.pooled)).silu(); // (B, E)
    const h0 = this.down0.forward(this.inConv.forward(x), emb); // (B, c0, S, S)
    const h1 = this.attn1.forward(this.down1.forward(this.ds0.forward(h0), emb), text); // (B, c1, S/2, S/2)
    let m = this.ds1.forward(h1); // (B, c1, S/4, S/4)
    for (const blk of this.mid.items) m = blk.forward(m, emb);
    m = this.midAttn.forward(m, text); // (B, c2, S/4, S/4)
    let u = F.interpolate(m, [s / 2, s / 2], 'nearest'); // (B, c2, S/2, S/2)
    u = this.upAttn1.forward(this.up1.forward(cat([u, h1], 1), emb), text); // (B, c1, S/2, S/2)
    u = F.interpolate(u, [s, s], 'nearest'); // (B, c1, S, S)
    u = this.up0.forward(cat([u, h0], 1), emb); // (B, c0, S, S)
    return this.outConv.forward(this.outNorm.forward(u).silu()); // (B, 3, S, S)
  }
}

function headsFor(ch: number, heads: number): number {
  let h = Math.min(heads, ch);
  while (ch % h !== 0) h--;
  return h;
}
