"""Distribution v2 registry client: the image service's registry plug-in.

puller.py      Puller(image_service): pull / push / search / login (what the service calls)
client.py      one registry endpoint (ping, auth retry) and one repository's v2 calls
auth.py        WWW-Authenticate challenges, bearer tokens, basic auth
credentials.py X-Registry-Auth / ~/.docker/config.json
endpoints.py   mirrors, insecure registries, Docker Hub (DOCKYARD_REGISTRY_HUB=none: never
               contacted; the default under pytest)
manifests.py   media types, parsing, platform choice, the manifests we push
transport.py   http.client with kept-alive connections, streaming, Docker-worded errors
search.py      docker search (v1 search API, else /v2/_catalog)
login.py       POST /auth's check; routes.py registers that route
"""
