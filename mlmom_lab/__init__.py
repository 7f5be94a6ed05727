"""mlmom-lab: train, register, deploy, monitor, explain and retrain models from JupyterLab.

Only the version lives here, so that ``import mlmom_lab`` stays instant; import the
subpackages (``mlmom_lab.pipeline``, ``mlmom_lab.registry``, ``mlmom_lab.track``) you need.
"""

__version__ = "0.1.0"
