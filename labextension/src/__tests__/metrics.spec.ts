import { interval, MetricsHistory, quantile } from '../models/metrics';
import { IMetricsSample } from '../types';

/** A reading with one route: `requests` answered in the buckets given (cumulative). */
function reading(
  at: number,
  requests: number,
  buckets: [number | null, number][],
  extra: Partial<IMetricsSample> = {}
): IMetricsSample {
  return {
    at,
    routes: [{ version: '1', route: 'champion', requests, errors: 0, buckets }],
    shadow: [],
    unrouted_errors: 0,
    in_flight: 0,
    ...extra
  };
}

describe('quantile', () => {
  it('interpolates within the bucket as Prometheus does', () => {
    // 100 observations: 50 under 10 ms, 90 under 20 ms, all under 50 ms
    const buckets = new Map([
      [0.01, 50],
      [0.02, 90],
      [0.05, 100],
      [Infinity, 100]
    ]);
    expect(quantile(0.5, buckets)).toBeCloseTo(0.01);
    expect(quantile(0.99, buckets)).toBeCloseTo(0.02 + (0.03 * 9) / 10);
    expect(quantile(0.99, new Map([[Infinity, 0]]))).toBeNull();
  });

  it('answers the largest finite bound for observations past it', () => {
    const buckets = new Map([
      [0.01, 0],
      [Infinity, 5]
    ]);
    expect(quantile(0.99, buckets)).toBe(0.01);
  });
});

describe('interval', () => {
  it('turns two readings into rates, p99 and error share', () => {
    const a = reading(100, 10, [
      [0.01, 10],
      [null, 10]
    ]);
    const b = reading(
      102,
      30,
      [
        [0.01, 28],
        [null, 30]
      ],
      { unrouted_errors: 5 }
    );
    const found = interval(a, b);
    expect(found.requestsPerSecond).toBe(10);
    expect(found.errorRate).toBeCloseTo(5 / 25);
    expect(found.p99Ms).toBe(10); // 2 of 20 past the last finite bound
    expect(found.shadowDisagreement).toBeNull();
  });

  it('counts from zero again after the server restarted', () => {
    const a = reading(100, 500, [[null, 500]]);
    const b = reading(110, 20, [[null, 20]]);
    expect(interval(a, b).requestsPerSecond).toBe(2);
  });

  it('gives the share of shadow answers that disagree', () => {
    const shadow = (agree: number, disagree: number) => [
      { version: '2', agree, disagree }
    ];
    const a = reading(0, 0, [], { shadow: shadow(10, 0) });
    const b = reading(1, 0, [], { shadow: shadow(16, 4) });
    expect(interval(a, b).shadowDisagreement).toBe(0.4);
    const history = new MetricsHistory();
    history.add(a);
    history.add(b);
    history.add(a); // older than the last: not kept
    expect(history.samples).toHaveLength(2);
    expect(history.shadowDisagreement()).toBe(0.2); // since the server started
    expect(history.intervals()).toHaveLength(1);
  });
});
