"""Image archive formats: read docker-archive / OCI layout tars, write docker-archive.

This is the public face of the archive_* modules; import from here.

Reading::

    with open(path, "rb") as f, read_image_archive(f) as archive:
        for image in archive:
            image.config, image.config_digest, image.repo_tags
            for layer in image.layers:
                with layer.open() as tar_stream:  # uncompressed; verify layer.diff_id
                    ...

Writing::

    write_docker_archive(out, [ImageToWrite(config, ["busybox:latest"], layers)])
"""

from __future__ import annotations

from .archive_common import ArchiveError
from .archive_model import ArchiveImage, ArchiveLayer
from .archive_reader import ImageArchive, read_image_archive, spool_archive
from .archive_writer import ImageToWrite, LayerToWrite, write_docker_archive

__all__ = [
    "ArchiveError",
    "ArchiveImage",
    "ArchiveLayer",
    "ImageArchive",
    "ImageToWrite",
    "LayerToWrite",
    "read_image_archive",
    "spool_archive",
    "write_docker_archive",
]
