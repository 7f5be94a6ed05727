import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { Empty, IPanelProps } from './common';
import { DeploymentsPanel } from './deployments';
import { LabModel } from './model';
import { MonitoringPanel } from './monitoring';
import { PipelinePanel } from './pipeline';
import { RegistryPanel } from './registry';

export const PANELS = ['pipeline', 'registry', 'deployments', 'monitoring'] as const;
export type PanelName = (typeof PANELS)[number];

const RENDER: Record<PanelName, (props: IPanelProps) => JSX.Element> = {
  pipeline: PipelinePanel,
  registry: RegistryPanel,
  deployments: DeploymentsPanel,
  monitoring: MonitoringPanel
};

function ProjectPicker(props: { model: LabModel }): JSX.Element {
  const [path, setPath] = React.useState(props.model.path);
  React.useEffect(() => setPath(props.model.path), [props.model.path]);
  return (
    <form className="mlmom-picker" onSubmit={e => {
      e.preventDefault();
      void props.model.setPath(path.trim(), true);
    }}>
      <input value={path} onChange={e => setPath(e.target.value)} placeholder="project folder"
        aria-label="project folder" title="A folder (relative to the server root) holding mlmom.yaml, or one inside it" />
      <button className="jp-mod-styled" type="submit">Open</button>
      <button className="jp-mod-styled" type="button" title="Refresh"
        onClick={() => void props.model.refresh()}>↻</button>
    </form>
  );
}

/** The sidebar: the project's name, a picker, a tab per concern and the chosen panel. */
export class Sidebar extends ReactWidget {
  constructor(
    readonly model: LabModel,
    private readonly actions: Omit<IPanelProps, 'model'>
  ) {
    super();
    this.addClass('mlmom-lab-sidebar');
    model.changed.connect(this.update, this);
  }

  get panel(): PanelName {
    return this._panel;
  }
  set panel(name: PanelName) {
    this._panel = name;
    this.update();
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => this.body()}
      </UseSignal>
    );
  }

  private body(): JSX.Element {
    const project = this.model.project.data;
    const Panel = RENDER[this._panel];
    return (
      <div className="mlmom-body">
        <header className="mlmom-header">
          <h2 className="mlmom-project" title={project?.description}>
            {project ? project.project : 'mlmom-lab'}</h2>
          <ProjectPicker model={this.model} />
        </header>
        {project ? (
          <React.Fragment>
            <nav className="mlmom-tabs" role="tablist">
              {PANELS.map(name => (
                <button key={name} role="tab" data-panel={name}
                  aria-selected={name === this._panel}
                  className={name === this._panel ? 'mlmom-tab mlmom-tab-active' : 'mlmom-tab'}
                  onClick={() => { this.panel = name; }}>{name}</button>
              ))}
            </nav>
            <div className={`mlmom-panel mlmom-panel-${this._panel}`}>
              <Panel model={this.model} {...this.actions} />
            </div>
          </React.Fragment>
        ) : (
          <Empty>
            <p><b>No mlmom.yaml here.</b> {this.model.project.error}</p>
            <p>Open a notebook of a project, type its folder above, or create a project in a
              terminal: <code>mlmom init churn</code> (or <code>mlmom demo</code> for the
              example).</p>
          </Empty>
        )}
      </div>
    );
  }

  private _panel: PanelName = 'pipeline';
}
