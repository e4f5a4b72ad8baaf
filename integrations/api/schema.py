"""How the OpenAPI schema describes the bearer tokens (imported with the API's URLs, which
serve the schema: processes that never route a request skip drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.api.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token (wsk_…) from Profile → API tokens.",
        }
