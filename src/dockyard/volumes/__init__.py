"""Volumes: the local driver's store and the daemon-side mount spec parsing.

- store.VolumeStore    volumes on disk (create/get/list/remove/prune/mount/usage/recover)
- service.VolumeService the store with its peers (event sink, containers in use)
- spec                 daemon-side Binds/Mounts/Tmpfs parsing with Docker's error texts
- localopts            the local driver's type/device/o options and mount(8)
- filters, usage       ls/prune filters, du for system df

The client-side -v/--mount/--tmpfs syntax is common/mountspec.py; seeding a new volume
from the image is fs/copyup.py.

The container-facing side (plan, populate, setup, teardown) is containers/mounts.py.
"""
