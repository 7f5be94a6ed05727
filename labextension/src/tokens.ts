import { IDisposable } from '@lumino/disposable';
import { Token } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';

import type {
  DeploymentsModel,
  JobsModel,
  MonitoringModel,
  PipelineModel,
  RegistryModel,
  Resource
} from './models';
import { IProject } from './types';

/**
 * The mlmom-lab models, for other extensions: the project shown and one model
 * per concern, each with its resources, actions and `changed` signal.
 */
export interface IMlmomLab extends IDisposable {
  /** The project folder shown, relative to the server root. */
  readonly path: string;
  /** Whether the user chose the path (opening files elsewhere does not move it). */
  readonly pinned: boolean;
  readonly project: Resource<IProject>;
  readonly pipeline: PipelineModel;
  readonly registry: RegistryModel;
  readonly deployments: DeploymentsModel;
  readonly monitoring: MonitoringModel;
  readonly jobs: JobsModel;
  /** Emits when anything shown changed: the project, a concern, a job. */
  readonly changed: ISignal<IMlmomLab, void>;
  /** Show the project at (or above) `path`; `chosen` pins it. */
  setPath(path: string, chosen?: boolean): Promise<void>;
  /** Fetch the project and every concern's state again. */
  refresh(): Promise<void>;
}

/** The token of the mlmom-lab models (the plugin `mlmom-lab:plugin` provides it). */
export const IMlmomLab = new Token<IMlmomLab>(
  'mlmom-lab:IMlmomLab',
  'The mlmom-lab models: the project shown, its pipeline, registry, deployments, monitoring and jobs.'
);
