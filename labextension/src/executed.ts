import { MainAreaWidget } from '@jupyterlab/apputils';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { IFrame } from '@jupyterlab/ui-components';

/**
 * A main-area tab showing one run's executed notebook of a stage: the server renders it
 * read-only (a record of what ran) and sandboxed; `.mlmom/` is hidden from Jupyter's
 * contents API, so the lab could not open it as a notebook anyway.
 */
export function executedNotebook(
  projectPath: string,
  stage: string,
  runId: string
): MainAreaWidget<IFrame> {
  const content = new IFrame({ sandbox: ['allow-scripts', 'allow-popups'] });
  content.url =
    URLExt.join(PageConfig.getBaseUrl(), 'mlmom/api/pipeline/executed') +
    URLExt.objectToQueryString({ path: projectPath, run: runId, stage });
  const widget = new MainAreaWidget({ content });
  widget.id = `mlmom-run-${runId}-${stage}`;
  widget.addClass('mlmom-executed');
  widget.title.label = `${stage} · ${runId}`;
  widget.title.caption = `The executed notebook of stage ${stage} in run ${runId} (read-only)`;
  widget.title.closable = true;
  return widget;
}
