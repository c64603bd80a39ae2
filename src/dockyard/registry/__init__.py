"""Distribution v2 registry client; it never knows the image store (dockyard.distribution
pulls and pushes with it).

- remote.py: registry settings, lazy network modules, per-endpoint credentials, connect
- client.py: one registry endpoint (ping, auth retry) and one repository's v2 calls
- auth.py: WWW-Authenticate challenges, bearer tokens, basic auth
- credentials.py: X-Registry-Auth, ~/.docker/config.json, a mirror's own credentials
- endpoints.py: mirrors, insecure registries, Docker Hub (contacted only with
  DOCKYARD_REGISTRY_HUB set in dockyardd's environment; another registry may stand in)
- manifests.py: media types, parsing, platform choice, the manifests we push
- upload.py: layer blobs out (mount or upload); blobs come in through `Repository.open_blob`
- inspect.py: GET /distribution/{name}/json
- transport.py: http.client with kept-alive connections, streaming, Docker-worded errors
- search.py: docker search (v1 search API, else /v2/_catalog)
- login.py: the check behind POST /auth (the route is in api/auth.py)
"""
