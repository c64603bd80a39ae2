"""Volumes: the local driver's store, copy-up of image content, and mount spec parsing."""
