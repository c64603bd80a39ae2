"""Pull and push: use cases above the image store (`images/`) and the registry client
(`registry/`), as containerd's client pull is above its content store and its resolver.

- service.py: DistributionService (pull, push, search, login, distribution inspect) with
  the image events Docker logs for them
- pull.py: resolve a reference on its registry, fetch what the store lacks, then register
  the image in one step through the store's public API
- push.py: the layer blobs and config of a local image to a registry, then its manifest

The registry never knows the image store and the image store never knows the registry.
"""
