"""Leaving the laptop: a version as a self-contained bundle, a container build context,
Kubernetes manifests (KServe and plain), and the Grafana dashboard for the server's metrics."""
