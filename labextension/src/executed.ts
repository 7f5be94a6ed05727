import { MainAreaWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { IFrame } from '@jupyterlab/ui-components';

/** The id of the main-area tab showing one run's executed notebook of a stage. */
export function executedId(stage: string, runId: string): string {
  return `mlmom-run-${runId}-${stage}`;
}

/**
 * A main-area tab showing one run's executed notebook of a stage, from `url`: the
 * server renders it read-only (a record of what ran) and sandboxed; `.mlmom/` is
 * hidden from Jupyter's contents API, so the lab could not open it as a notebook.
 */
export function executedNotebook(
  url: string,
  stage: string,
  runId: string,
  trans: TranslationBundle
): MainAreaWidget<IFrame> {
  const content = new IFrame({ sandbox: ['allow-scripts', 'allow-popups'] });
  content.url = url;
  const widget = new MainAreaWidget({ content });
  widget.id = executedId(stage, runId);
  widget.addClass('mlmom-executed');
  widget.title.label = `${stage} · ${runId}`;
  widget.title.caption = trans.__(
    'The executed notebook of stage %1 in run %2 (read-only)',
    stage,
    runId
  );
  widget.title.closable = true;
  return widget;
}
