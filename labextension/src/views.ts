import { MainAreaWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, ToolbarButton } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IPanelProps, PanelActions } from './common';
import { CompareVersions } from './compare-view';
import { LabModel } from './models';
import { PipelineGraph } from './pipeline-graph';
import { ICompare } from './types';

/** The ids of the main-area views that follow the sidebar's model start so (while one
 * shows, the model keeps polling). */
export const VIEW_ID_PREFIX = 'mlmom-view-';

/** The id of the main-area pipeline graph (one per lab: it shows the sidebar's project). */
export const GRAPH_ID = `${VIEW_ID_PREFIX}pipeline-graph`;

/** The id of the main-area comparison of these versions. */
export function compareId(versions: string[]): string {
  const sorted = [...versions].sort((a, b) => Number(a) - Number(b));
  return `${VIEW_ID_PREFIX}compare-${sorted.join('-')}`;
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

class GraphView extends LabView {
  protected render(): JSX.Element {
    return React.createElement(PipelineGraph, this.props);
  }
}

/** Versions side by side: fetched when opened and on Refresh (not on every poll). */
class CompareView extends LabView {
  constructor(options: IViewOptions & { versions: string[] }) {
    super(options);
    this.versions = options.versions;
    void this.refresh();
  }

  readonly versions: string[];

  async refresh(): Promise<void> {
    try {
      this._compare = await this.model.registry.compare(this.versions);
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
      error: this._error
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

/** The pipeline as a graph, in a main-area tab. */
export function graphView(options: IViewOptions): MainAreaWidget<LabView> {
  const { trans } = options;
  return framed(
    new GraphView(options),
    GRAPH_ID,
    trans.__('Pipeline graph'),
    trans.__('The pipeline of the project shown in the mlmom sidebar')
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
    compareId(versions),
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
