import pytest

from dockyard.common.reference import (
    InvalidReference,
    Reference,
    is_digest,
    is_full_id,
    is_id_prefix,
    parse_any_reference,
    parse_docker_ref,
    parse_normalized,
    parse_reference,
    validate_tag,
)

D = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    "text, domain, path, tag, digest, familiar",
    [
        ("nginx", "docker.io", "library/nginx", "latest", None, "nginx:latest"),
        ("nginx:1.25", "docker.io", "library/nginx", "1.25", None, "nginx:1.25"),
        ("user/repo", "docker.io", "user/repo", "latest", None, "user/repo:latest"),
        ("docker.io/nginx", "docker.io", "library/nginx", "latest", None, "nginx:latest"),
        ("index.docker.io/nginx", "docker.io", "library/nginx", "latest", None, "nginx:latest"),
        ("docker.io/library/a/b", "docker.io", "library/a/b", "latest", None, "library/a/b:latest"),
        ("host:5000/a/b:tag", "host:5000", "a/b", "tag", None, "host:5000/a/b:tag"),
        ("localhost/x", "localhost", "x", "latest", None, "localhost/x:latest"),
        ("localhost:5000/x:1", "localhost:5000", "x", "1", None, "localhost:5000/x:1"),
        ("example.com/x", "example.com", "x", "latest", None, "example.com/x:latest"),
        ("127.0.0.1:5000/x", "127.0.0.1:5000", "x", "latest", None, "127.0.0.1:5000/x:latest"),
        ("[::1]:5000/x", "[::1]:5000", "x", "latest", None, "[::1]:5000/x:latest"),
        ("Foo/bar", "Foo", "bar", "latest", None, "Foo/bar:latest"),
        ("nginx@" + D, "docker.io", "library/nginx", None, D, "nginx@" + D),
        ("nginx:1@" + D, "docker.io", "library/nginx", "1", D, "nginx:1@" + D),
        ("a-b__c/e---f", "docker.io", "a-b__c/e---f", "latest", None, "a-b__c/e---f:latest"),
        ("reg.io/a/b/c/d", "reg.io", "a/b/c/d", "latest", None, "reg.io/a/b/c/d:latest"),
    ],
)
def test_parse_normalized(text, domain, path, tag, digest, familiar):
    ref = parse_normalized(text)
    assert (ref.domain, ref.path, ref.tag, ref.digest) == (domain, path, tag, digest)
    if familiar is not None:
        assert ref.familiar() == familiar
        assert str(ref) == familiar
    assert parse_normalized(ref.canonical()) == ref


def test_dotted_first_component_that_is_no_valid_host():
    # Docker quirk kept on purpose: "a_b.c" is split off as a domain, but the grammar
    # cannot read it as a host, so the whole string becomes a domain-less path.
    ref = parse_normalized("a_b.c/d")
    assert (ref.domain, ref.path) == ("", "a_b.c/d")


def test_name_and_familiar_name():
    ref = parse_normalized("nginx")
    assert ref.name == "docker.io/library/nginx"
    assert ref.familiar_name == "nginx"
    assert ref.canonical() == "docker.io/library/nginx:latest"
    assert parse_normalized("user/app").familiar_name == "user/app"
    assert parse_normalized("localhost:5000/x").familiar_name == "localhost:5000/x"


def test_no_default_tag():
    ref = parse_normalized("nginx", default_tag=False)
    assert ref.tag is None and ref.is_name_only
    assert ref.familiar() == "nginx"


def test_parse_docker_ref_digest_wins():
    ref = parse_docker_ref("busybox:latest@" + D)
    assert ref.tag is None and ref.digest == D
    assert parse_docker_ref("busybox").tag == "latest"


def test_parse_reference_is_not_normalising():
    ref = parse_reference("nginx")
    assert ref == Reference("", "nginx", None, None)
    assert ref.name == "nginx"
    ref = parse_reference("localhost:5000/a:b")
    assert (ref.domain, ref.path, ref.tag) == ("localhost:5000", "a", "b")


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "invalid reference format"),
        ("nginx:", "invalid reference format"),
        (":tag", "invalid reference format"),
        ("a//b", "invalid reference format"),
        ("-a", "invalid reference format"),
        ("a-", "invalid reference format"),
        ("a..b/c", "invalid reference format"),
        ("nginx:" + "t" * 129, "invalid reference format"),
        ("nginx:-tag", "invalid reference format"),
        ("nginx@sha256:abc", "invalid reference format"),
        ("nginx@sha256:" + "a" * 40, "invalid checksum digest length"),
        ("nginx@sha256:" + "A" * 64, "invalid checksum digest format"),
        ("nginx@md5:" + "a" * 32, "unsupported digest algorithm"),
        ("Nginx", "invalid reference format: repository name (library/Nginx) must be lowercase"),
        ("user/Repo", "invalid reference format: repository name (user/Repo) must be lowercase"),
        (
            "a" * 64,
            "invalid repository name ("
            + "a" * 64
            + "), cannot specify 64-byte hexadecimal strings",
        ),
        ("x/" + "a" * 250, "repository name must not be more than 255 characters"),
        ("nginx latest", "invalid reference format"),
        ("ngïnx", "invalid reference format"),
    ],
)
def test_parse_normalized_errors(text, message):
    with pytest.raises(InvalidReference) as ei:
        parse_normalized(text)
    assert str(ei.value) == message
    assert isinstance(ei.value, ValueError)


def test_parse_reference_uppercase_and_empty():
    with pytest.raises(InvalidReference, match="^repository name must be lowercase$"):
        parse_reference("docker.io/library/Nginx")
    with pytest.raises(InvalidReference, match="at least one component"):
        parse_reference("")


def test_length_limit_counts_the_whole_name():
    ok = "/".join(["a" * 50] * 4) + "/" + "b" * 33  # 237 chars + "docker.io/" = 247
    assert len(parse_normalized(ok).name) == 247
    with pytest.raises(InvalidReference, match="not be more than 255 characters"):
        parse_normalized("registry.example.com/" + "/".join(["a" * 50] * 5))
    # Parse itself: 127 x "a/" + "a" is 255 chars, one more component is too long
    assert parse_reference("a/" * 127 + "a:tag").domain == "a"
    with pytest.raises(InvalidReference, match="255"):
        parse_reference("a/" * 128 + "a:tag")


def test_tags_and_digests():
    validate_tag("v1.0_rc-2")
    with pytest.raises(InvalidReference, match="invalid tag format"):
        validate_tag(".bad")
    ref = parse_normalized("nginx").with_tag("1.2").with_digest(D)
    assert ref.familiar() == "nginx:1.2@" + D
    assert ref.trim().familiar() == "nginx"
    assert is_digest(D)
    assert not is_digest("sha256:abc")


def test_id_helpers():
    assert is_full_id("a" * 64)
    assert is_full_id("sha256:" + "b" * 64)
    assert not is_full_id("a" * 63)
    assert is_id_prefix("3f2a")
    assert is_id_prefix("sha256:3f2a")
    assert not is_id_prefix("nginx")
    assert not is_id_prefix("")


def test_hostile_long_input_is_fast():
    import time

    start = time.monotonic()
    for s in ("a-" * 5000 + "A", "a." * 5000 + "/", "a" * 20000 + ":" + "-" * 100):
        with pytest.raises(InvalidReference):
            parse_normalized(s)
    assert time.monotonic() - start < 2


VALID = [
    "docker/docker", "library/debian", "index.docker.io/debian", "127.0.0.1:5000/library/debian",
    "192.168.0.1", "192.168.0.1:80", "192.168.0.1:8/debian", "[fc00::1]:5000/docker/docker",
    "[fc00:1:2:3:4:5:6:7]:5000/library/debian", "Docker/docker", "DOCKER/docker",
    "docker.io/" + "1a3f" * 16, "docker---rules/docker", "d/docker", "jess/t", "dock__er/docker",
    "x" * 64,  # 64 characters but not hexadecimal
]  # fmt: skip
INVALID = [
    "https://github.com/docker/docker", "docker/Docker", "-docker", "-docker.io/docker/docker",
    "docker///docker", "docker.io/docker/Docker", "[fc00::1]", "[fc00::1]:5000",
    "fc00::1:5000/debian", "[fe80::1%eth0]:5000/debian", "[2001:db8:3:4::192.0.2.33]:5000/debian",
    "1a3f" * 16, "docker-/docker", "____/____", "_docker/_docker", "dock..er/docker",
    "dock_.er/docker", "dock-.er/docker", "docker/",
]  # fmt: skip


@pytest.mark.parametrize("name", VALID)
def test_valid_names(name):
    parse_normalized(name)


@pytest.mark.parametrize("name", INVALID)
def test_invalid_names(name):
    with pytest.raises(InvalidReference):
        parse_normalized(name)


@pytest.mark.parametrize(
    "text, familiar, full",
    [
        ("index.docker.io/fooo/bar", "fooo/bar", "docker.io/fooo/bar"),
        ("library/ubuntu", "ubuntu", "docker.io/library/ubuntu"),
        ("other/library", "other/library", "docker.io/other/library"),
        ("docker.io/library/foo/bar", "library/foo/bar", "docker.io/library/foo/bar"),
        ("127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase"),
        ("FOO/bar", "FOO/bar", "FOO/bar"),
    ],
)
def test_familiar_and_full_names(text, familiar, full):
    ref = parse_normalized(text, default_tag=False)
    assert (ref.familiar_name, ref.name) == (familiar, full)


def test_parse_any_reference():
    hexid = "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"
    assert parse_any_reference(hexid).digest == "sha256:" + hexid
    assert str(parse_any_reference("sha256:" + hexid)) == "sha256:" + hexid
    assert parse_any_reference(hexid[:-1]).name == "docker.io/library/" + hexid[:-1]
    assert parse_any_reference("redis").canonical() == "docker.io/library/redis"
    assert parse_any_reference("dbcc1").name == "docker.io/library/dbcc1"
