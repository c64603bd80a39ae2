"""One module per `compose` command: `add_arguments(parser, command)` and `run(opts)`."""
