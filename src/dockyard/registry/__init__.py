"""Distribution v2 registry client: the image service's registry plug-in.

- puller.py: Puller(image_service) with pull / push / search / login (the service's hook)
- client.py: one registry endpoint (ping, auth retry) and one repository's v2 calls
- auth.py: WWW-Authenticate challenges, bearer tokens, basic auth
- credentials.py: X-Registry-Auth, ~/.docker/config.json, a mirror's own credentials
- endpoints.py: mirrors, insecure registries, Docker Hub (contacted only with
  DOCKYARD_REGISTRY_HUB set in dockyardd's environment; another registry may stand in)
- manifests.py: media types, parsing, platform choice, the manifests we push
- transport.py: http.client with kept-alive connections, streaming, Docker-worded errors
- search.py: docker search (v1 search API, else /v2/_catalog)
- login.py: the check behind POST /auth; routes.py registers that route
"""
