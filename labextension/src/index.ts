import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { PageConfig, PathExt, URLExt } from '@jupyterlab/coreutils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { addCommands } from './commands';
import { PanelActions } from './common';
import { executedId, executedNotebook } from './executed';
import { LabModel } from './models';
import { Sidebar } from './sidebar';
import { IMlmomLab } from './tokens';
import {
  compareId,
  compareView,
  drawnView,
  DrawnView,
  VIEW_ID_PREFIX,
  viewId
} from './views';

export { CommandIDs } from './commands';
export * from './models';
export { IMlmomLab } from './tokens';

/** The plugin id; also the key of the settings in schema/plugin.json. */
const PLUGIN_ID = 'mlmom-lab:plugin';

/** The id of the left sidebar widget. */
export const SIDEBAR_ID = 'mlmom-lab-sidebar';

export const mlmomIcon = new LabIcon({
  name: 'mlmom-lab:icon',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">' +
    '<path class="jp-icon3" fill="#616161" d="M3 3h2v16h16v2H3V3zm4 12 4-5 3 3 5-7 1.6 1.2-6.4 8.9-3-3-2.7 3.4L7 15z"/>' +
    '</svg>'
});

/** The folder of the file a lab widget shows (documents have a context path). */
function folderOf(widget: Widget | null): string | null {
  const path = (widget as any)?.context?.path;
  return typeof path === 'string' ? PathExt.dirname(path) : null;
}

/** A file of the server's root at `<base>/<route>/<path>`, in a new browser tab. */
function openInBrowser(route: string, path: string): void {
  const base = PageConfig.getBaseUrl();
  window.open(URLExt.join(base, route, URLExt.encodeParts(path)), '_blank');
}

/** Show the main-area widget `id`, made by `make` unless it is open already. */
function showInMain(shell: ILabShell, id: string, make: () => Widget): void {
  // in a task after the click's: the click's own re-render and the new tab's layout are
  // then two short tasks, not one long one
  setTimeout(() => {
    if (!Array.from(shell.widgets('main')).some(w => w.id === id)) {
      shell.add(make(), 'main');
    }
    shell.activateById(id);
  }, 0);
}

/** How the panels open files, dashboards, executed notebooks and the main-area views. */
function panelActions(
  app: JupyterFrontEnd,
  shell: ILabShell,
  model: LabModel
): PanelActions {
  const open = (view: DrawnView) =>
    showInMain(shell, viewId(view), () =>
      drawnView({ model, trans: model.client.trans, actions, view })
    );
  const actions: PanelActions = {
    open: path => void app.commands.execute('docmanager:open', { path }),
    openUrl: path => openInBrowser('files', path),
    // Voilà's server extension (installed with mlmom-lab) renders it as an app
    openDashboard: path => openInBrowser('voila/render', path),
    openRun: (stage, runId) =>
      showInMain(shell, executedId(stage, runId), () => {
        const url = model.pipeline.executedUrl(stage, runId);
        return executedNotebook(url, stage, runId, model.client.trans);
      }),
    openGraph: () => open('pipeline-graph'),
    openView: view => open(view),
    compare: versions =>
      showInMain(shell, compareId(versions, model.path), () =>
        compareView({ model, trans: model.client.trans, actions, versions })
      )
  };
  return actions;
}

/** Whether a view of the model shows: the sidebar or one of the main-area views. */
function anyViewShows(shell: ILabShell, sidebar: Sidebar): boolean {
  return (
    sidebar.isVisible ||
    Array.from(shell.widgets('main')).some(
      w => w.isVisible && w.id.startsWith(VIEW_ID_PREFIX)
    )
  );
}

/** Follow the settings: the refresh interval, and the project opened at start. */
function watchSettings(
  registry: ISettingRegistry,
  sidebar: Sidebar,
  shows: () => boolean
): void {
  const model = sidebar.model;
  registry
    .load(PLUGIN_ID)
    .then(settings => {
      const apply = () => {
        const seconds = settings.get('refreshInterval').composite as number;
        model.poll(seconds, shows);
        const chosen = settings.get('defaultProject').composite as string;
        if (chosen) {
          void model.setPath(chosen, true);
        }
      };
      apply();
      settings.changed.connect(apply);
    })
    .catch(reason =>
      console.error('mlmom-lab: the settings did not load.', reason)
    );
}

/** The sidebar in the left area, following the open file's project. */
function addSidebar(
  app: JupyterFrontEnd,
  shell: ILabShell,
  model: LabModel,
  restorer: ILayoutRestorer | null
): Sidebar {
  const trans = model.client.trans;
  const sidebar = new Sidebar({
    model,
    trans,
    actions: panelActions(app, shell, model)
  });
  sidebar.id = SIDEBAR_ID;
  sidebar.title.icon = mlmomIcon;
  sidebar.title.caption = 'mlmom-lab';
  model.changed.connect(() => {
    const project = model.project.data?.project ?? trans.__('no project');
    sidebar.title.caption = trans.__('mlmom-lab: %1', project);
  }, sidebar);
  shell.add(sidebar, 'left', { rank: 600 });
  restorer?.add(sidebar, SIDEBAR_ID);
  shell.currentChanged.connect((_, change) => {
    const folder = folderOf(change.newValue);
    if (folder !== null) {
      void model.setPath(folder);
    }
  });
  return sidebar;
}

/**
 * The mlmom-lab sidebar: Pipeline, Registry, Deployments and Monitoring of the
 * project nearest to the open file (or the one chosen in the panel). It provides
 * the models (IMlmomLab) to other extensions.
 *
 * ILabShell is optional: Voilà loads every installed lab extension and reports
 * an activation error for a required token its shell does not provide. There the
 * models are made (for the token) but nothing is shown or fetched.
 */
const plugin: JupyterFrontEndPlugin<IMlmomLab> = {
  id: PLUGIN_ID,
  description:
    'The mlmom-lab sidebar: pipeline, registry, deployments, monitoring.',
  autoStart: true,
  provides: IMlmomLab,
  optional: [
    ILabShell,
    ISettingRegistry,
    ICommandPalette,
    ILayoutRestorer,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    shell: ILabShell | null,
    settings: ISettingRegistry | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null
  ): IMlmomLab => {
    const model = new LabModel({ translator: translator ?? nullTranslator });
    if (!shell) {
      return model;
    }
    const sidebar = addSidebar(app, shell, model, restorer);
    addCommands(app, shell, sidebar, palette);
    const shows = () => anyViewShows(shell, sidebar);
    model.poll(5, shows);
    void model.setPath(folderOf(shell.currentWidget) ?? '');
    if (settings) {
      watchSettings(settings, sidebar, shows);
    }
    const open = String(PageConfig.getOption('mlmomOpenSidebar'));
    if (open === 'true' || open === 'True') {
      void app.restored.then(() => shell.activateById(sidebar.id)); // `mlmom lab`
    }
    return model;
  }
};

export default plugin;
