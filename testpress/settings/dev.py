"""Local development: DEBUG on unless the environment says otherwise."""

from .base import *  # noqa: F403
from .base import SECRET_KEY, SIMPLE_JWT, env, refuse_public_keys

DEBUG = env.bool("DEBUG", default=True)
# Uploaded question images, served by runserver like everything else on a developer's machine.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=DEBUG)

# DEBUG off is how a server others can reach runs: not with the key anyone can read in base.py.
if not DEBUG:
    refuse_public_keys(secret_key=SECRET_KEY, signing_key=SIMPLE_JWT["SIGNING_KEY"])
