import * as React from 'react';

import {
  announce, attempt, Badge, confirm, Empty, ErrorNote, IPanelProps, num, Section, when
} from './common';
import { IRelease, IWorker } from './types';

/** Which change the running workers serve: all the current one, or who lags. */
function Workers(props: { workers: IWorker[]; seq: number }): JSX.Element {
  const { workers, seq } = props;
  if (workers.length === 0) {
    return <span>no server running</span>;
  }
  const behind = workers.filter(w => w.seq === null || w.seq < seq);
  if (behind.length === 0) {
    return <span>change {seq} on all {workers.length} worker{workers.length > 1 ? 's' : ''}</span>;
  }
  return (
    <span>
      <Badge tone="warn">{behind.length} of {workers.length} behind</Badge>{' '}
      {behind.map(w => w.failed_seq !== null && w.failed_seq >= seq
        ? `worker ${w.pid} failed: ${w.failed_reason}`
        : `worker ${w.pid} ${w.seq === null ? 'starting' : `on change ${w.seq}`}`).join('; ')}
    </span>
  );
}

function Traffic(props: IPanelProps): JSX.Element | null {
  const traffic = props.model.server.data?.traffic;
  if (!traffic) {
    return null;
  }
  if (traffic.requests === 0) {
    return <Empty>No requests in the last minute.</Empty>;
  }
  return (
    <table className="mlmom-table mlmom-traffic">
      <thead>
        <tr><th>version</th><th>route</th><th>req/s</th><th>p50 ms</th><th>p99 ms</th></tr>
      </thead>
      <tbody>
        {traffic.routes.map(r => (
          <tr key={r.version + r.route}>
            <td>v{r.version}</td><td>{r.route}</td><td>{num(r.per_second, 2)}</td>
            <td>{num(r.p50_ms, 2)}</td><td>{num(r.p99_ms, 2)}</td>
          </tr>
        ))}
        <tr className="mlmom-total">
          <td colSpan={2}>all ({traffic.errors} errors)</td><td>{num(traffic.per_second, 2)}</td>
          <td>{num(traffic.p50_ms, 2)}</td><td>{num(traffic.p99_ms, 2)}</td>
        </tr>
      </tbody>
    </table>
  );
}

function Release(props: IPanelProps): JSX.Element {
  const { model } = props;
  const versions = (model.registry.data?.versions ?? []).map(v => v.version);
  const [version, setVersion] = React.useState('');
  const [weight, setWeight] = React.useState('0.1');
  const chosen = version || versions[0] || '';
  const canary = () => attempt('the canary', async () => announce(
    await model.act<IRelease>('deployment/canary', { version: chosen, weight: Number(weight) })));
  const shadow = () => attempt('the shadow', async () => announce(
    await model.act<IRelease>('deployment/shadow', { version: chosen })));
  return (
    <div className="mlmom-release mlmom-row">
      <select value={chosen} onChange={e => setVersion(e.target.value)} aria-label="version">
        {versions.map(v => <option key={v} value={v}>v{v}</option>)}
      </select>
      <input type="number" min="0.01" max="1" step="0.05" value={weight}
        onChange={e => setWeight(e.target.value)} aria-label="canary weight" />
      <button className="jp-mod-styled" onClick={canary} disabled={!chosen}>Canary</button>
      <button className="jp-mod-styled" onClick={shadow} disabled={!chosen}>Shadow</button>
    </div>
  );
}

export function DeploymentsPanel(props: IPanelProps): JSX.Element {
  const { model } = props;
  const server = model.server.data;
  const job = model.latestJob('server');
  const starting = job?.status === 'running' || job?.status === 'queued';
  const start = () => attempt('starting the server', () => model.complete('server/start'));
  const stop = () => attempt('stopping the server', () => model.act('server/stop'));
  const step = (name: string, label: string) => () => attempt(label, async () => {
    if (await confirm(label, `${label}? It is done once every running server worker serves it.`, label)) {
      announce(await model.act<IRelease>(`deployment/${name}`, { reason: 'from the lab' }));
    }
  });
  if (!server) {
    return <Section title="Deployments"><ErrorNote error={model.server.error} /></Section>;
  }
  const d = server.deployment;
  return (
    <Section title="Deployments" actions={server.running
      ? <button className="jp-mod-styled jp-mod-warn" onClick={stop}>Stop server</button>
      : <button className="jp-mod-styled jp-mod-accept" disabled={starting} onClick={start}>
          {starting ? 'Starting…' : 'Start server'}</button>}>
      <div className="mlmom-server" data-running={String(server.running)}>
        {server.running
          ? <span><Badge tone="good">running</Badge> <a href={server.url} target="_blank"
              rel="noreferrer">{server.url}</a> · pid {server.pid} · since {when(server.started_at)}</span>
          : <span><Badge tone="muted">stopped</Badge> Start it to serve the deployment below on
              127.0.0.1 (Open Inference v2 and /invocations).</span>}
      </div>
      <dl className="mlmom-details mlmom-deployment">
        <dt>champion</dt><dd data-role="champion">v{d.champion}</dd>
        <dt>canary</dt><dd data-role="canary">{d.canary
          ? `v${d.canary} on ${Math.round(d.canary_weight * 100)}% of requests` : '—'}</dd>
        <dt>shadow</dt><dd data-role="shadow">{d.shadow ? `v${d.shadow} (listens only)` : '—'}</dd>
        <dt>changed</dt><dd data-role="changed">{when(d.updated_at)}
          {d.reason ? ` · ${d.reason}` : ''}{d.by ? ` · by ${d.by}` : ''}</dd>
        <dt>served</dt><dd data-role="served"><Workers workers={server.workers ?? []} seq={d.seq} /></dd>
      </dl>
      <div className="mlmom-actions">
        <button className="jp-mod-styled" disabled={!d.canary}
          onClick={step('promote', 'Promote the canary')}>Promote canary</button>
        <button className="jp-mod-styled" disabled={!d.canary}
          onClick={step('rollback', 'Roll back the canary')}>Roll back canary</button>
        <button className="jp-mod-styled" disabled={!d.canary && !d.shadow}
          onClick={step('clear', 'Clear canary and shadow')}>Clear</button>
      </div>
      <h4>Release a version</h4>
      <Release {...props} />
      <h4>Traffic, last minute</h4>
      <Traffic {...props} />
    </Section>
  );
}
