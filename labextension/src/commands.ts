import { ILabShell, JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';

import { attempt } from './common';
import { PanelName, PANELS, panelLabel, Sidebar } from './sidebar';

/** The ids of mlmom-lab's commands (the palette lists them; browser tests run them). */
export namespace CommandIDs {
  export const refresh = 'mlmom:refresh';
  export const runPipeline = 'mlmom:run-pipeline';
  export const startServer = 'mlmom:start-server';
  export const stopServer = 'mlmom:stop-server';
  export const check = 'mlmom:check';
  export const openPipeline = 'mlmom:open-pipeline';
  export const openRegistry = 'mlmom:open-registry';
  export const openDeployments = 'mlmom:open-deployments';
  export const openMonitoring = 'mlmom:open-monitoring';
}

/** The command that opens each panel. */
export const OPEN_PANEL: Record<PanelName, string> = {
  pipeline: CommandIDs.openPipeline,
  registry: CommandIDs.openRegistry,
  deployments: CommandIDs.openDeployments,
  monitoring: CommandIDs.openMonitoring
};

/** The palette's category of mlmom-lab's commands. */
const CATEGORY = 'mlmom-lab';

/** Add mlmom-lab's commands, acting on the sidebar's model, to the app and the palette. */
export function addCommands(
  app: JupyterFrontEnd,
  shell: ILabShell,
  sidebar: Sidebar,
  palette: ICommandPalette | null
): void {
  const { model, trans } = sidebar;
  const show = (panel: PanelName) => {
    sidebar.panel = panel;
    shell.activateById(sidebar.id);
  };
  const add = (id: string, label: string, execute: () => unknown) => {
    app.commands.addCommand(id, { label, execute });
    palette?.addItem({ command: id, category: CATEGORY });
  };
  add(CommandIDs.refresh, trans.__('Refresh the mlmom panels'), () =>
    model.refresh()
  );
  add(CommandIDs.runPipeline, trans.__('Run the pipeline (mlmom)'), () => {
    show('pipeline');
    return attempt(trans, trans.__('the pipeline run'), () =>
      model.pipeline.run()
    );
  });
  add(
    CommandIDs.startServer,
    trans.__('Start the model server (mlmom)'),
    () => {
      show('deployments');
      return attempt(trans, trans.__('starting the server'), () =>
        model.deployments.start()
      );
    }
  );
  add(CommandIDs.stopServer, trans.__('Stop the model server (mlmom)'), () =>
    attempt(trans, trans.__('stopping the server'), () =>
      model.deployments.stop()
    )
  );
  add(CommandIDs.check, trans.__('Run a monitoring check (mlmom)'), () => {
    show('monitoring');
    return attempt(trans, trans.__('the check'), () =>
      model.monitoring.check()
    );
  });
  for (const panel of PANELS) {
    const label = trans.__('Open the mlmom %1 panel', panelLabel(trans, panel));
    add(OPEN_PANEL[panel], label, () => show(panel));
  }
}
