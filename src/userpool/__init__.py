"""userpool: Amplify Auth in Python. Declare the backend with `define_auth`; run it with `userpool sandbox`."""

from userpool.definition import define_auth, define_backend
from userpool.definition.secrets import secret

__all__ = ["define_auth", "define_backend", "secret"]
__version__ = "0.1.0"
