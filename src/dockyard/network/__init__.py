"""Networking for containers: Docker's bridge driver semantics on pyroute2 and nftables.

Modules, one job each:
  ports        `-p` parsing with the docker CLI's texts -> ExposedPorts / PortBindings
  portmap      host port choice and reservation (a bound, non-listening socket per port)
  ipam         subnet pools (default-address-pools) and per-network address allocation
  netns        named network namespaces under <exec_root>/netns, per-thread setns
  bridge       bridges, veth pairs (peer created inside the netns), routes, sysctls
  nftables     our one table, rendered whole and replaced in one transaction (libnftables)
  dockercompat accept rules for our bridges in Docker's DOCKER-USER chain
  dnswire/dns  embedded DNS on each user network's gateway (UDP and TCP), forwarding
  sandbox      /etc/hosts, /etc/resolv.conf, /etc/hostname contents
  names        name tables behind the DNS and --link entries (pure functions)
  views        Docker's Network / EndpointSettings JSON and list filters (pure functions)
  store        the KVStore protocol the caller persists our state with
  manager      NetworkManager, the facade the container service uses
  service      the daemon's glue (config, DB, events) around NetworkManager
"""
