"""The image service: the image store's one public face for the API, the builder, the
container service and pull/push. No HTTP in here.

It is the catalog (catalog.py: state, lookups, tags) plus the operations that live in
their own modules, bound here as methods: deletion (delete.py), load/save/import/commit
and registering pulled images (transfer.py), the API views (views.py) and the store's
`system check` (fsck.py).
"""

from __future__ import annotations

from . import delete as _delete
from . import fsck as _fsck
from . import transfer as _transfer
from . import views as _views
from .catalog import ImageCatalog
from .records import ImageRecord, full_image_id, parse_tag_ref, short_id

__all__ = ["ImageRecord", "ImageService", "full_image_id", "parse_tag_ref", "short_id"]


class ImageService(ImageCatalog):
    # deletion
    delete = _delete.delete
    sweep = _delete.sweep
    # images in and out
    load = _transfer.load
    save_plan = _transfer.save_plan
    save = _transfer.save
    import_image = _transfer.import_image
    commit = _transfer.commit
    add_image = _transfer.add_image
    add_config = _transfer.add_config
    # API views (shapes live in views.py)
    list = _views.list_images
    inspect = _views.inspect
    history = _views.history
    df = _views.df
    prune = _views.prune
    # `system check`
    check = _fsck.check
