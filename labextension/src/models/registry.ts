import { PageConfig, URLExt } from '@jupyterlab/coreutils';

import {
  IAliasMove,
  IApproval,
  IAuditTrail,
  ICompare,
  IHistory,
  IRegistryPage,
  IRelease
} from '../types';
import { ConcernModel, FROM_THE_LAB } from './concern';
import { Resource } from './resource';

/** Versions per registry page. */
export const REGISTRY_PAGE = 50;

/** Which page of versions shows: the newest, or the one before or after a version. */
export interface IRegistryCursor {
  before?: string;
  after?: string;
}

/** The model registry: a page of versions, the alias history, and their moves. */
export class RegistryModel extends ConcernModel {
  readonly page = new Resource<IRegistryPage>(() =>
    this.context.client.get('registry', {
      ...this._cursor,
      limit: String(REGISTRY_PAGE)
    })
  );
  readonly history = new Resource<IHistory>(() =>
    this.context.client.get('registry/history')
  );
  /** The newest events of the audit trail (who did what, when and why). */
  readonly audit = new Resource<IAuditTrail>(() =>
    this.context.client.get('audit', { limit: '100' })
  );

  get cursor(): IRegistryCursor {
    return { ...this._cursor };
  }

  /** Show the newest versions again (another project is shown). */
  resetCursor(): void {
    this._cursor = {};
  }

  /** Show the page of versions newer than the first one shown. */
  showNewer(): Promise<void> {
    const versions = this.page.data?.versions ?? [];
    return this.turnTo('after', versions[0]?.version);
  }

  /** Show the page of versions older than the last one shown. */
  showOlder(): Promise<void> {
    const versions = this.page.data?.versions ?? [];
    return this.turnTo('before', versions[versions.length - 1]?.version);
  }

  /** Two or more versions side by side (each whole; metrics, parameters, data, lineage
   * and ONNX row by row), the oldest first; of the project at `path` (the one shown now
   * unless given). */
  compare(versions: string[], path?: string): Promise<ICompare> {
    return this.context.client.get('registry/compare', {
      versions: versions.join(','),
      ...(path === undefined ? {} : { path })
    });
  }

  /** Make a version the champion; resolves with the release that followed, if any. */
  async promote(version: string): Promise<IRelease | null> {
    const moved = await this.act<IAliasMove>('registry/promote', {
      version,
      reason: FROM_THE_LAB
    });
    return moved.release;
  }

  /** Approve or reject a version, saying why (the Jupyter user is recorded; with four
   * eyes, whoever registered it may not approve it: the server answers 403 with why). */
  async decide(
    version: string,
    decision: 'approve' | 'reject',
    reason: string
  ): Promise<IApproval> {
    return this.act<IApproval>(`registry/${decision}`, { version, reason });
  }

  /** Where the version's model card is (an HTML page, opened in a browser tab); of the
   * project at `path` (the one shown now unless given). */
  cardUrl(version: string, path = this.context.client.path): string {
    return (
      URLExt.join(PageConfig.getBaseUrl(), 'mlmom/api/registry/card') +
      URLExt.objectToQueryString({ path, version })
    );
  }

  /** Move the champion back to the version it held before. */
  async rollback(): Promise<void> {
    await this.act('registry/rollback', { reason: FROM_THE_LAB });
  }

  protected async fetch(): Promise<void> {
    await Promise.all([
      this.page.refresh(),
      this.history.refresh(),
      this.audit.refresh()
    ]);
  }

  /** Show the page just `before` or `after` a version (the newest without one). */
  private async turnTo(
    side: keyof IRegistryCursor,
    version: string | undefined
  ): Promise<void> {
    this._cursor = version === undefined ? {} : { [side]: version };
    await this.page.refresh();
    this.emitChanged();
  }

  private _cursor: IRegistryCursor = {};
}
