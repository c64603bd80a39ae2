"""Kubernetes for dockyard: `kube generate` (containers, pods, compose projects -> manifests
validated against the official schemas), `kube play`/`kube down` (manifests -> pods of
containers on this host, and back), `pod ls|inspect|rm|logs`. A client of the Engine API.
"""
