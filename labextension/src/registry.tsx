import * as React from 'react';

import {
  attempt,
  confirm,
  Empty,
  ErrorNote,
  IPanelProps,
  Section
} from './common';
import { AuditTrail, History } from './registry-history';
import { VersionRow } from './registry-version';

/** The most versions compared side by side (the server's limit too). */
const MAX_COMPARED = 12;

/** The page shown, its range and total, and the buttons to the next ones. */
function Pager(props: IPanelProps): JSX.Element | null {
  const { model, trans } = props;
  const page = model.registry.page.data;
  if (!page) {
    return null;
  }
  const first = page.versions[0]?.version;
  const last = page.versions[page.versions.length - 1]?.version;
  return (
    <div className="mlmom-pager">
      <span>
        {trans._n(
          'v%2–v%3 · %1 version',
          'v%2–v%3 · %1 versions',
          page.total,
          first,
          last
        )}
      </span>
      <button
        className="jp-mod-styled"
        disabled={!page.newer}
        onClick={() => model.registry.showNewer()}
      >
        {trans.__('Newer')}
      </button>
      <button
        className="jp-mod-styled"
        disabled={!page.older}
        onClick={() => model.registry.showOlder()}
      >
        {trans.__('Older')}
      </button>
    </div>
  );
}

export function RegistryPanel(props: IPanelProps): JSX.Element {
  const { model, trans } = props;
  const registry = model.registry;
  const page = registry.page.data;
  const [picked, setPicked] = React.useState<string[]>([]);
  const pick = (v: string) =>
    setPicked(
      picked.includes(v)
        ? picked.filter(p => p !== v)
        : [...picked.slice(1 - MAX_COMPARED), v]
    );
  const rollback = () =>
    attempt(trans, trans.__('the rollback'), async () => {
      const confirmed = await confirm(
        trans,
        trans.__('Roll back the champion'),
        trans.__('Move the champion back to the version it held before?'),
        trans.__('Roll back')
      );
      if (confirmed) {
        await registry.rollback();
      }
    });
  if (!page) {
    return (
      <Section title={trans.__('Registry')}>
        <ErrorNote error={registry.page.error} />
      </Section>
    );
  }
  return (
    <Section
      title={trans.__('Registry · %1', page.model)}
      actions={
        <React.Fragment>
          <button
            className="jp-mod-styled"
            disabled={picked.length < 2}
            title={trans.__(
              'The versions picked, side by side in the main area'
            )}
            onClick={() => props.compare(picked)}
          >
            {trans.__('Compare')}
          </button>
          <button
            className="jp-mod-styled"
            onClick={rollback}
            disabled={page.total < 2}
          >
            {trans.__('Roll back')}
          </button>
        </React.Fragment>
      }
    >
      {page.total === 0 ? (
        <Empty>
          {trans.__(
            'No model registered yet: run the pipeline (its register stage adds a version).'
          )}
        </Empty>
      ) : (
        <React.Fragment>
          <Pager {...props} />
          <ul className="mlmom-versions">
            {page.versions.map(v => (
              <VersionRow
                key={v.version}
                {...props}
                version={v}
                picked={picked.includes(v.version)}
                onPick={() => pick(v.version)}
              />
            ))}
          </ul>
        </React.Fragment>
      )}
      <h4>{trans.__('Alias history')}</h4>
      <ErrorNote error={registry.history.error} />
      <History events={registry.history.data?.events ?? []} trans={trans} />
      <details className="mlmom-audit">
        <summary>{trans.__('Audit trail')}</summary>
        <ErrorNote error={registry.audit.error} />
        <AuditTrail events={registry.audit.data?.events ?? []} trans={trans} />
      </details>
    </Section>
  );
}
