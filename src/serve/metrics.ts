/**
 * Server metrics in the Prometheus text exposition format (version 0.0.4): request counts by
 * route and status, a request-latency histogram, a batch-size histogram, batch durations and
 * queue depth per model, model state and worker restarts, and the process's resident memory.
 * No dependencies.
 */

/** Latency buckets in seconds: 1 ms to 30 s, roughly x2.5 apart (Prometheus client defaults, widened). */
export const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
/** Batch-size buckets: powers of two up to 256. */
export const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256] as const;

class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly buckets: readonly number[]) {
    this.counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    this.buckets.forEach((b, i) => {
      if (v <= b) this.counts[i]!++;
    });
  }
}

/** Escapes a label value as the text format requires. */
function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function num(v: number): string {
  return Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN';
}

/**
 * Collects the server's counters and histograms and renders them for `GET /metrics`.
 *
 * @example
 * const m = new ServerMetrics();
 * m.observeRequest('/v1/rewards', 200, 0.012);
 * m.render(); // '# HELP rewarddance_requests_total ...'
 */
export class ServerMetrics {
  private readonly requests = new Map<string, { route: string; status: string; n: number }>();
  private readonly latency = new Map<string, Histogram>();
  private readonly batchSizes = new Map<string, Histogram>();
  private readonly batchSeconds = new Map<string, Histogram>();
  private readonly batchErrors = new Map<string, number>();
  private readonly items = new Map<string, number>();
  private readonly depthProbes = new Map<string, () => number>();
  private readonly healthProbes = new Map<string, () => { readonly state: string; readonly restarts: number }>();

  /** Counts one finished request and its latency. */
  observeRequest(route: string, status: number, seconds: number): void {
    const key = `${route}\u0000${status}`;
    const r = this.requests.get(key) ?? { route, status: String(status), n: 0 };
    r.n++;
    this.requests.set(key, r);
    let h = this.latency.get(route);
    if (!h) this.latency.set(route, (h = new Histogram(LATENCY_BUCKETS_S)));
    h.observe(seconds);
  }

  /** Records one model batch. */
  observeBatch(model: string, size: number, seconds: number, ok: boolean): void {
    let s = this.batchSizes.get(model);
    if (!s) this.batchSizes.set(model, (s = new Histogram(BATCH_SIZE_BUCKETS)));
    s.observe(size);
    let d = this.batchSeconds.get(model);
    if (!d) this.batchSeconds.set(model, (d = new Histogram(LATENCY_BUCKETS_S)));
    d.observe(seconds);
    this.items.set(model, (this.items.get(model) ?? 0) + size);
    if (!ok) this.batchErrors.set(model, (this.batchErrors.get(model) ?? 0) + 1);
  }

  /** Registers a function read at scrape time for the model's queue depth. */
  trackQueue(model: string, depth: () => number): void {
    this.depthProbes.set(model, depth);
  }

  /** Registers a function read at scrape time for the model's state and worker restarts. */
  trackHealth(model: string, health: () => { readonly state: string; readonly restarts: number }): void {
    this.healthProbes.set(model, health);
  }

  /** The whole exposition, ending with a newline. */
  render(): string {
    const out: string[] = [];
    const head = (name: string, type: string, help: string): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    const hist = (name: string, key: string, map: Map<string, Histogram>): void => {
      for (const [k, h] of map) {
        h.buckets.forEach((b, i) => out.push(`${name}_bucket${labels({ [key]: k, le: num(b) })} ${h.counts[i]}`));
        out.push(`${name}_bucket${labels({ [key]: k, le: '+Inf' })} ${h.count}`);
        out.push(`${name}_sum${labels({ [key]: k })} ${num(h.sum)}`, `${name}_count${labels({ [key]: k })} ${h.count}`);
      }
    };
    head('rewarddance_requests_total', 'counter', 'HTTP requests answered, by route and status.');
    for (const r of this.requests.values()) out.push(`rewarddance_requests_total${labels({ route: r.route, status: r.status })} ${r.n}`);
    head('rewarddance_request_duration_seconds', 'histogram', 'Time from request start to response end.');
    hist('rewarddance_request_duration_seconds', 'route', this.latency);
    head('rewarddance_batch_size', 'histogram', 'Items per model call.');
    hist('rewarddance_batch_size', 'model', this.batchSizes);
    head('rewarddance_batch_duration_seconds', 'histogram', 'Time per model call.');
    hist('rewarddance_batch_duration_seconds', 'model', this.batchSeconds);
    head('rewarddance_items_scored_total', 'counter', 'Items run through a model.');
    for (const [m, n] of this.items) out.push(`rewarddance_items_scored_total${labels({ model: m })} ${n}`);
    head('rewarddance_batch_errors_total', 'counter', 'Model calls that threw.');
    for (const [m, n] of this.batchErrors) out.push(`rewarddance_batch_errors_total${labels({ model: m })} ${n}`);
    head('rewarddance_queue_depth', 'gauge', 'Items waiting for a batch, per model.');
    for (const [m, f] of this.depthProbes) out.push(`rewarddance_queue_depth${labels({ model: m })} ${f()}`);
    const health = [...this.healthProbes].map(([m, f]) => ({ m, h: f() }));
    head('rewarddance_model_up', 'gauge', '1 while the model answers, 0 while its worker restarts or is down.');
    for (const { m, h } of health) out.push(`rewarddance_model_up${labels({ model: m })} ${h.state === 'up' ? 1 : 0}`);
    head('rewarddance_model_worker_restarts_total', 'counter', 'Model workers started after a crash or a hang.');
    for (const { m, h } of health) out.push(`rewarddance_model_worker_restarts_total${labels({ model: m })} ${h.restarts}`);
    head('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.');
    out.push(`process_resident_memory_bytes ${process.memoryUsage.rss()}`);
    return out.join('\n') + '\n';
  }
}
