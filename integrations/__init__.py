"""Data in and out (issue 18): the REST API (``api``), signed webhooks (``webhooks``),
import (``imports``) and export (``exports``). Each part with models is a Django app
of its own (labels ``api``, ``webhooks``, ``imports``), so each keeps its migrations."""
