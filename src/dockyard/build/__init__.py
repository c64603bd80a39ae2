"""docker build with the classic (non-BuildKit) builder.

- parser.py: Dockerfile text -> instructions (directives, continuations, heredocs)
- shell.py: Docker's word rules (quotes, escapes, ``${VAR:-x}`` substitution)
- context.py: the build context (client tar, remote URL or Git), .dockerignore, hashes
- builder.py: Builder, one build: stages in order, each instruction dispatched to its step;
  its jobs are the modules below, mixed into it
- plan.py: build options, stages, flags and Docker's parse-time checks
- steps.py: the instructions that change only the image config
- run.py: RUN in real containers; every step's intermediate container and its commit
- copyadd.py: COPY/ADD through safe root paths (context, stage, image, URL, heredoc)
- cache.py: per-step cache by parent image + step config, and --cache-from
- instructions.py: Go-style formatting and argument checks shared by the steps

The Engine API route (POST /build) lives in api/build.py.
"""
