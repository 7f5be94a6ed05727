import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  announce,
  attempt,
  Badge,
  CancelJob,
  confirm,
  Empty,
  ErrorNote,
  IPanelProps,
  num,
  Section,
  when
} from './common';
import { CanaryStep } from './models';
import { IWorker } from './types';

/** Which change the running workers serve: all the current one, or who lags. */
function Workers(props: {
  workers: IWorker[];
  seq: number;
  trans: TranslationBundle;
}): JSX.Element {
  const { workers, seq, trans } = props;
  if (workers.length === 0) {
    return <span>{trans.__('no server running')}</span>;
  }
  const behind = workers.filter(w => w.seq === null || w.seq < seq);
  if (behind.length === 0) {
    return (
      <span>
        {trans._n(
          'change %2 on all %1 worker',
          'change %2 on all %1 workers',
          workers.length,
          seq
        )}
      </span>
    );
  }
  const lag = (w: IWorker) =>
    w.failed_seq !== null && w.failed_seq >= seq
      ? trans.__('worker %1 failed: %2', w.pid, w.failed_reason)
      : w.seq === null
        ? trans.__('worker %1 starting', w.pid)
        : trans.__('worker %1 on change %2', w.pid, w.seq);
  return (
    <span>
      <Badge tone="warn">
        {trans.__('%1 of %2 behind', behind.length, workers.length)}
      </Badge>{' '}
      {behind.map(lag).join('; ')}
    </span>
  );
}

function Traffic(props: IPanelProps): JSX.Element | null {
  const { trans } = props;
  const traffic = props.model.deployments.server.data?.traffic;
  if (!traffic) {
    return null;
  }
  if (traffic.requests === 0) {
    return <Empty>{trans.__('No requests in the last minute.')}</Empty>;
  }
  return (
    <table className="mlmom-table mlmom-traffic">
      <thead>
        <tr>
          <th>{trans.__('version')}</th>
          <th>{trans.__('route')}</th>
          <th>{trans.__('req/s')}</th>
          <th>{trans.__('p50 ms')}</th>
          <th>{trans.__('p99 ms')}</th>
        </tr>
      </thead>
      <tbody>
        {traffic.routes.map(r => (
          <tr key={r.version + r.route}>
            <td>v{r.version}</td>
            <td>{r.route}</td>
            <td>{num(r.per_second, 2)}</td>
            <td>{num(r.p50_ms, 2)}</td>
            <td>{num(r.p99_ms, 2)}</td>
          </tr>
        ))}
        <tr className="mlmom-total">
          <td colSpan={2}>{trans.__('all (%1 errors)', traffic.errors)}</td>
          <td>{num(traffic.per_second, 2)}</td>
          <td>{num(traffic.p50_ms, 2)}</td>
          <td>{num(traffic.p99_ms, 2)}</td>
        </tr>
      </tbody>
    </table>
  );
}

function Release(props: IPanelProps): JSX.Element {
  const { model, trans } = props;
  const versions = (model.registry.page.data?.versions ?? []).map(
    v => v.version
  );
  const [version, setVersion] = React.useState('');
  const [weight, setWeight] = React.useState('0.1');
  const chosen = version || versions[0] || '';
  const canary = () =>
    attempt(trans, trans.__('the canary'), async () =>
      announce(trans, await model.deployments.canary(chosen, Number(weight)))
    );
  const shadow = () =>
    attempt(trans, trans.__('the shadow'), async () =>
      announce(trans, await model.deployments.shadow(chosen))
    );
  return (
    <div className="mlmom-release mlmom-row">
      <select
        value={chosen}
        onChange={e => setVersion(e.target.value)}
        aria-label={trans.__('version')}
      >
        {versions.map(v => (
          <option key={v} value={v}>
            v{v}
          </option>
        ))}
      </select>
      <input
        type="number"
        min="0.01"
        max="1"
        step="0.05"
        value={weight}
        onChange={e => setWeight(e.target.value)}
        aria-label={trans.__('canary weight')}
      />
      <button className="jp-mod-styled" onClick={canary} disabled={!chosen}>
        {trans.__('Canary')}
      </button>
      <button className="jp-mod-styled" onClick={shadow} disabled={!chosen}>
        {trans.__('Shadow')}
      </button>
    </div>
  );
}

/** Start or stop the server; while it starts, a way to cancel the start. */
export function ServerButtons(props: IPanelProps & { running: boolean }) {
  const { model, trans } = props;
  const deployments = model.deployments;
  const start = () =>
    attempt(trans, trans.__('starting the server'), () => deployments.start());
  const stop = () =>
    attempt(trans, trans.__('stopping the server'), () => deployments.stop());
  if (props.running) {
    return (
      <button className="jp-mod-styled jp-mod-warn" onClick={stop}>
        {trans.__('Stop server')}
      </button>
    );
  }
  const starting = deployments.starting;
  return (
    <React.Fragment>
      <button
        className="jp-mod-styled jp-mod-accept"
        disabled={starting}
        onClick={start}
      >
        {starting ? trans.__('Starting…') : trans.__('Start server')}
      </button>
      <CancelJob job={deployments.job} model={model} trans={trans} />
    </React.Fragment>
  );
}

/** Promote the canary, roll it back, or clear canary and shadow, each once confirmed. */
export function CanarySteps(props: IPanelProps): JSX.Element | null {
  const { model, trans } = props;
  const deployments = model.deployments;
  const d = deployments.server.data?.deployment;
  if (!d) {
    return null;
  }
  const step = (name: CanaryStep, label: string) => () =>
    attempt(trans, label, async () => {
      const body = trans.__(
        '%1? It is done once every running server worker serves it.',
        label
      );
      if (await confirm(trans, label, body, label)) {
        announce(trans, await deployments.release(name));
      }
    });
  return (
    <div className="mlmom-actions">
      <button
        className="jp-mod-styled"
        disabled={!d.canary}
        onClick={step('promote', trans.__('Promote the canary'))}
      >
        {trans.__('Promote canary')}
      </button>
      <button
        className="jp-mod-styled"
        disabled={!d.canary}
        onClick={step('rollback', trans.__('Roll back the canary'))}
      >
        {trans.__('Roll back canary')}
      </button>
      <button
        className="jp-mod-styled"
        disabled={!d.canary && !d.shadow}
        onClick={step('clear', trans.__('Clear canary and shadow'))}
      >
        {trans.__('Clear')}
      </button>
    </div>
  );
}

export function DeploymentsPanel(props: IPanelProps): JSX.Element {
  const { model, trans } = props;
  const deployments = model.deployments;
  const server = deployments.server.data;
  if (!server) {
    return (
      <Section title={trans.__('Deployments')}>
        <ErrorNote error={deployments.server.error} />
      </Section>
    );
  }
  const d = server.deployment;
  return (
    <Section
      title={trans.__('Deployments')}
      actions={
        <React.Fragment>
          <button
            className="jp-mod-styled"
            title={trans.__('Traffic split and live charts in the main area')}
            onClick={() => props.openView('deployment')}
          >
            {trans.__('View')}
          </button>
          <ServerButtons {...props} running={server.running} />
        </React.Fragment>
      }
    >
      <div className="mlmom-server" data-running={String(server.running)}>
        {server.running ? (
          <span>
            <Badge tone="good">{trans.__('running')}</Badge>{' '}
            <a href={server.url} target="_blank" rel="noreferrer">
              {server.url}
            </a>{' '}
            ·{' '}
            {trans.__('pid %1 · since %2', server.pid, when(server.started_at))}
          </span>
        ) : (
          <span>
            <Badge tone="muted">{trans.__('stopped')}</Badge>{' '}
            {trans.__(
              'Start it to serve the deployment below on 127.0.0.1 (Open Inference v2 and /invocations).'
            )}
          </span>
        )}
      </div>
      <dl className="mlmom-details mlmom-deployment">
        <dt>{trans.__('champion')}</dt>
        <dd data-role="champion">v{d.champion}</dd>
        <dt>{trans.__('canary')}</dt>
        <dd data-role="canary">
          {d.canary
            ? trans.__(
                'v%1 on %2% of requests',
                d.canary,
                Math.round(d.canary_weight * 100)
              )
            : '—'}
        </dd>
        <dt>{trans.__('shadow')}</dt>
        <dd data-role="shadow">
          {d.shadow ? trans.__('v%1 (listens only)', d.shadow) : '—'}
        </dd>
        <dt>{trans.__('changed')}</dt>
        <dd data-role="changed">
          {when(d.updated_at)}
          {d.reason ? ` · ${d.reason}` : ''}
          {d.by ? ` · ${trans.__('by %1', d.by)}` : ''}
        </dd>
        <dt>{trans.__('served')}</dt>
        <dd data-role="served">
          <Workers workers={server.workers ?? []} seq={d.seq} trans={trans} />
        </dd>
      </dl>
      <CanarySteps {...props} />
      <h4>{trans.__('Release a version')}</h4>
      <Release {...props} />
      <h4>{trans.__('Traffic, last minute')}</h4>
      <Traffic {...props} />
    </Section>
  );
}
