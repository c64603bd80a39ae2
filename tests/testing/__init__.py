"""Helpers shared by test modules (tests/ is on sys.path, see tests/conftest.py): hand-made
tar files, image archives and an image store on a temp dir, an in-memory registry."""
