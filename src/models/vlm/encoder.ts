/**
 * The patch encoder: a convolutional stem down to the patch grid (config.stem: 'patch' is one
 * 3x3 convolution and a patchifying convolution; 'conv' halves the resolution with stride-2
 * 3x3 convolutions, then projects to the model width), plus 2-D position embeddings. Video
 * frames share it; their tokens are pooled 2x2 and get a frame embedding.
 */
import { Conv2d, Embedding, GroupNorm, Module, ModuleList } from '../../nn/index.js';
import { F, arange, type Tensor } from '../../tensor/index.js';
import type { VlmConfig } from './config.js';

export class ImageEncoder extends Module {
  readonly stem: Conv2d;
  /** 'conv' stem: the stride-2 convolutions (empty for the 'patch' stem). */
  readonly down: ModuleList<Conv2d>;
  /** 'conv' stem: a one-group norm after every convolution (several times faster shape learning). */
  readonly norms: ModuleList<GroupNorm>;
  readonly patchify: Conv2d;
  readonly pos: Embedding;
  readonly posCoarse: Embedding;
  readonly frame: Embedding;
  private readonly grid: number;

  constructor(readonly config: VlmConfig) {
    super();
    this.grid = config.imageSize / config.patch;
    this.stem = this.child('stem', new Conv2d(3, config.stemChannels, 3, { padding: 1 }));
    const halvings = config.stem === 'conv' ? Math.round(Math.log2(config.patch)) : 0;
    const widths = Array.from({ length: halvings + 1 }, (_, i) => config.stemChannels * 2 ** i);
    this.down = this.child('down', new ModuleList(Array.from({ length: halvings }, (_, i) => new Conv2d(widths[i]!, widths[i + 1]!, 3, { stride: 2, padding: 1 }))));
    this.norms = this.child('norms', new ModuleList(config.stem === 'conv' ? widths.map((w) => new GroupNorm(w, 1)) : []));
    const project = config.stem === 'conv' ? new Conv2d(widths.at(-1)!, config.dim, 1) : new Conv2d(config.stemChannels, config.dim, config.patch, { stride: config.patch });
    this.patchify = this.child('patchify', project);
    this.pos = this.child('pos', new Embedding(this.grid * this.grid, config.dim));
    this.posCoarse = this.child('pos_coarse', new Embedding((this.grid / 2) ** 2, config.dim));
    this.frame = this.child('frame', new Embedding(config.maxFrames, config.dim));
  }

  private features(pixels: Tensor): Tensor {
    // pixels (N, 3, S, S) in [0, 1] -> (N, D, g, g)
    const norm = (i: number, x: Tensor): Tensor => (this.norms.items[i] ? this.norms.items[i].forward(x) : x);
    let x = norm(0, this.stem.forward(pixels.sub(0.5).mul(2))).gelu('tanh');
    this.down.items.forEach((c, i) => (x = norm(i + 1, c.forward(x)).gelu('tanh')));
    return this.patchify.forward(x);
  }

  /** pixels (B, 3, S, S) -> tokens (B, g*g, D) */
  encodeImages(pixels: Tensor): Tensor {
    const [b] = pixels.shape as [number];
    const f = this.features(pixels).reshape(b, this.config.dim, -1).transpose(1, 2); // (B, g*g, D)
    return f.add(this.pos.weight);
  }

  /** frames (B, F, 3, S, S) -> tokens (B, F*(g/2)^2, D) */
  encodeFrames(frames: Tensor): Tensor {
    const [b, nf, c, s] = frames.shape as [number, number, number, number];
    const f = F.avgPool2d(this.features(frames.reshape(b * nf, c, s, s)), 2); // (B*F, D, g/2, g/2)
    const per = (this.grid / 2) ** 2;
    const tokens = f.reshape(b, nf, this.config.dim, per).transpose(2, 3); // (B, F, per, D)
    const frameEmb = this.frame.forward(arange(0, nf)).unsqueeze(1); // (F, 1, D)
    return tokens.add(this.posCoarse.weight).add(frameEmb).reshape(b, nf * per, this.config.dim);
  }
}
