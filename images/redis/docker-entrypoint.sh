#!/bin/sh
# The official redis image's contract: options (or a config file) alone are given to
# redis-server; redis-server runs without protected mode (a container is reached only where
# its port is published) unless its config file sets it, and as user redis, owning /data.
set -e
# The official image's umask for the files redis writes (dumps, AOF).
umask 0077

case "$1" in
    -*|*.conf) set -- redis-server "$@" ;;
esac

if [ "$1" = redis-server ]; then
    case "${2:-}" in
        -v|--version|-h|--help|--test-memory|--check-system) exec "$@" ;;
    esac
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
    if [ "$(id -u)" = 0 ]; then
        find . \! -user redis -exec chown redis '{}' +
        exec setpriv --reuid=redis --regid=redis --init-groups "$@"
    fi
fi

exec "$@"
