#!/bin/sh
# The official redis image's contract: options (or a config file) alone are given to
# redis-server; redis-server runs without protected mode unless its config file sets it,
# and as user redis, owning the data directory.
set -e

case "$1" in
    -*|*.conf) set -- redis-server "$@" ;;
esac

case "$2" in
    -v|--version|-h|--help|--test-memory) DOCKYARD_REDIS_CONFIGURED=1 ;;
esac
if [ "$1" = redis-server ] && [ -z "$DOCKYARD_REDIS_CONFIGURED" ]; then
    shift
    config=
    if [ -f "${1:-}" ]; then
        config=$1
        shift
    fi
    if [ -z "$config" ] || ! grep -q '^protected-mode' "$config"; then
        set -- --protected-mode no "$@"
    fi
    if [ -n "$config" ]; then
        set -- "$config" "$@"
    fi
    set -- redis-server "$@"
    export DOCKYARD_REDIS_CONFIGURED=1
fi

if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
    find . \! -user redis -exec chown redis '{}' +
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
fi

# Keep the official image's default umask for the files redis writes.
umask 0077
exec "$@"
