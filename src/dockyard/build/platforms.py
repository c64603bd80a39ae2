"""BuildKit's automatic platform ARGs: TARGETPLATFORM, TARGETOS, TARGETARCH, TARGETVARIANT
(the `--platform` being built, else this host) and BUILDPLATFORM, BUILDOS, BUILDARCH,
BUILDVARIANT (this host). Global ARGs without a declaration; a stage sees them after
`ARG NAME`."""

from __future__ import annotations

from ..errors import InvalidParameter

_DEFAULT_VARIANT = {"arm64": "", "arm": "v7"}


def _split(platform: str) -> tuple[str, str, str]:
    parts = platform.strip().lower().split("/")
    if not parts[0] or len(parts) > 3:
        raise InvalidParameter(
            f'"{platform}": unknown operating system or architecture: invalid argument'
        )
    if len(parts) == 1:
        from ..images.config import host_platform

        return parts[0], host_platform()[1], ""
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(parts[1], parts[1])
    variant = parts[2] if len(parts) == 3 else _DEFAULT_VARIANT.get(arch, "")
    if arch == "arm64" and variant == "v8":
        variant = ""  # BuildKit normalises linux/arm64/v8 to linux/arm64
    return parts[0], arch, variant


def _args(prefix: str, platform: str) -> dict[str, str]:
    os_, arch, variant = _split(platform)
    full = f"{os_}/{arch}" + (f"/{variant}" if variant else "")
    return {
        f"{prefix}PLATFORM": full,
        f"{prefix}OS": os_,
        f"{prefix}ARCH": arch,
        f"{prefix}VARIANT": variant,
    }


def platform_args(target: str) -> dict[str, str]:
    """The automatic ARGs for a build of `target` ("" for this host's platform)."""
    from ..images.config import host_platform

    host = "/".join(host_platform())
    return {**_args("BUILD", host), **_args("TARGET", target or host)}
