from runtime.connection import *  # noqa: F401,F403 - transitional: moved to runtime/ (docs/deploy.md, "Layout")
