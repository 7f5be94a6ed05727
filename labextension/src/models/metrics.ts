import { IMetricsSample } from '../types';

/** The most readings kept: a few minutes at the view's pace. */
export const MAX_SAMPLES = 120;

/** What happened between two readings of the server's /metrics. */
export interface IInterval {
  /** When the later reading was taken (seconds since the epoch). */
  at: number;
  requestsPerSecond: number;
  /** The share of requests refused or failed, 0 to 1 (null without requests). */
  errorRate: number | null;
  /** The 99th percentile of latency in milliseconds (null without requests). */
  p99Ms: number | null;
  /** The share of shadow answers that differ from the served ones (null without any). */
  shadowDisagreement: number | null;
}

type Buckets = (number | null)[][];

/** Sum of every route's counters (and each bucket's) in one reading. */
function totals(sample: IMetricsSample) {
  let requests = 0;
  let errors = sample.unrouted_errors;
  const buckets = new Map<number, number>();
  for (const route of sample.routes) {
    requests += route.requests;
    errors += route.errors;
    for (const [le, n] of route.buckets as Buckets) {
      const bound = le === null ? Infinity : le;
      buckets.set(bound, (buckets.get(bound) ?? 0) + (n ?? 0));
    }
  }
  let agree = 0;
  let disagree = 0;
  for (const s of sample.shadow) {
    agree += s.agree;
    disagree += s.disagree;
  }
  return { requests, errors, buckets, agree, disagree };
}

/**
 * The q-quantile of a histogram's observations from its cumulative buckets (upper bound ->
 * count, +Inf included), interpolated within the bucket as Prometheus' histogram_quantile
 * does; null without observations. A quantile in the +Inf bucket is the largest finite bound.
 */
export function quantile(
  q: number,
  cumulative: Map<number, number>
): number | null {
  const bounds = [...cumulative.keys()].sort((a, b) => a - b);
  const total =
    cumulative.get(Infinity) ?? cumulative.get(bounds[bounds.length - 1]) ?? 0;
  if (total <= 0) {
    return null;
  }
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const bound of bounds) {
    const count = cumulative.get(bound) ?? 0;
    if (count >= rank) {
      if (bound === Infinity) {
        return lower;
      }
      const inBucket = count - below;
      return inBucket > 0
        ? lower + ((bound - lower) * (rank - below)) / inBucket
        : bound;
    }
    lower = bound;
    below = count;
  }
  return lower;
}

/** A reading of a server that has counted nothing yet. */
function nothingYet(sample: IMetricsSample): IMetricsSample {
  return { ...sample, at: 0, routes: [], shadow: [], unrouted_errors: 0 };
}

/** What happened between readings `a` and `b` (b later). Counters that went down (the
 * server restarted) count from zero. */
export function interval(a: IMetricsSample, b: IMetricsSample): IInterval {
  const ta = totals(a);
  const tb = totals(b);
  const from = tb.requests < ta.requests ? totals(nothingYet(a)) : ta;
  const seconds = Math.max(1e-3, b.at - a.at);
  const requests = tb.requests - from.requests;
  const errors = tb.errors - from.errors;
  const latency = new Map<number, number>();
  for (const [bound, n] of tb.buckets) {
    latency.set(bound, n - (from.buckets.get(bound) ?? 0));
  }
  const p99 = quantile(0.99, latency);
  const shadowed = tb.agree + tb.disagree - (from.agree + from.disagree);
  return {
    at: b.at,
    requestsPerSecond: requests / seconds,
    errorRate: requests + errors > 0 ? errors / (requests + errors) : null,
    p99Ms: p99 === null ? null : p99 * 1000,
    shadowDisagreement:
      shadowed > 0 ? (tb.disagree - from.disagree) / shadowed : null
  };
}

/** The readings taken while a view shows, and the intervals between them. */
export class MetricsHistory {
  get samples(): readonly IMetricsSample[] {
    return this._samples;
  }

  /** Keep a reading (the oldest go past MAX_SAMPLES). */
  add(sample: IMetricsSample): void {
    const last = this._samples[this._samples.length - 1];
    if (last && sample.at <= last.at) {
      return;
    }
    this._samples.push(sample);
    if (this._samples.length > MAX_SAMPLES) {
      this._samples.shift();
    }
  }

  /** Forget every reading (another project, or the server stopped). */
  clear(): void {
    this._samples = [];
  }

  intervals(): IInterval[] {
    const found: IInterval[] = [];
    for (let i = 1; i < this._samples.length; i++) {
      found.push(interval(this._samples[i - 1], this._samples[i]));
    }
    return found;
  }

  /** The share of shadow answers that differed since the server started (null before
   * any reading or any shadow answer). */
  shadowDisagreement(): number | null {
    const last = this._samples[this._samples.length - 1];
    return last ? interval(nothingYet(last), last).shadowDisagreement : null;
  }

  private _samples: IMetricsSample[] = [];
}
