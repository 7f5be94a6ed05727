"""The project's pipeline for the engines a team already runs: Kubeflow Pipelines (``kfp``:
the compiled pipeline; ``kfp_task``: what each of its tasks runs)."""
