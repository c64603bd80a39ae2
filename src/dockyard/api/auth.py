"""Registry routes (POST /auth, GET /distribution): they live with the registry client."""

from ..registry.routes import register  # noqa: F401
