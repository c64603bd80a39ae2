"""network create, ls, rm, connect, disconnect, prune (inspect lives in inspect.py)."""

from __future__ import annotations

import sys
from typing import Any

from .common import APIError, CLIError, Context, parser
from .flags import parse_with
from .inspect import go_time, natural_key, parse_rfc3339, print_list
from .shared import confirm, for_each, parse_filters, print_deleted, short_id


def _bool(value: Any) -> str:
    return "true" if value else "false"


def created_at(text: str) -> str:
    """Go's time.String() of an RFC 3339 stamp: fractional seconds kept, zeros trimmed."""
    try:
        shown = go_time(parse_rfc3339(text))
    except ValueError:
        return text
    frac = ""
    if "." in text:
        digits = text.split(".", 1)[1]
        frac = "".join(c for c in digits[:9] if c.isdigit()).rstrip("0")
    if not frac:
        return shown
    date, clock, rest = shown.split(" ", 2)
    return f"{date} {clock}.{frac} {rest}"


def network_row(n: dict[str, Any], trunc: bool = True) -> dict[str, Any]:
    labels = n.get("Labels") or {}
    created = created_at(n.get("Created") or "")
    return {
        "CreatedAt": created,
        "Driver": n.get("Driver", ""),
        "ID": short_id(n.get("Id", "")) if trunc else n.get("Id", ""),
        "IPv4": _bool(n.get("EnableIPv4")),
        "IPv6": _bool(n.get("EnableIPv6")),
        "Internal": _bool(n.get("Internal")),
        "Labels": ",".join(f"{k}={v}" for k, v in labels.items()),
        "Name": n.get("Name", ""),
        "Scope": n.get("Scope", ""),
        "Label": lambda key: labels.get(key, ""),
    }


def ls(ctx: Context, argv: list[str]) -> int:
    p = parser("network ls", usage="dockyard network ls [OPTIONS]")
    p.add_argument("-f", "--filter", action="append", default=[])
    p.add_argument("--format")
    p.add_argument("--no-trunc", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true")
    args = p.parse_args(argv)
    nets = ctx.api.networks.list(parse_filters(args.filter))
    nets.sort(key=lambda n: natural_key(n.get("Name", "")))
    trunc = not args.no_trunc
    if args.quiet:
        for n in nets:
            print(short_id(n["Id"]) if trunc else n["Id"])
        return 0
    print_list([network_row(n, trunc) for n in nets], args.format, "network")
    return 0


def _kv(items: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, eq, value = item.partition("=")
        out[key] = value
    return out


def create_body(args: Any) -> dict[str, Any]:
    """Flags -> POST /networks/create as the docker CLI sends it (one IPAM pool per --subnet)."""
    subnets, ranges, gateways = args.subnet, args.ip_range, args.gateway
    if len(ranges) > len(subnets) or len(gateways) > len(subnets):
        raise CLIError("dockyard: every ip-range or gateway must have a corresponding subnet", 1)
    pools = []
    aux = _kv(args.aux_address, "--aux-address")
    for i, subnet in enumerate(subnets):
        pool: dict[str, Any] = {"Subnet": subnet}
        if i < len(ranges):
            pool["IPRange"] = ranges[i]
        if i < len(gateways):
            pool["Gateway"] = gateways[i]
        if aux and i == 0:
            pool["AuxiliaryAddresses"] = aux
        pools.append(pool)
    body: dict[str, Any] = {"Driver": args.driver, "Scope": args.scope}
    if args.ipv6 is not None:
        body["EnableIPv6"] = args.ipv6
    body["IPAM"] = {
        "Driver": args.ipam_driver,
        "Options": _kv(args.ipam_opt, "--ipam-opt"),
        "Config": pools,
    }
    body.update(
        {
            "Internal": args.internal,
            "Attachable": args.attachable,
            "Ingress": args.ingress,
            "ConfigOnly": args.config_only,
            "ConfigFrom": {"Network": args.config_from} if args.config_from else None,
            "Options": _kv(args.opt, "-o"),
            "Labels": _kv(args.label, "--label"),
            "Name": args.name,
        }
    )
    return body


def create(ctx: Context, argv: list[str]) -> int:
    p = parser("network create", usage="dockyard network create [OPTIONS] NETWORK")
    p.add_argument("--attachable", action="store_true")
    p.add_argument("--aux-address", action="append", default=[])
    p.add_argument("--config-from", default="")
    p.add_argument("--config-only", action="store_true")
    p.add_argument("-d", "--driver", default="bridge")
    p.add_argument("--gateway", action="append", default=[])
    p.add_argument("--ingress", action="store_true")
    p.add_argument("--internal", action="store_true")
    p.add_argument("--ip-range", action="append", default=[])
    p.add_argument("--ipam-driver", default="default")
    p.add_argument("--ipam-opt", action="append", default=[])
    p.add_argument("--ipv6", action="store_true", default=None)
    p.add_argument("--ipv4", action="store_true", default=None)
    p.add_argument("--label", action="append", default=[])
    p.add_argument("-o", "--opt", action="append", default=[])
    p.add_argument("--scope", default="")
    p.add_argument("--subnet", action="append", default=[])
    args, rest = parse_with(p, argv, interspersed=True)
    if len(rest) != 1:
        p.error('"network create" requires exactly 1 argument.')
    args.name = rest[0]
    doc = ctx.api.networks.create(create_body(args))
    if doc.get("Warning"):
        print(f"WARNING: {doc['Warning']}", file=sys.stderr)
    print(doc.get("Id", ""))
    return 0


def rm(ctx: Context, argv: list[str]) -> int:
    p = parser("network rm", usage="dockyard network rm NETWORK [NETWORK...]")
    p.add_argument("-f", "--force", action="store_true")
    p.add_argument("networks", nargs="+")
    args = p.parse_args(argv)

    def remove(name: str) -> None:
        try:
            ctx.api.networks.remove(name)
        except APIError as exc:
            if not (args.force and exc.status == 404):
                raise

    code = for_each(ctx, args.networks, remove)
    if code:
        print(f"exit status {code}", file=sys.stderr)  # docker 28's StatusError without a text
    return code


def connect(ctx: Context, argv: list[str]) -> int:
    from dockyard.common.apishapes import endpoint_settings

    p = parser("network connect", usage="dockyard network connect [OPTIONS] NETWORK CONTAINER")
    p.add_argument("--alias", action="append", default=[])
    p.add_argument("--driver-opt", action="append", default=[])
    p.add_argument("--gw-priority", type=int, default=0)
    p.add_argument("--ip", default="")
    p.add_argument("--ip6", default="")
    p.add_argument("--link", action="append", default=[])
    p.add_argument("--link-local-ip", action="append", default=[])
    p.add_argument("network")
    p.add_argument("container")
    args = p.parse_args(argv)
    ipam: dict[str, Any] = {}
    if args.ip:
        ipam["IPv4Address"] = args.ip
    if args.ip6:
        ipam["IPv6Address"] = args.ip6
    if args.link_local_ip:
        ipam["LinkLocalIPs"] = args.link_local_ip
    endpoint = endpoint_settings(
        IPAMConfig=ipam,  # docker sends the object, empty or not
        Links=args.link or None,
        Aliases=args.alias or None,
        DriverOpts=_kv(args.driver_opt, "--driver-opt"),
        GwPriority=args.gw_priority,
    )
    ctx.api.networks.connect(args.network, args.container, endpoint)
    return 0


def disconnect(ctx: Context, argv: list[str]) -> int:
    p = parser(
        "network disconnect", usage="dockyard network disconnect [OPTIONS] NETWORK CONTAINER"
    )
    p.add_argument("-f", "--force", action="store_true")
    p.add_argument("network")
    p.add_argument("container")
    args = p.parse_args(argv)
    ctx.api.networks.disconnect(args.network, args.container, args.force)
    return 0


def prune(ctx: Context, argv: list[str]) -> int:
    p = parser("network prune")
    p.add_argument("-f", "--force", action="store_true")
    p.add_argument("--filter", action="append", default=[])
    args = p.parse_args(argv)
    if not args.force and not confirm(
        "WARNING! This will remove all custom networks not used by at least one container.\n"
        "Are you sure you want to continue?"
    ):
        return 0
    doc = ctx.api.networks.prune(parse_filters(args.filter))
    print_deleted("Networks", doc.get("NetworksDeleted") or [])
    return 0
