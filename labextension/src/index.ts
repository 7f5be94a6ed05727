import {
  ILabShell,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { PageConfig, PathExt, URLExt } from '@jupyterlab/coreutils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { attempt } from './common';
import { executedNotebook } from './executed';
import { LabModel } from './model';
import { PanelName, PANELS, Sidebar } from './sidebar';

/** The plugin id; also the key of the settings in schema/plugin.json. */
const PLUGIN_ID = 'mlmom-lab:plugin';

/** The id of the left sidebar widget. */
export const SIDEBAR_ID = 'mlmom-lab-sidebar';

const CATEGORY = 'mlmom-lab';

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

function addCommands(
  app: JupyterFrontEnd,
  shell: ILabShell,
  sidebar: Sidebar,
  palette: ICommandPalette | null
): void {
  const model = sidebar.model;
  const show = (panel: PanelName) => {
    sidebar.panel = panel;
    shell.activateById(sidebar.id);
  };
  const commands: Record<string, { label: string; execute: () => unknown }> = {
    'mlmom:refresh': { label: 'Refresh the mlmom panels', execute: () => model.refresh() },
    'mlmom:run-pipeline': {
      label: 'Run the pipeline (mlmom)',
      execute: () => {
        show('pipeline');
        return attempt('the pipeline run', () => model.runJob('pipeline/run', {}));
      }
    },
    'mlmom:start-server': {
      label: 'Start the model server (mlmom)',
      execute: () => {
        show('deployments');
        return attempt('starting the server', () => model.complete('server/start'));
      }
    },
    'mlmom:stop-server': {
      label: 'Stop the model server (mlmom)',
      execute: () => attempt('stopping the server', () => model.act('server/stop'))
    },
    'mlmom:check': {
      label: 'Run a monitoring check (mlmom)',
      execute: () => {
        show('monitoring');
        return attempt('the check', () => model.complete('monitoring/check'));
      }
    }
  };
  for (const panel of PANELS) {
    commands[`mlmom:open-${panel}`] = {
      label: `Open the mlmom ${panel} panel`,
      execute: () => show(panel)
    };
  }
  for (const [id, command] of Object.entries(commands)) {
    app.commands.addCommand(id, { label: command.label, execute: command.execute });
    palette?.addItem({ command: id, category: CATEGORY });
  }
}

function watchSettings(
  registry: ISettingRegistry,
  model: LabModel,
  poll: (seconds: number) => void
): void {
  registry
    .load(PLUGIN_ID)
    .then(settings => {
      const apply = () => {
        poll(settings.get('refreshInterval').composite as number);
        const chosen = settings.get('defaultProject').composite as string;
        if (chosen) {
          void model.setPath(chosen, true);
        }
      };
      apply();
      settings.changed.connect(apply);
    })
    .catch(reason => console.error('mlmom-lab: the settings did not load.', reason));
}

/**
 * The mlmom-lab sidebar: Pipeline, Registry, Deployments and Monitoring of the
 * project nearest to the open file (or the one chosen in the panel).
 *
 * ILabShell is optional: Voilà loads every installed lab extension and reports
 * an activation error for a required token its shell does not provide.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'The mlmom-lab sidebar: pipeline, registry, deployments, monitoring.',
  autoStart: true,
  optional: [ILabShell, ISettingRegistry, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    shell: ILabShell | null,
    settings: ISettingRegistry | null,
    palette: ICommandPalette | null
  ) => {
    if (!shell) {
      return;
    }
    const model = new LabModel();
    const sidebar = new Sidebar(model, {
      open: path => void app.commands.execute('docmanager:open', { path }),
      openUrl: path =>
        window.open(URLExt.join(PageConfig.getBaseUrl(), 'files', URLExt.encodeParts(path)), '_blank'),
      // Voilà's server extension (installed with mlmom-lab) renders it as an app
      openDashboard: path =>
        window.open(URLExt.join(PageConfig.getBaseUrl(), 'voila/render', URLExt.encodeParts(path)),
          '_blank'),
      openRun: (stage, runId) => {
        const id = `mlmom-run-${runId}-${stage}`;
        if (!Array.from(shell.widgets('main')).some(w => w.id === id)) {
          shell.add(executedNotebook(model.path, stage, runId), 'main');
        }
        shell.activateById(id);
      }
    });
    sidebar.id = SIDEBAR_ID;
    sidebar.title.icon = mlmomIcon;
    sidebar.title.caption = 'mlmom-lab';
    model.changed.connect(() => {
      sidebar.title.caption = `mlmom-lab: ${model.project.data?.project ?? 'no project'}`;
    });
    shell.add(sidebar, 'left', { rank: 600 });
    addCommands(app, shell, sidebar, palette);

    let timer = 0;
    const poll = (seconds: number) => {
      window.clearInterval(timer);
      timer = window.setInterval(() => {
        if (sidebar.isVisible) {
          void model.refresh();
        }
      }, Math.max(1, seconds) * 1000);
    };
    poll(5);
    shell.currentChanged.connect((_, change) => {
      const folder = folderOf(change.newValue);
      if (folder !== null) {
        void model.setPath(folder);
      }
    });
    void model.setPath(folderOf(shell.currentWidget) ?? '');
    if (settings) {
      watchSettings(settings, model, poll);
    }
    const open = String(PageConfig.getOption('mlmomOpenSidebar'));
    if (open === 'true' || open === 'True') {
      void app.restored.then(() => shell.activateById(sidebar.id));  // `mlmom lab`
    }
  }
};

export default plugin;
