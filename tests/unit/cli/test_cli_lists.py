"""images/history/network/volume/search rendering from fixed API JSON, as docker CLI 28 printed it."""

import time

import pytest

from dockyard.cli.errors import CLIError
from dockyard.cli.images import history_row, image_rows
from dockyard.cli.inspect import natural_key, render_list
from dockyard.cli.networks import network_row
from dockyard.cli.registry import search_row
from dockyard.cli.volumes import volume_row

true, false, null = True, False, None
NOW = 1795804186
IMAGES = [
    {
        "Id": "sha256:a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1",
        "ParentId": "",
        "RepoTags": ["nginx:latest", "nginx:1.25", "localhost:5000/nginx:v1"],
        "RepoDigests": [
            "nginx@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
        ],
        "Created": 1795544986,
        "Size": 187654321,
        "SharedSize": -1,
        "VirtualSize": 187654321,
        "Labels": {"maintainer": "x"},
        "Containers": -1,
    },
    {
        "Id": "sha256:b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2",
        "ParentId": "",
        "RepoTags": [],
        "RepoDigests": [
            "busybox@sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
        ],
        "Created": 1761244186,
        "Size": 4261550,
        "SharedSize": -1,
        "Labels": null,
        "Containers": -1,
    },
    {
        "Id": "sha256:e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3",
        "ParentId": "",
        "RepoTags": null,
        "RepoDigests": null,
        "Created": 1795796986,
        "Size": 999,
        "SharedSize": -1,
        "Labels": null,
        "Containers": 2,
    },
    {
        "Id": "sha256:f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4",
        "ParentId": "",
        "RepoTags": ["<none>:<none>"],
        "RepoDigests": ["<none>@<none>"],
        "Created": 0,
        "Size": 0,
        "SharedSize": -1,
        "Labels": null,
        "Containers": -1,
    },
]
HISTORY = [
    {
        "Id": "sha256:a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1",
        "Created": 1795544986,
        "CreatedBy": '/bin/sh -c #(nop)  CMD ["nginx" "-g" "daemon off;"]',
        "Tags": ["nginx:latest"],
        "Size": 0,
        "Comment": "",
    },
    {
        "Id": "<missing>",
        "Created": 1795458586,
        "CreatedBy": "RUN /bin/sh -c apt-get update &&\tapt-get install -y nginx # buildkit",
        "Tags": null,
        "Size": 123456789,
        "Comment": "buildkit.dockerfile.v0",
    },
    {
        "Id": "<missing>",
        "Created": 1792348186,
        "CreatedBy": "",
        "Tags": null,
        "Size": 4261550,
        "Comment": "Imported from -",
    },
]
NETWORKS = [
    {
        "Name": "bridge",
        "Id": "1111111111111111111111111111111111111111111111111111111111111111",
        "Created": "2026-01-01T00:00:00.000000000Z",
        "Scope": "local",
        "Driver": "bridge",
        "EnableIPv6": false,
        "IPAM": {"Driver": "default", "Config": [{"Subnet": "172.17.0.0/16"}]},
        "Internal": false,
        "Attachable": false,
        "Ingress": false,
        "Options": {},
        "Labels": {},
    },
    {
        "Name": "host",
        "Id": "2222222222222222222222222222222222222222222222222222222222222222",
        "Created": "2026-01-01T00:00:00Z",
        "Scope": "local",
        "Driver": "host",
        "Labels": {},
    },
    {
        "Name": "my-net10",
        "Id": "3333333333333333333333333333333333333333333333333333333333333333",
        "Created": "2026-01-01T00:00:00Z",
        "Scope": "local",
        "Driver": "bridge",
        "Labels": {"a": "b", "c": "d"},
        "Internal": true,
        "EnableIPv6": true,
    },
    {
        "Name": "my-net9",
        "Id": "4444444444444444444444444444444444444444444444444444444444444444",
        "Created": "2026-01-01T00:00:00Z",
        "Scope": "local",
        "Driver": "bridge",
        "Labels": null,
    },
    {
        "Name": "none",
        "Id": "5555555555555555555555555555555555555555555555555555555555555555",
        "Created": "2026-01-01T00:00:00Z",
        "Scope": "local",
        "Driver": "null",
        "Labels": {},
    },
]
VOLUMES = [
    {
        "Name": "zeta",
        "Driver": "local",
        "Mountpoint": "/var/lib/docker/volumes/zeta/_data",
        "Labels": {"x": "y"},
        "Scope": "local",
        "CreatedAt": "2026-01-01T00:00:00Z",
        "Options": null,
    },
    {
        "Name": "alpha10",
        "Driver": "local",
        "Mountpoint": "/m",
        "Labels": null,
        "Scope": "local",
        "CreatedAt": "2026-01-01T00:00:00Z",
    },
    {
        "Name": "alpha9",
        "Driver": "local",
        "Mountpoint": "/m2",
        "Labels": null,
        "Scope": "local",
        "CreatedAt": "2026-01-01T00:00:00Z",
    },
]
SEARCH = [
    {
        "name": "nginx",
        "description": "Official build of Nginx.",
        "star_count": 20000,
        "is_official": true,
        "is_automated": false,
    },
    {
        "name": "bitnami/nginx",
        "description": "Bitnami container image for NGINX, a very long description\nwith newline",
        "star_count": 190,
        "is_official": false,
        "is_automated": true,
    },
]
EXPECTED = {
    "im_default": "REPOSITORY             TAG       IMAGE ID       CREATED         SIZE\nnginx                  latest    a1a1a1a1a1a1   3 days ago      188MB\nnginx                  1.25      a1a1a1a1a1a1   3 days ago      188MB\nlocalhost:5000/nginx   v1        a1a1a1a1a1a1   3 days ago      188MB\nbusybox                <none>    b2b2b2b2b2b2   13 months ago   4.26MB\n<none>                 <none>    e3e3e3e3e3e3   2 hours ago     999B\n<none>                 <none>    f4f4f4f4f4f4   56 years ago    0B\n",
    "im_digests": "REPOSITORY             TAG       DIGEST                                                                    IMAGE ID       CREATED         SIZE\nnginx                  latest    sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc   a1a1a1a1a1a1   3 days ago      188MB\nnginx                  1.25      sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc   a1a1a1a1a1a1   3 days ago      188MB\nlocalhost:5000/nginx   v1        <none>                                                                    a1a1a1a1a1a1   3 days ago      188MB\nbusybox                <none>    sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd   b2b2b2b2b2b2   13 months ago   4.26MB\n<none>                 <none>    <none>                                                                    e3e3e3e3e3e3   2 hours ago     999B\n<none>                 <none>    <none>                                                                    f4f4f4f4f4f4   56 years ago    0B\n",
    "im_notrunc": "REPOSITORY             TAG       IMAGE ID                                                                  CREATED         SIZE\nnginx                  latest    sha256:a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1   3 days ago      188MB\nnginx                  1.25      sha256:a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1   3 days ago      188MB\nlocalhost:5000/nginx   v1        sha256:a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1   3 days ago      188MB\nbusybox                <none>    sha256:b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2   13 months ago   4.26MB\n<none>                 <none>    sha256:e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3   2 hours ago     999B\n<none>                 <none>    sha256:f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4   56 years ago    0B\n",
    "im_q": "a1a1a1a1a1a1\na1a1a1a1a1a1\na1a1a1a1a1a1\nb2b2b2b2b2b2\ne3e3e3e3e3e3\nf4f4f4f4f4f4\n",
    "im_json": '{"Containers":"N/A","CreatedAt":"2026-11-24 18:29:46 +0000 UTC","CreatedSince":"3 days ago","Digest":"\\u003cnone\\u003e","ID":"a1a1a1a1a1a1","Repository":"nginx","SharedSize":"N/A","Size":"188MB","Tag":"latest","UniqueSize":"N/A","VirtualSize":"187.7MB"}\n{"Containers":"N/A","CreatedAt":"2026-11-24 18:29:46 +0000 UTC","CreatedSince":"3 days ago","Digest":"\\u003cnone\\u003e","ID":"a1a1a1a1a1a1","Repository":"nginx","SharedSize":"N/A","Size":"188MB","Tag":"1.25","UniqueSize":"N/A","VirtualSize":"187.7MB"}\n{"Containers":"N/A","CreatedAt":"2026-11-24 18:29:46 +0000 UTC","CreatedSince":"3 days ago","Digest":"\\u003cnone\\u003e","ID":"a1a1a1a1a1a1","Repository":"localhost:5000/nginx","SharedSize":"N/A","Size":"188MB","Tag":"v1","UniqueSize":"N/A","VirtualSize":"187.7MB"}\n{"Containers":"N/A","CreatedAt":"2025-10-23 18:29:46 +0000 UTC","CreatedSince":"13 months ago","Digest":"","ID":"b2b2b2b2b2b2","Repository":"busybox","SharedSize":"N/A","Size":"4.26MB","Tag":"\\u003cnone\\u003e","UniqueSize":"N/A","VirtualSize":"4.262MB"}\n{"Containers":"2","CreatedAt":"2026-11-27 16:29:46 +0000 UTC","CreatedSince":"2 hours ago","Digest":"\\u003cnone\\u003e","ID":"e3e3e3e3e3e3","Repository":"\\u003cnone\\u003e","SharedSize":"N/A","Size":"999B","Tag":"\\u003cnone\\u003e","UniqueSize":"N/A","VirtualSize":"999B"}\n{"Containers":"N/A","CreatedAt":"1970-01-01 00:00:00 +0000 UTC","CreatedSince":"56 years ago","Digest":"\\u003cnone\\u003e","ID":"f4f4f4f4f4f4","Repository":"\\u003cnone\\u003e","SharedSize":"N/A","Size":"0B","Tag":"\\u003cnone\\u003e","UniqueSize":"N/A","VirtualSize":"0B"}\n',
    "hi_default": 'IMAGE          CREATED       CREATED BY                                      SIZE      COMMENT\na1a1a1a1a1a1   3 days ago    /bin/sh -c #(nop)  CMD ["nginx" "-g" "daemon…   0B        \n<missing>      4 days ago    RUN /bin/sh -c apt-get update && apt-get ins…   123MB     buildkit.dockerfile.v0\n<missing>      5 weeks ago                                                   4.26MB    Imported from -\n',
    "hi_notrunc": 'IMAGE                                                                     CREATED       CREATED BY                                                             SIZE      COMMENT\nsha256:a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1   3 days ago    /bin/sh -c #(nop)  CMD ["nginx" "-g" "daemon off;"]                    0B        \n<missing>                                                                 4 days ago    RUN /bin/sh -c apt-get update && apt-get install -y nginx # buildkit   123MB     buildkit.dockerfile.v0\n<missing>                                                                 5 weeks ago                                                                          4.26MB    Imported from -\n',
    "hi_noh": 'IMAGE          CREATED AT             CREATED BY                                      SIZE        COMMENT\na1a1a1a1a1a1   2026-11-24T18:29:46Z   /bin/sh -c #(nop)  CMD ["nginx" "-g" "daemon…   0           \n<missing>      2026-11-23T18:29:46Z   RUN /bin/sh -c apt-get update && apt-get ins…   123456789   buildkit.dockerfile.v0\n<missing>      2026-10-18T18:29:46Z                                                   4261550     Imported from -\n',
    "hi_q": "a1a1a1a1a1a1\n<missing>\n<missing>\n",
    "hi_json": '{"Comment":"","CreatedAt":"2026-11-24T18:29:46Z","CreatedBy":"/bin/sh -c #(nop)  CMD [\\"nginx\\" \\"-g\\" \\"daemon…","CreatedSince":"3 days ago","ID":"a1a1a1a1a1a1","Size":"0B"}\n{"Comment":"buildkit.dockerfile.v0","CreatedAt":"2026-11-23T18:29:46Z","CreatedBy":"RUN /bin/sh -c apt-get update \\u0026\\u0026 apt-get ins…","CreatedSince":"4 days ago","ID":"\\u003cmissing\\u003e","Size":"123MB"}\n{"Comment":"Imported from -","CreatedAt":"2026-10-18T18:29:46Z","CreatedBy":"","CreatedSince":"5 weeks ago","ID":"\\u003cmissing\\u003e","Size":"4.26MB"}\n',
    "nl_default": "NETWORK ID     NAME       DRIVER    SCOPE\n111111111111   bridge     bridge    local\n222222222222   host       host      local\n444444444444   my-net9    bridge    local\n333333333333   my-net10   bridge    local\n555555555555   none       null      local\n",
    "nl_notrunc": "NETWORK ID                                                         NAME       DRIVER    SCOPE\n1111111111111111111111111111111111111111111111111111111111111111   bridge     bridge    local\n2222222222222222222222222222222222222222222222222222222222222222   host       host      local\n4444444444444444444444444444444444444444444444444444444444444444   my-net9    bridge    local\n3333333333333333333333333333333333333333333333333333333333333333   my-net10   bridge    local\n5555555555555555555555555555555555555555555555555555555555555555   none       null      local\n",
    "vl_default": "DRIVER    VOLUME NAME\nlocal     alpha9\nlocal     alpha10\nlocal     zeta\n",
    "vl_json": '{"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"","Links":"N/A","Mountpoint":"/m2","Name":"alpha9","Scope":"local","Size":"N/A","Status":"N/A"}\n{"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"","Links":"N/A","Mountpoint":"/m","Name":"alpha10","Scope":"local","Size":"N/A","Status":"N/A"}\n{"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"x=y","Links":"N/A","Mountpoint":"/var/lib/docker/volumes/zeta/_data","Name":"zeta","Scope":"local","Size":"N/A","Status":"N/A"}\n',
    "se_default": "NAME            DESCRIPTION                                     STARS     OFFICIAL\nnginx           Official build of Nginx.                        20000     [OK]\nbitnami/nginx   Bitnami container image for NGINX, a very lo…   190       \n",
    "se_notrunc": "NAME            DESCRIPTION                                                               STARS     OFFICIAL\nnginx           Official build of Nginx.                                                  20000     [OK]\nbitnami/nginx   Bitnami container image for NGINX, a very long description with newline   190       \n",
    "se_json": '{"Description":"Official build of Nginx.","IsOfficial":"true","Name":"nginx","StarCount":"20000"}\n{"Description":"Bitnami container image for NGINX, a very lo…","IsOfficial":"false","Name":"bitnami/nginx","StarCount":"190"}\n',
    "nl_json": '{"CreatedAt":"2026-01-01 00:00:00 +0000 UTC","Driver":"bridge","ID":"111111111111","IPv4":"false","IPv6":"false","Internal":"false","Labels":"","Name":"bridge","Scope":"local"}\n{"CreatedAt":"2026-01-01 00:00:00 +0000 UTC","Driver":"host","ID":"222222222222","IPv4":"false","IPv6":"false","Internal":"false","Labels":"","Name":"host","Scope":"local"}\n{"CreatedAt":"2026-01-01 00:00:00 +0000 UTC","Driver":"bridge","ID":"444444444444","IPv4":"false","IPv6":"false","Internal":"false","Labels":"","Name":"my-net9","Scope":"local"}\n{"CreatedAt":"2026-01-01 00:00:00 +0000 UTC","Driver":"bridge","ID":"333333333333","IPv4":"false","IPv6":"true","Internal":"true","Labels":"a=b,c=d","Name":"my-net10","Scope":"local"}\n{"CreatedAt":"2026-01-01 00:00:00 +0000 UTC","Driver":"null","ID":"555555555555","IPv4":"false","IPv6":"false","Internal":"false","Labels":"","Name":"none","Scope":"local"}\n',
}


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _images(fmt, digests=False, trunc=True):
    rows = [r for img in IMAGES for r in image_rows(img, digests, trunc, NOW)]
    return render_list(rows, fmt, "image", digest=digests)


def test_images_default():
    assert _images(None) == EXPECTED["im_default"]


def test_images_digests():
    assert _images(None, digests=True) == EXPECTED["im_digests"]


def test_images_no_trunc():
    assert _images(None, trunc=False) == EXPECTED["im_notrunc"]


def test_images_quiet_one_line_per_row():
    assert _images("{{.ID}}") == EXPECTED["im_q"]


def test_images_json():
    assert _images("json") == EXPECTED["im_json"]


def _history(fmt, human=True, trunc=True):
    rows = [history_row(h, human, trunc, NOW) for h in HISTORY]
    return render_list(rows, fmt, "history", human=human)


@pytest.mark.parametrize(
    "name,fmt,human,trunc",
    [
        ("hi_default", None, True, True),
        ("hi_notrunc", None, True, False),
        ("hi_noh", None, False, True),
        ("hi_q", "{{.ID}}", True, True),
        ("hi_json", "{{json .}}", True, True),
    ],
)
def test_history(name, fmt, human, trunc):
    assert _history(fmt, human, trunc) == EXPECTED[name]


def _networks(fmt, trunc=True):
    nets = sorted(NETWORKS, key=lambda n: natural_key(n["Name"]))
    rows = [network_row(n, trunc) for n in nets]
    return render_list(rows, fmt, "network")


def test_network_ls():
    assert _networks(None) == EXPECTED["nl_default"]
    assert _networks(None, trunc=False) == EXPECTED["nl_notrunc"]
    assert _networks("json") == EXPECTED["nl_json"]


def test_volume_ls():
    vols = sorted(VOLUMES, key=lambda v: natural_key(v["Name"]))
    rows = [volume_row(v) for v in vols]
    assert render_list(rows, None, "volume") == EXPECTED["vl_default"]
    assert render_list(rows, "json", "volume") == EXPECTED["vl_json"]


@pytest.mark.parametrize(
    "name,fmt,trunc",
    [("se_default", None, True), ("se_notrunc", None, False), ("se_json", "{{json .}}", True)],
)
def test_search(name, fmt, trunc):
    rows = [search_row(r, trunc, json_mode=fmt is not None) for r in SEARCH]
    assert render_list(rows, fmt, "search") == EXPECTED[name]


IMAGES_QUICK = [[], ["-a"], ["-aq"], ["--digests", "--no-trunc"], ["nginx"], ["nginx:1.2", "-q"],
                ["--format", "{{.ID}}"], ["--format=table {{.Repository}}", "--tree"], ["-", "--all"]]  # fmt: skip
IMAGES_LEFT = [["-f", "dangling=true"], ["--filter=x=y"], ["a", "b"], ["--format"], ["-x"],
               ["--dig"], ["--", "a"], ["--help"]]  # fmt: skip


@pytest.mark.parametrize("argv", IMAGES_QUICK)
def test_plain_images_lines_read_as_argparse_reads_them(monkeypatch, argv):
    from dockyard.cli import images

    expected = vars(images._images_parser().parse_args(argv))
    monkeypatch.setattr(images, "_images_parser", None)  # argparse is not used
    assert vars(images.images_args(argv)) == expected


@pytest.mark.parametrize("argv", IMAGES_LEFT)
def test_other_images_lines_are_left_to_argparse(monkeypatch, argv):
    from dockyard.cli import images

    def refuse():
        raise LookupError("argparse")

    monkeypatch.setattr(images, "_images_parser", refuse)
    with pytest.raises(LookupError):
        images.images_args(argv)


def test_a_bad_list_template_is_reported_without_a_traceback():
    with pytest.raises(CLIError):
        render_list([{"ID": "x"}], "{{.ID", "image")
