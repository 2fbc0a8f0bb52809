// A Prometheus histogram for hot paths: observing is a bucket search and three additions on a series bound once per
// label set, with no label hashing or object allocation per sample (prom-client's Histogram hashes its labels on
// every observe). It registers with a prom-client Registry and renders in the same text format.

import type { Registry } from "prom-client";

/** One label set's counts: `counts[i]` samples fell in (bounds[i-1], bounds[i]]; the last slot is above every bound. */
export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  /** Rendered after `labels`, as prom-client does for its histograms (`le` first). */
  sharedLabels: Readonly<Record<string, string>>;
  metricName: string;
}

export class FastHistogram<L extends string = string> {
  readonly type = "histogram";
  readonly aggregator = "sum";
  readonly name: string;
  readonly help: string;
  private readonly labelNames: readonly L[];
  private readonly bounds: readonly number[];
  private readonly series = new Map<string, HistogramSeries>();
  /** The series of the empty label set, for histograms without labels. */
  private unlabelled: HistogramSeries | undefined;

  constructor(options: {
    name: string;
    help: string;
    labelNames?: readonly L[];
    buckets: readonly number[];
    registers: Registry[];
  }) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames ?? [];
    this.bounds = [...options.buckets].sort((a, b) => a - b);
    // prom-client renders any object with name, help, type and get(): the same format as its own histograms.
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  /** The series of one label set (label values in `labelNames` order); bind it once and keep it. */
  labels(...values: string[]): HistogramSeries {
    const key = values.join("\u0000");
    let s = this.series.get(key);
    if (!s) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => {
        labels[name] = values[i] ?? "";
      });
      s = new HistogramSeries(labels, this.bounds);
      this.series.set(key, s);
    }
    return s;
  }

  /** Observes on the histogram without labels. */
  observe(value: number): void {
    this.unlabelled ??= this.labels();
    this.unlabelled.observe(value);
  }

  reset(): void {
    this.series.clear();
    this.unlabelled = undefined;
  }

  /** prom-client's metric shape: cumulative buckets with `le`, then `_sum` and `_count`, per label set. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    const values: MetricValue[] = [];
    for (const s of this.series.values()) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.counts[i]!;
        const le = this.bounds[i]!;
        values.push({ value: acc, labels: { le }, sharedLabels: s.labels, metricName: `${this.name}_bucket` });
      }
      values.push({ value: s.count, labels: { le: "+Inf" }, sharedLabels: s.labels, metricName: `${this.name}_bucket` });
      values.push({ value: s.sum, labels: {}, sharedLabels: s.labels, metricName: `${this.name}_sum` });
      values.push({ value: s.count, labels: {}, sharedLabels: s.labels, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
