"""The zero shapes of Engine API objects: every field present, optional ones set over them."""

from dockyard.common import apishapes as shapes


def test_zero_shapes() -> None:
    ep = shapes.endpoint_settings(Aliases=["a"])
    assert ep["Aliases"] == ["a"] and ep["IPAMConfig"] is None and ep["GwPriority"] == 0
    assert len(ep) == 15
    host = shapes.host_config(Memory=5)
    assert host["Memory"] == 5 and host["MemorySwappiness"] == -1
    assert host["RestartPolicy"] == {"Name": "no", "MaximumRetryCount": 0}
    assert shapes.host_config() is not shapes.host_config()  # no shared mutable state
