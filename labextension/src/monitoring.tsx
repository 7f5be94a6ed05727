import * as React from 'react';

import {
  attempt, Badge, clock, Empty, ErrorNote, IPanelProps, num, Section, when
} from './common';
import { ICheck } from './types';

/** Short names of the drift tests (mlmom_lab/monitoring/stattests.py), full ones on hover. */
const TESTS: Record<string, [string, string]> = {
  ks: ['KS', 'Kolmogorov-Smirnov p-value (drift when low)'],
  chisquare: ['χ²', 'chi-square p-value (drift when low)'],
  z: ['Z', 'two-proportion Z-test p-value (drift when low)'],
  wasserstein: ['W', 'Wasserstein distance, normed by the reference std'],
  jensenshannon: ['JS', 'Jensen-Shannon distance'],
  psi: ['PSI', 'population stability index'],
  kl_div: ['KL', 'Kullback-Leibler divergence'],
  hellinger: ['H', 'Hellinger distance']
};

function Drift(props: { check: ICheck }): JSX.Element {
  const features = props.check.features ?? [];
  return (
    <table className="mlmom-table mlmom-drift">
      <thead><tr><th>feature</th><th>test</th><th>score</th><th>verdict</th>
        <th title="share of the mean |SHAP|: training rows → window">SHAP</th></tr></thead>
      <tbody>
        {features.map(f => {
          const [short, long] = TESTS[f.method] ?? [f.method, f.method];
          return (
            <tr key={f.feature} data-feature={f.feature} data-drifted={String(f.drifted)}>
              <td className="mlmom-wrap">{f.feature}</td>
              <td title={long}>{short}</td><td>{num(f.score, 3)}</td>
              <td><Badge tone={f.drifted ? 'bad' : 'good'}>{f.drifted ? 'drift' : 'ok'}</Badge></td>
              <td className="mlmom-shap" data-shifted={String(f.shap_shifted ?? false)}
                title="share of what the model listens to: training rows → window">
                {f.shap_share ? <ShapShare share={f.shap_share} shifted={!!f.shap_shifted} />
                  : '—'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** A feature's share of the mean |SHAP|, training rows → window; marked where it moved. */
function ShapShare(props: { share: [number, number]; shifted: boolean }): JSX.Element {
  const [before, after] = props.share.map(s => Math.round(s * 100));
  const text = `${before}→${after}%`;
  return props.shifted ? <Badge tone="bad">{text}</Badge> : <span>{text}</span>;
}

/** The metric the performance table shows: accuracy for classifiers, else the first one. */
function headline(checks: ICheck[]): string | null {
  for (const c of checks) {
    const found = c.performance?.measured ?? c.performance?.estimated;
    if (found) {
      return 'accuracy' in found ? 'accuracy' : Object.keys(found)[0] ?? null;
    }
  }
  return null;
}

/** One row per check: the metric measured on late labels and estimated (CBPE) without them. */
function Performance(props: { history: ICheck[] }): JSX.Element {
  const checks = props.history.slice(-10).reverse();
  if (checks.length === 0) {
    return <Empty>No checks yet.</Empty>;
  }
  const metric = headline(checks);
  const value = (c: ICheck, source: 'measured' | 'estimated') =>
    metric ? num(c.performance?.[source]?.[metric], 3) : '—';
  return (
    <table className="mlmom-table mlmom-performance">
      <thead>
        <tr><th>checked</th><th>v</th><th>rows</th><th title="share of drifted features">drift</th>
          <th title={`${metric ?? 'metric'} on labelled rows`}>{metric ?? 'metric'}</th>
          <th title={`${metric ?? 'metric'} estimated from the scores (CBPE)`}>est.</th></tr>
      </thead>
      <tbody>
        {checks.map(c => (
          <tr key={c.ts}>
            <td title={when(c.ts)}>{clock(c.ts)}</td><td>{c.version}</td><td>{c.rows}</td>
            <td>{Math.round(c.dataset_drift_share * 100)}%</td>
            <td>{value(c, 'measured')}</td><td>{value(c, 'estimated')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function MonitoringPanel(props: IPanelProps): JSX.Element {
  const { model } = props;
  const data = model.monitoring.data;
  const busy = ['check', 'report'].some(kind =>
    ['queued', 'running'].includes(model.latestJob(kind)?.status ?? ''));
  const check = () => attempt('the check', () => model.complete('monitoring/check'));
  const report = () => attempt('the drift report', async () => {
    props.openUrl((await model.complete('monitoring/report')).result.html);
  });
  const dashboard = (name: 'drift' | 'explain') => attempt(`the ${name} dashboard`, async () => {
    props.openDashboard((await model.act<{ path: string }>('dashboards/open', { name })).path);
  });
  if (!data) {
    return <Section title="Monitoring"><ErrorNote error={model.monitoring.error} /></Section>;
  }
  const latest = data.latest;
  return (
    <Section title="Monitoring" actions={
      <React.Fragment>
        <button className="jp-mod-styled jp-mod-accept" disabled={busy} onClick={check}>
          Run check</button>
        <button className="jp-mod-styled" disabled={busy} onClick={report}>
          Drift report</button>
        <button className="jp-mod-styled" onClick={() => dashboard('drift')}
          title="Voilà: drift per feature, distributions, performance, alerts">
          Drift dashboard</button>
        <button className="jp-mod-styled" onClick={() => dashboard('explain')}
          title="Voilà: what drives each version, and SHAP and LIME of any logged prediction">
          Explanations</button>
      </React.Fragment>}>
      {latest ? (
        <React.Fragment>
          <div className="mlmom-dim">
            v{latest.version} · {latest.rows} rows · checked {when(latest.ts)} ·{' '}
            <Badge tone={latest.dataset_drift_share >= 0.5 ? 'bad' : 'good'}>
              {Math.round(latest.dataset_drift_share * 100)}% of features drifted</Badge>
          </div>
          <Drift check={latest} />
        </React.Fragment>
      ) : (
        <Empty>No check yet: start the server (Deployments), send it traffic, then Run check.</Empty>
      )}
      <h4>Performance over windows</h4>
      <Performance history={data.history} />
      <h4>Alerts</h4>
      {data.alerts.length === 0 ? <Empty>No alert has fired.</Empty> : (
        <ul className="mlmom-alerts">
          {data.alerts.map((a, i) => (
            <li key={i}><Badge tone="bad">{a.rule}</Badge> {a.message}
              <span className="mlmom-dim"> {when(a.ts)}</span></li>
          ))}
        </ul>
      )}
      {data.reports.length > 0 && (
        <React.Fragment>
          <h4>Evidently reports</h4>
          <ul className="mlmom-reports">
            {data.reports.map(r => (
              <li key={r}><button className="mlmom-link" onClick={() => props.openUrl(r)}>
                {r.split('/').pop()}</button></li>
            ))}
          </ul>
        </React.Fragment>
      )}
    </Section>
  );
}
