import { MainAreaWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, ToolbarButton } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IPanelProps, PanelActions } from './common';
import { CompareVersions } from './compare-view';
import { DeploymentView } from './deployment-view';
import { MonitoringView } from './monitoring-view';
import { LabModel } from './models';
import { PipelineGraph } from './pipeline-graph';
import { ICompare } from './types';

/** The ids of the main-area views that follow the sidebar's model start so (while one
 * shows, the model keeps polling). */
export const VIEW_ID_PREFIX = 'mlmom-view-';

/** The id of a main-area view (one each per lab: they show the sidebar's project). */
export function viewId(view: DrawnView): string {
  return `${VIEW_ID_PREFIX}${view}`;
}

/** The id of the main-area comparison of these versions of the project at `path`. */
export function compareId(versions: string[], path = ''): string {
  const sorted = [...versions].sort((a, b) => Number(a) - Number(b));
  const project = path ? `${path.replace(/[^\w-]/g, '_')}-` : '';
  return `${VIEW_ID_PREFIX}compare-${project}${sorted.join('-')}`;
}

interface IViewOptions {
  model: LabModel;
  trans: TranslationBundle;
  actions: PanelActions;
}

/** A main-area view of the sidebar's project; it renders again whenever the model changes. */
abstract class LabView extends ReactWidget {
  constructor(options: IViewOptions) {
    super();
    this.model = options.model;
    this.trans = options.trans;
    this.actions = options.actions;
    this.addClass('mlmom-main-view');
    this.model.changed.connect(this.update, this); // cleared by Widget.dispose
  }

  protected get props(): IPanelProps {
    return { model: this.model, trans: this.trans, ...this.actions };
  }

  readonly model: LabModel;
  protected readonly trans: TranslationBundle;
  protected readonly actions: PanelActions;
}

/** The views that follow the model, each drawn by one component. */
const DRAWN = {
  'pipeline-graph': PipelineGraph,
  deployment: DeploymentView,
  monitoring: MonitoringView
};
export type DrawnView = keyof typeof DRAWN;

class DrawnLabView extends LabView {
  constructor(options: IViewOptions & { view: DrawnView }) {
    super(options);
    this._view = options.view;
  }

  protected render(): JSX.Element {
    return React.createElement(DRAWN[this._view], this.props);
  }

  private readonly _view: DrawnView;
}

/** Versions side by side of the project shown when it opened: fetched then and on Refresh
 * (not on every poll). */
class CompareView extends LabView {
  constructor(options: IViewOptions & { versions: string[] }) {
    super(options);
    this.versions = options.versions;
    this.path = options.model.path;
    void this.refresh();
  }

  readonly versions: string[];
  readonly path: string;

  async refresh(): Promise<void> {
    try {
      this._compare = await this.model.registry.compare(
        this.versions,
        this.path
      );
      this._error = null;
    } catch (reason) {
      this._error = (reason as Error).message;
    }
    this.update();
  }

  protected render(): JSX.Element {
    return React.createElement(CompareVersions, {
      ...this.props,
      comparison: this._compare,
      error: this._error,
      path: this.path
    });
  }

  private _compare: ICompare | null = null;
  private _error: string | null = null;
}

function framed(content: LabView, id: string, label: string, caption: string) {
  const widget = new MainAreaWidget({ content });
  widget.id = id;
  widget.title.label = label;
  widget.title.caption = caption;
  widget.title.closable = true;
  return widget;
}

/** The pipeline as a graph, the deployment, or monitoring over time, in a main-area tab. */
export function drawnView(
  options: IViewOptions & { view: DrawnView }
): MainAreaWidget<LabView> {
  const { trans } = options;
  const labels: Record<DrawnView, string> = {
    'pipeline-graph': trans.__('Pipeline graph'),
    deployment: trans.__('Deployment'),
    monitoring: trans.__('Monitoring over time')
  };
  return framed(
    new DrawnLabView(options),
    viewId(options.view),
    labels[options.view],
    trans.__(
      '%1 of the project shown in the mlmom sidebar',
      labels[options.view]
    )
  );
}

/** Two or more versions side by side, in a main-area tab (with a Refresh button). */
export function compareView(
  options: IViewOptions & { versions: string[] }
): MainAreaWidget<LabView> {
  const { trans, versions } = options;
  const view = new CompareView(options);
  const widget = framed(
    view,
    compareId(versions, options.model.path),
    trans.__('Compare %1', versions.map(v => `v${v}`).join(' · ')),
    trans.__('Versions side by side')
  );
  widget.toolbar.addItem(
    'refresh',
    new ToolbarButton({
      label: trans.__('Refresh'),
      tooltip: trans.__('Read these versions again'),
      onClick: () => void view.refresh()
    })
  );
  return widget;
}
