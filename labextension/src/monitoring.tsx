import * as React from 'react';

import { attempt, Badge, Empty, ErrorNote, IPanelProps, num, Section, when } from './common';
import { ICheck } from './types';

function Drift(props: { check: ICheck }): JSX.Element {
  const features = props.check.features ?? [];
  return (
    <table className="mlmom-table mlmom-drift">
      <thead><tr><th>feature</th><th>method</th><th>score</th><th>verdict</th></tr></thead>
      <tbody>
        {features.map(f => (
          <tr key={f.feature} data-feature={f.feature} data-drifted={String(f.drifted)}>
            <td>{f.feature}</td><td>{f.method}</td><td>{num(f.score, 4)}</td>
            <td><Badge tone={f.drifted ? 'bad' : 'good'}>{f.drifted ? 'drift' : 'no drift'}</Badge></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One row per check: measured (from late labels) and estimated (CBPE) metrics. */
function Performance(props: { history: ICheck[] }): JSX.Element {
  const checks = props.history.slice(-10).reverse();
  const metric = (c: ICheck, source: 'measured' | 'estimated') => {
    const found = c.performance?.[source];
    const key = found && ('accuracy' in found ? 'accuracy' : Object.keys(found)[0]);
    return key ? `${key} ${num(found![key])}` : '—';
  };
  if (checks.length === 0) {
    return <Empty>No checks yet.</Empty>;
  }
  return (
    <table className="mlmom-table mlmom-performance">
      <thead><tr><th>checked</th><th>v</th><th>rows</th><th>drift share</th>
        <th>measured</th><th>estimated</th></tr></thead>
      <tbody>
        {checks.map(c => (
          <tr key={c.ts}>
            <td>{when(c.ts)}</td><td>{c.version}</td><td>{c.rows}</td>
            <td>{num(c.dataset_drift_share, 2)}</td><td>{metric(c, 'measured')}</td>
            <td>{metric(c, 'estimated')}</td>
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
  const check = () => attempt('the check', async () => {
    const job = await model.runJob('monitoring/check');
    if (job.error) {
      throw new Error(job.error.error);
    }
  });
  const report = () => attempt('the drift report', async () => {
    const job = await model.runJob('monitoring/report');
    if (job.error) {
      throw new Error(job.error.error);
    }
    props.openUrl(job.result.html);
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
