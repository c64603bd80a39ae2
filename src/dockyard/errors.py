"""Errors shared by every service; each carries the HTTP status the API answers with.

Services raise these; the API layer turns them into Docker's `{"message": ...}` bodies.
"""


class DockyardError(Exception):
    status = 500

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class NotModified(DockyardError):
    status = 304


class InvalidParameter(DockyardError):
    status = 400


class Unauthorized(DockyardError):
    status = 401


class Forbidden(DockyardError):
    status = 403


class NotFound(DockyardError):
    status = 404


class Conflict(DockyardError):
    status = 409


class SystemError_(DockyardError):  # noqa: N801 - avoid shadowing the builtin SystemError
    status = 500


class Unavailable(DockyardError):
    status = 503
