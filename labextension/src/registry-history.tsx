import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { Empty, when } from './common';
import { IAliasEvent, IAuditEvent } from './types';

/** One line of a history: what (bold) and how, who and when, and why. */
interface IEntry {
  data: Record<string, string>; // data-* attributes, for styles and tests
  what: string;
  how: string;
  who: string;
  when: number;
  why: string;
}

/** A history, newest first; ``empty`` when it has no line yet. */
function Timeline(props: {
  entries: IEntry[];
  empty: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { entries, trans } = props;
  if (entries.length === 0) {
    return <Empty>{props.empty}</Empty>;
  }
  return (
    <ol className="mlmom-history">
      {entries.map((e, i) => (
        <li
          key={i}
          {...Object.fromEntries(
            Object.entries(e.data).map(([k, v]) => [`data-${k}`, v])
          )}
        >
          <b>{e.what}</b> {e.how}
          <span className="mlmom-dim">
            {' '}
            {trans.__('by %1, %2', e.who || '—', when(e.when))}
            {e.why ? ` (${e.why})` : ''}
          </span>
        </li>
      ))}
    </ol>
  );
}

/** The alias moves: "champion promote: 1 → 2 by bob, ...". */
export function History(props: {
  events: IAliasEvent[];
  trans: TranslationBundle;
}): JSX.Element {
  const entries = props.events.slice(0, 20).map(e => ({
    data: { alias: e.alias, action: e.action },
    what: e.alias,
    how: `${e.action}: ${e.from_version ?? '—'} → ${e.to_version ?? '—'}`,
    who: e.who,
    when: e.when,
    why: e.reason
  }));
  return (
    <Timeline
      entries={entries}
      empty={props.trans.__('No alias has moved yet.')}
      trans={props.trans}
    />
  );
}

/** Who did what, when and why: registrations, gates, approvals, alias moves, deployment
 * changes, alerts, retraining steps and erasures, newest first. */
export function AuditTrail(props: {
  events: IAuditEvent[];
  trans: TranslationBundle;
}): JSX.Element {
  const entries = props.events.map(e => ({
    data: { kind: e.kind },
    what: e.kind,
    how: e.what,
    who: e.who,
    when: e.when,
    why: e.why
  }));
  return (
    <Timeline
      entries={entries}
      empty={props.trans.__('Nothing recorded yet.')}
      trans={props.trans}
    />
  );
}
