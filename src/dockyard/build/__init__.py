"""docker build with the classic (non-BuildKit) builder.

- parser.py: Dockerfile text -> instructions (directives, continuations, heredocs)
- shell.py: Docker's word rules (quotes, escapes, ``${VAR:-x}`` substitution)
- context.py: the build context (client tar, remote URL or Git), .dockerignore, hashes
- builder.py: stages and steps; RUN in real containers, COPY/ADD through safe root
  paths, one image per step, cache by parent image + step config
- instructions.py: Go-style formatting and argument checks shared by the steps

The Engine API route (POST /build) lives in api/build.py.
"""
