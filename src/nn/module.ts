/**
 * The module base: named parameters and child modules, train/eval mode, and disposal.
 * Parameter names join child names with dots (`blocks.0.attn.qkv.weight`), as PyTorch's
 * state_dict does, so checkpoints line up with PyTorch twins.
 */
import { ConfigError } from '../errors.js';
import { keep, type NamedParam, type Tensor } from '../tensor/index.js';

export abstract class Module {
  private readonly ownParams = new Map<string, { tensor: Tensor; decay: boolean }>();
  private readonly children = new Map<string, Module>();
  training = true;

  /** Registers a trainable tensor (kept out of tidy scopes, requires grad). */
  protected param(name: string, t: Tensor, decay = true): Tensor {
    if (this.ownParams.has(name)) throw new ConfigError(`parameter '${name}' registered twice`);
    keep(t).requiresGrad_(true);
    this.ownParams.set(name, { tensor: t, decay });
    return t;
  }

  /** Registers a child module under `name`. */
  protected child<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  /** Every parameter with its dotted name; norms, biases and embeddings of position skip decay. */
  namedParameters(prefix = ''): NamedParam[] {
    const out: NamedParam[] = [];
    for (const [name, p] of this.ownParams) out.push({ name: prefix + name, tensor: p.tensor, decay: p.decay });
    for (const [name, c] of this.children) out.push(...c.namedParameters(`${prefix}${name}.`));
    return out;
  }

  /** The parameter tensors. */
  parameters(): Tensor[] {
    return this.namedParameters().map((p) => p.tensor);
  }

  /** Total number of parameter elements. */
  parameterCount(): number {
    return this.parameters().reduce((s, t) => s + t.size, 0);
  }

  /** Switches dropout and similar behaviour on (training) or off (evaluation), recursively. */
  train(on = true): this {
    this.training = on;
    for (const c of this.children.values()) c.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Frees every parameter. */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
  }
}

/** A list of modules registered as `0`, `1`, ... */
export class ModuleList<M extends Module> extends Module {
  readonly items: M[];
  constructor(items: M[]) {
    super();
    this.items = items;
    items.forEach((m, i) => this.child(String(i), m));
  }
}
