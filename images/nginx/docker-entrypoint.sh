#!/bin/sh
# The official nginx image's contract: when the command is nginx, the executable scripts in
# /docker-entrypoint.d/ run first (in name order); then the command replaces this shell.
set -e

if [ "$1" = nginx ] || [ "$1" = nginx-debug ]; then
    for f in /docker-entrypoint.d/*; do
        [ -f "$f" ] || continue
        case "$f" in
            *.sh)
                if [ -x "$f" ]; then
                    echo "$0: Launching $f"
                    "$f"
                else
                    echo "$0: Ignoring $f, not executable"
                fi
                ;;
            *) echo "$0: Ignoring $f" ;;
        esac
    done
    echo "$0: Configuration complete; ready for start up"
fi

exec "$@"
