"""Networking for containers: Docker's bridge driver semantics on pyroute2 and nftables.

Modules, one job each:
  ports        `-p` parsing with the docker CLI's texts -> ExposedPorts / PortBindings
  portmap      host port choice and reservation (a bound, non-listening socket per port;
               listening on IPv6 addresses, where userproxy relays to the container)
  userproxy    docker-proxy's job for IPv6: TCP relays from [::]:P to the container's IPv4
  ipam         subnet pools (default-address-pools) and per-network address allocation
  netns        named network namespaces under <exec_root>/netns, per-thread setns
  bridge       bridges, veth pairs (peer created inside the netns), routes, sysctls
  nftables     our one table, rendered whole and replaced in one transaction (libnftables)
  dockercompat accept rules for our bridges in Docker's DOCKER-USER chain
  dnswire/dns  embedded DNS on each user network's gateway (UDP and TCP), forwarding
  sandbox      /etc/hosts, /etc/resolv.conf, /etc/hostname contents
  names        name tables behind the DNS and --link entries (pure functions)
  views        Docker's Network / EndpointSettings JSON and list filters (pure functions)
  store        the StateStore protocol the caller persists our state with (rows per table)
  rows         Rows: a table of records that knows which rows changed since the last write
  dbstore      the StateStore on the daemon's database, and the upgrade of the old format
  netconfig    NetworkConfig and the helpers the manager's parts share
  networks     networks: create, bring up, remove, list; host subnets and stray addresses
  endpoints    sandboxes (a container's netns), endpoints, published ports
  resolution   /etc/hosts and resolv.conf contents, the DNS server's name tables
  firewall     our nft table and Docker's DOCKER-USER accepts, kept asserted by a watchdog
  manager      NetworkManager, the facade the container service uses (mixes the four in)
  hostprobe    what the host already has under a name (links, nft tables)
  options      the plain option objects of the service's API calls
  service      the daemon's glue (config, DB, events) around NetworkManager
"""
