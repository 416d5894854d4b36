"""The auth definition: the schema `define_auth` checks, and loading it from an app's amplify/ folder."""

from userpool.definition.define import Backend, define_auth, define_backend
from userpool.definition.errors import DefinitionError
from userpool.definition.loader import load_definition
from userpool.definition.models import AuthDefinition

__all__ = ["AuthDefinition", "Backend", "DefinitionError", "define_auth", "define_backend", "load_definition"]
