"""What the services report; `app.api.errors` maps each kind to its HTTP status."""


class ServiceError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(ServiceError):
    pass


class ConflictError(ServiceError):
    pass


class InvalidCredentialsError(ServiceError):
    pass


class PermissionDeniedError(ServiceError):
    pass


class InvalidInputError(ServiceError):
    pass


class InvalidImageError(ServiceError):
    pass


class PayloadTooLargeError(ServiceError):
    pass


class ServiceUnavailableError(ServiceError):
    pass
