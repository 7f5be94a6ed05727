import {
  ILabShell,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

/**
 * The plugin id; also the key of the settings in schema/plugin.json.
 */
const PLUGIN_ID = 'mlmom-lab:plugin';

/**
 * The id of the left sidebar widget.
 */
export const SIDEBAR_ID = 'mlmom-lab-sidebar';

/**
 * The user settings of mlmom-lab (schema/plugin.json).
 */
export interface IMlmomSettings {
  /** How often the panels poll the server, in seconds (>= 1). */
  refreshInterval: number;
  /** Project folder relative to the server root; empty for none. */
  defaultProject: string;
}

/**
 * The settings used until (or unless) the setting registry provides them.
 */
export const DEFAULT_SETTINGS: IMlmomSettings = {
  refreshInterval: 5,
  defaultProject: ''
};

/**
 * The sidebar's tab icon (a small line chart).
 */
export const mlmomIcon = new LabIcon({
  name: 'mlmom-lab:icon',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">' +
    '<path class="jp-icon3" fill="#616161" d="M3 3h2v16h16v2H3V3zm4 12 4-5 3 3 5-7 1.6 1.2-6.4 8.9-3-3-2.7 3.4L7 15z"/>' +
    '</svg>'
});

/**
 * The left sidebar: a placeholder until the panels land. It holds the current
 * settings and signals their changes.
 */
export class MlmomSidebar extends Widget {
  constructor() {
    super();
    this.id = SIDEBAR_ID;
    this.addClass('mlmom-lab-sidebar');
    this.title.icon = mlmomIcon;
    this.title.caption = 'mlmom-lab';
    const body = document.createElement('div');
    body.className = 'mlmom-lab-placeholder';
    body.textContent = 'mlmom-lab';
    this.node.appendChild(body);
  }

  /** The current settings. */
  get settings(): IMlmomSettings {
    return this._settings;
  }
  set settings(value: IMlmomSettings) {
    this._settings = value;
    this._settingsChanged.emit(value);
  }

  /** Emitted when the settings change. */
  get settingsChanged(): ISignal<this, IMlmomSettings> {
    return this._settingsChanged;
  }

  private _settings: IMlmomSettings = { ...DEFAULT_SETTINGS };
  private _settingsChanged = new Signal<this, IMlmomSettings>(this);
}

function readSettings(settings: ISettingRegistry.ISettings): IMlmomSettings {
  return {
    refreshInterval: settings.get('refreshInterval').composite as number,
    defaultProject: settings.get('defaultProject').composite as string
  };
}

/**
 * The mlmom-lab frontend plugin.
 *
 * ILabShell is optional: Voila (and other JupyterLab-based apps without the lab
 * shell) loads every installed lab extension and reports an activation error for
 * a required token it does not provide.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'The mlmom-lab sidebar: projects, pipelines, registry, deployments, monitoring.',
  autoStart: true,
  optional: [ILabShell, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    labShell: ILabShell | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    if (!labShell) {
      return;
    }
    const sidebar = new MlmomSidebar();
    labShell.add(sidebar, 'left', { rank: 600 });

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          sidebar.settings = readSettings(settings);
          settings.changed.connect(() => {
            sidebar.settings = readSettings(settings);
          });
        })
        .catch(reason => {
          console.error('mlmom-lab: failed to load the settings.', reason);
        });
    }
  }
};

export default plugin;
