import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { Empty, IPanelProps, PanelActions } from './common';
import { DeploymentsPanel } from './deployments';
import { LabModel } from './models';
import { MonitoringPanel } from './monitoring';
import { PipelinePanel } from './pipeline';
import { RegistryPanel } from './registry';

export const PANELS = [
  'pipeline',
  'registry',
  'deployments',
  'monitoring'
] as const;
export type PanelName = (typeof PANELS)[number];

const RENDER: Record<PanelName, (props: IPanelProps) => JSX.Element> = {
  pipeline: PipelinePanel,
  registry: RegistryPanel,
  deployments: DeploymentsPanel,
  monitoring: MonitoringPanel
};

/** The panels' names as the tabs and the commands show them. */
export function panelLabel(trans: TranslationBundle, panel: PanelName): string {
  const labels: Record<PanelName, string> = {
    pipeline: trans.__('pipeline'),
    registry: trans.__('registry'),
    deployments: trans.__('deployments'),
    monitoring: trans.__('monitoring')
  };
  return labels[panel];
}

function ProjectPicker(props: {
  model: LabModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const [path, setPath] = React.useState(model.path);
  React.useEffect(() => setPath(model.path), [model.path]);
  return (
    <form
      className="mlmom-picker"
      onSubmit={e => {
        e.preventDefault();
        void model.setPath(path.trim(), true);
      }}
    >
      <input
        value={path}
        onChange={e => setPath(e.target.value)}
        placeholder={trans.__('project folder')}
        aria-label={trans.__('project folder')}
        title={trans.__(
          'A folder (relative to the server root) holding mlmom.yaml, or one inside it'
        )}
      />
      <button className="jp-mod-styled" type="submit">
        {trans.__('Open')}
      </button>
      <button
        className="jp-mod-styled"
        type="button"
        title={trans.__('Refresh')}
        onClick={() => void model.refresh()}
      >
        ↻
      </button>
    </form>
  );
}

/** What the sidebar says when the folder shown holds no project. */
function NoProject(props: { model: LabModel; trans: TranslationBundle }) {
  const { trans } = props;
  return (
    <Empty>
      <p>
        <b>{trans.__('No mlmom.yaml here.')}</b> {props.model.project.error}
      </p>
      <p>
        {trans.__(
          'Open a notebook of a project, type its folder above, or create a project in a terminal:'
        )}{' '}
        <code>mlmom init churn</code> ({trans.__('or')} <code>mlmom demo</code>{' '}
        {trans.__('for the example')}).
      </p>
    </Empty>
  );
}

/**
 * The sidebar: the project's name, a picker, a tab per concern and the chosen
 * panel. It renders again whenever the model changes.
 */
export class Sidebar extends ReactWidget {
  constructor(options: Sidebar.IOptions) {
    super();
    this.model = options.model;
    this.trans = options.trans;
    this._actions = options.actions;
    this.addClass('mlmom-lab-sidebar');
    // Widget.dispose clears the connections made with `this`
    this.model.changed.connect(this.update, this);
  }

  readonly model: LabModel;
  readonly trans: TranslationBundle;

  get panel(): PanelName {
    return this._panel;
  }
  set panel(name: PanelName) {
    this._panel = name;
    this.update();
  }

  protected render(): JSX.Element {
    const { model, trans } = this;
    const project = model.project.data;
    return (
      <div className="mlmom-body">
        <header className="mlmom-header">
          <h2 className="mlmom-project" title={project?.description}>
            {project ? project.project : 'mlmom-lab'}
          </h2>
          <ProjectPicker model={model} trans={trans} />
        </header>
        {project ? this.panels() : <NoProject model={model} trans={trans} />}
      </div>
    );
  }

  private panels(): JSX.Element {
    const Panel = RENDER[this._panel];
    return (
      <React.Fragment>
        <nav className="mlmom-tabs" role="tablist">
          {PANELS.map(name => (
            <button
              key={name}
              role="tab"
              data-panel={name}
              aria-selected={name === this._panel}
              className={
                name === this._panel
                  ? 'mlmom-tab mlmom-tab-active'
                  : 'mlmom-tab'
              }
              onClick={() => {
                this.panel = name;
              }}
            >
              {panelLabel(this.trans, name)}
            </button>
          ))}
        </nav>
        <div className={`mlmom-panel mlmom-panel-${this._panel}`}>
          <Panel model={this.model} trans={this.trans} {...this._actions} />
        </div>
      </React.Fragment>
    );
  }

  private readonly _actions: PanelActions;
  private _panel: PanelName = 'pipeline';
}

export namespace Sidebar {
  export interface IOptions {
    model: LabModel;
    trans: TranslationBundle;
    /** How the panels open files, dashboards and executed notebooks. */
    actions: PanelActions;
  }
}
