"""RUN --mount values parsed as BuildKit's Dockerfile frontend does."""

from __future__ import annotations

import pytest

from dockyard.build.mounts import check_network, parse_mount
from dockyard.errors import InvalidParameter


def same(value: str) -> str:
    return value


def test_defaults_per_type() -> None:
    bind = parse_mount("target=/src", same)
    assert (bind.type, bind.readonly, bind.source) == ("bind", True, "")
    cache = parse_mount("type=cache,target=/root/.cache", same)
    assert (cache.readonly, cache.sharing, cache.id) == (False, "shared", "")
    secret = parse_mount("type=secret,id=tok", same)
    assert (secret.target, secret.required) == ("/run/secrets/tok", False)
    env_only = parse_mount("type=secret,id=tok,env=TOKEN", same)
    assert env_only.target == "" and env_only.env == "TOKEN"
    ssh = parse_mount("type=ssh,required", same)
    assert (ssh.id, ssh.target, ssh.required) == ("default", "/run/buildkit/ssh_agent.0", True)
    tmp = parse_mount("type=tmpfs,dst=/t,size=64m", same)
    assert tmp.size == 64 << 20 and not tmp.readonly


def test_options_and_expansion() -> None:
    m = parse_mount(
        "type=cache,target=$DIR,id=x,mode=0700,uid=1000,gid=1000,ro",
        lambda v: v.replace("$DIR", "/c"),
    )
    assert (m.target, m.mode, m.uid, m.gid, m.readonly) == ("/c", 0o700, 1000, 1000, True)
    assert (
        m.spec() == "--mount=type=cache,id=x,target=/c,sharing=shared,mode=700,uid=1000,gid=1000,ro"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("type=volume,target=/x", 'unsupported mount type "volume"'),
        ("type=cach,target=/x", 'unsupported mount type "cach" (did you mean cache?)'),
        (
            "type=cache,target=/x,sharing=privat",
            'unsupported sharing value "privat" (did you mean private?)',
        ),
        ("type=cache,target=/x,uid=-1", "invalid value -1 for uid"),
        ("type=cache,target=/x,mode=9", "invalid value 9 for mode"),
        ("type=bind,target=/x,required", "unexpected key 'required' for mount type 'bind'"),
        ("type=bind,target=/x,bogus", "invalid field 'bogus' must be a key=value pair"),
        ("type=bind,target=/x,ro=maybe", "invalid value for ro: maybe"),
        ("type=secret,id=a,from=stage", "secret mount should not have a from"),
        ("type=secret,source=a,id=b", "both source and id can't be set"),
        ("type=bind,target=/x,sharing=locked", "invalid cache sharing set for bind mount"),
        (
            "type=cache,target=/x,from=$STAGE",
            "'from' doesn't support variable expansion, define alias stage instead",
        ),
        ("type=tmpfs,target=/x,size=lots", "invalid value for size: lots"),
    ],
)
def test_bad_values(value: str, message: str) -> None:
    with pytest.raises(InvalidParameter) as exc:
        parse_mount(value, same)
    assert exc.value.message == message


def test_network_modes() -> None:
    assert check_network("none") == "none"
    with pytest.raises(InvalidParameter, match='invalid network mode "bridge"'):
        check_network("bridge")
