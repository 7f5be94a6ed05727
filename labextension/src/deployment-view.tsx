import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { Chart } from './charts';
import { announce, attempt, ErrorNote, IPanelProps, num } from './common';
import { CanarySteps, ServerButtons } from './deployments';
import { IInterval } from './models';
import { IDeployment } from './types';

/** The span the live charts show, in seconds (the readings kept cover it). */
const WINDOW_SECONDS = 180;

/** How often the view reads the server's /metrics, in milliseconds. */
export const METRICS_EVERY_MS = 2000;

/** Read the server's /metrics now and every METRICS_EVERY_MS while the view is shown. */
function useMetrics(props: IPanelProps): void {
  const deployments = props.model.deployments;
  React.useEffect(() => {
    const read = () => void deployments.sample().catch(() => undefined);
    read();
    const timer = setInterval(read, METRICS_EVERY_MS);
    return () => clearInterval(timer);
  }, [deployments]);
}

/** A share as a whole percentage. */
function pct(share: number): number {
  return Math.round(share * 100);
}

/** Who answers the requests: the champion's share and the canary's as one bar, and the
 * shadow hearing them all, with how often it disagrees. */
function TrafficSplit(props: {
  deployment: IDeployment;
  disagreement: number | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { deployment: d, trans } = props;
  const canary = d.canary ? d.canary_weight : 0;
  const parts = [
    {
      role: 'champion',
      said: trans.__('champion v%1 · %2%', d.champion, pct(1 - canary)),
      share: d.champion ? 1 - canary : 0
    },
    {
      role: 'canary',
      said: trans.__('canary v%1 · %2%', d.canary, pct(canary)),
      share: canary
    }
  ].filter(p => p.share > 0);
  return (
    <figure className="mlmom-split" aria-label={trans.__('Traffic split')}>
      <figcaption>{trans.__('Who answers the requests')}</figcaption>
      <div className="mlmom-split-bar">
        {parts.map(p => (
          <div
            key={p.role}
            className={`mlmom-split-${p.role}`}
            data-role={p.role}
            style={{ flexGrow: p.share }}
          >
            {p.said}
          </div>
        ))}
      </div>
      {d.shadow && (
        <div className="mlmom-split-shadow" data-role="shadow">
          {trans.__('shadow v%1 hears every request, unseen', d.shadow)}
          {props.disagreement !== null &&
            ` · ${trans.__('disagrees on %1% of them', num(props.disagreement * 100, 1))}`}
        </div>
      )}
    </figure>
  );
}

/** The canary's weight as a slider: applied to the running workers on Apply. */
function CanaryWeight(
  props: IPanelProps & { deployment: IDeployment }
): JSX.Element {
  const { deployment: d, model, trans } = props;
  const candidates = (model.registry.page.data?.versions ?? [])
    .map(v => v.version)
    .filter(v => v !== d.champion);
  const [version, setVersion] = React.useState('');
  const [percent, setPercent] = React.useState(
    Math.round((d.canary_weight || 0.1) * 100)
  );
  React.useEffect(() => {
    if (d.canary) {
      setPercent(Math.round(d.canary_weight * 100));
    }
  }, [d.canary, d.canary_weight]);
  const chosen = d.canary ?? (version || candidates[0] || '');
  const apply = () =>
    attempt(trans, trans.__('the canary'), async () =>
      announce(trans, await model.deployments.canary(chosen, percent / 100))
    );
  return (
    <div className="mlmom-canary-weight">
      <label htmlFor="mlmom-canary-version">{trans.__('canary')}</label>
      <select
        id="mlmom-canary-version"
        value={chosen}
        disabled={!!d.canary}
        onChange={e => setVersion(e.target.value)}
      >
        {(d.canary ? [d.canary] : candidates).map(v => (
          <option key={v} value={v}>
            v{v}
          </option>
        ))}
      </select>
      <input
        type="range"
        min={1}
        max={100}
        value={percent}
        aria-label={trans.__('canary weight in percent')}
        aria-valuetext={trans.__('%1% of requests', percent)}
        onChange={e => setPercent(Number(e.target.value))}
      />
      <output>{percent}%</output>
      <button
        className="jp-mod-styled jp-mod-accept"
        disabled={!chosen}
        onClick={apply}
      >
        {d.canary ? trans.__('Apply weight') : trans.__('Start canary')}
      </button>
    </div>
  );
}

/** Request rate, p99 latency and error rate between the readings, as three small charts. */
function LiveCharts(props: {
  intervals: IInterval[];
  shadow: boolean;
  trans: TranslationBundle;
}): JSX.Element {
  const { intervals, trans } = props;
  const x = intervals.map(i => i.at);
  const chart = (title: string, values: (number | null)[], key: string) => (
    <Chart
      key={key}
      className={`mlmom-live-${key}`}
      title={title}
      x={x}
      time
      window={WINDOW_SECONDS}
      height={120}
      series={[{ label: title, values }]}
    />
  );
  return (
    <div className="mlmom-live-charts">
      {chart(
        trans.__('requests per second'),
        intervals.map(i => i.requestsPerSecond),
        'rate'
      )}
      {chart(
        trans.__('p99 latency (ms)'),
        intervals.map(i => i.p99Ms),
        'p99'
      )}
      {chart(
        trans.__('errors (%)'),
        intervals.map(i => (i.errorRate === null ? null : i.errorRate * 100)),
        'errors'
      )}
      {props.shadow &&
        chart(
          trans.__('shadow disagreement (%)'),
          intervals.map(i =>
            i.shadowDisagreement === null ? null : i.shadowDisagreement * 100
          ),
          'shadow'
        )}
    </div>
  );
}

/** The deployment in the main area: the split, the canary's weight, live charts. */
export function DeploymentView(props: IPanelProps): JSX.Element {
  const { model, trans } = props;
  useMetrics(props);
  const deployments = model.deployments;
  const server = deployments.server.data;
  const intervals = deployments.metrics.intervals();
  const latest = intervals[intervals.length - 1];
  return (
    <div className="mlmom-view mlmom-deployment-view">
      <header className="mlmom-view-header">
        <h2>
          {trans.__('Deployment · %1', model.project.data?.project ?? '')}
        </h2>
        <div className="mlmom-actions">
          {server && <ServerButtons {...props} running={server.running} />}
        </div>
      </header>
      <ErrorNote error={deployments.server.error} />
      {server && (
        <React.Fragment>
          <TrafficSplit
            deployment={server.deployment}
            disagreement={deployments.metrics.shadowDisagreement()}
            trans={trans}
          />
          <CanaryWeight {...props} deployment={server.deployment} />
          <CanarySteps {...props} />
          <h3>
            {deployments.metricsRunning
              ? trans.__(
                  'Live, from the server’s /metrics every %1 s',
                  METRICS_EVERY_MS / 1000
                )
              : trans.__('No server answers: start it to see its traffic')}
          </h3>
          {latest && (
            <p className="mlmom-live-now" role="status">
              {trans.__(
                '%1 requests/s · p99 %2 ms · %3% errors',
                num(latest.requestsPerSecond, 1),
                num(latest.p99Ms, 1),
                num((latest.errorRate ?? 0) * 100, 1)
              )}
            </p>
          )}
          <LiveCharts
            intervals={intervals}
            shadow={!!server.deployment.shadow}
            trans={trans}
          />
        </React.Fragment>
      )}
    </div>
  );
}
