"""Volumes: the local driver's store, copy-up of image content, and mount spec parsing.

- store.VolumeStore    volumes on disk (create/get/list/remove/prune/mount/usage/recover)
- service.VolumeService the store wired to the daemon (events, containers in use)
- spec                 daemon-side Binds/Mounts/Tmpfs parsing with Docker's error texts
- cliparse             client-side -v/--mount/--tmpfs parsing with the CLI's error texts
- copyup               seeding a new volume from the image, never leaving the rootfs
- localopts            the local driver's type/device/o options and mount(8)
- filters, units, usage: ls/prune filters, "64m" sizes, du for system df

The container-facing side (plan, populate, setup, teardown) is containers/mounts.py.
"""
