"""The request bodies of network, volume and exec routes checked against the Engine API's
Go types (see bodycheck), and the name rules of the objects they create."""

from __future__ import annotations

import re
from typing import Any

from ..errors import InvalidParameter
from .bodycheck import Table, check, table
from .decode import json_object

ENDPOINT = table("""
    network.EndpointIPAMConfig: IPAMConfig
    []string: Links Aliases DNSNames
    map[string]string: DriverOpts
    string: NetworkID EndpointID Gateway IPAddress IPv6Gateway GlobalIPv6Address MacAddress
    int: IPPrefixLen GlobalIPv6PrefixLen
""")
# Objects inside endpoint settings (network connect, container create's NetworkingConfig).
ENDPOINT_NESTED: dict[str, Table] = {
    "EndpointConfig": ENDPOINT,
    "EndpointsConfig": ENDPOINT,
    "IPAMConfig": table("string: IPv4Address IPv6Address\n[]string: LinkLocalIPs"),
}
NESTED: dict[str, Table] = {
    **ENDPOINT_NESTED,
    "IPAM": table("""
        string: Driver
        map[string]string: Options
        []network.IPAMConfig: Config
    """),
    "IPAM.Config": table("""
        string: Subnet IPRange Gateway
        map[string]string: AuxiliaryAddresses
    """),
    "ConfigFrom": table("string: Network"),
}
NETWORK_CREATE = table("""
    string: Name Driver Scope
    bool: CheckDuplicate EnableIPv6 Internal Attachable Ingress ConfigOnly
    network.IPAM: IPAM
    network.ConfigReference: ConfigFrom
    map[string]string: Options Labels
""")
NETWORK_CONNECT = table("""
    string: Container
    network.EndpointSettings: EndpointConfig
""")
NETWORK_DISCONNECT = table("string: Container\nbool: Force")
VOLUME_CREATE = table("""
    string: Name Driver
    map[string]string: DriverOpts Labels
    volume.ClusterVolumeSpec: ClusterVolumeSpec
""")
EXEC_CREATE = table("""
    string: User DetachKeys WorkingDir
    bool: Privileged Tty AttachStdin AttachStderr AttachStdout
    []string: Env Cmd
    [2]uint: ConsoleSize
""")
AUTH_CONFIG = table("string: username password auth email serveraddress identitytoken registrytoken")
EXEC_START = table("bool: Detach Tty\n[2]uint: ConsoleSize")

# Docker's rule for network names (containers and volumes have theirs in their services);
# every name also has a length limit, a file name's, where Docker leaves it to whatever
# breaks first.
NAME_CHARS = "[a-zA-Z0-9][a-zA-Z0-9_.-]"
_NETWORK_NAME = re.compile(f"{NAME_CHARS}*")
NAME_MAX = 255


def checked(body: Any, fields: Table, struct: str) -> dict[str, Any]:
    """`body` as an object whose fields fit `fields` (InvalidParameter names the first that
    does not)."""
    body = json_object(body)
    check(body, fields, struct, NESTED)
    return body


def check_length(kind: str, name: str) -> str:
    if len(name.encode()) > NAME_MAX:
        raise InvalidParameter(f"{kind} name is too long: at most {NAME_MAX} characters")
    return name


def check_network_name(name: str) -> str:
    if not _NETWORK_NAME.fullmatch(name):
        raise InvalidParameter(f"invalid network name ({name!r}), only {NAME_CHARS} are allowed")
    return check_length("network", name)
