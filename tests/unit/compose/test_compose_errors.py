"""Bad compose files fail before anything is created, with Docker Compose v2's messages
(each message below was checked against `docker-compose config` v2.40)."""

from __future__ import annotations

import pytest

from dockyard.compose.errors import ComposeError
from dockyard.compose.loader import LoadOptions, load

CASES = [
    (
        "services:\n  web:\n    image: x\n    ports: 80\n",
        "validating {file}: services.web.ports must be a array",
    ),
    (
        "services:\n  web:\n    image: x\n    foo: 1\n",
        "validating {file}: services.web additional properties 'foo' not allowed",
    ),
    ("foo: 1\n", "validating {file}:  additional properties 'foo' not allowed"),
    (
        "services:\n  web:\n    image: x\n    environment: 5\n",
        "validating {file}: services.web.environment must be a mapping",
    ),
    (
        "services:\n  web:\n    image: x\n    depends_on: [db]\n",
        'service "web" depends on undefined service "db": invalid compose project',
    ),
    (
        "services:\n  web:\n    build: .\n    links: [nope]\n",
        'service "web" depends on undefined service "nope": invalid compose project',
    ),
    (
        "services:\n  web:\n    image: ${X:?need X}\n",
        "error while interpolating services.web.image: required variable X is missing a value: need X",
    ),
    (
        "services:\n  web:\n    image: ${X}\n",
        'service "web" has neither an image nor a build context specified: invalid compose project',
    ),
    (
        "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n",
        "dependency cycle detected: a -> b -> a",
    ),
    (
        "services:\n  web:\n    image: x\n    env_file: nope.env\n",
        "env file {dir}/nope.env not found: stat {dir}/nope.env: no such file or directory",
    ),
    (
        'services:\n  web:\n    image: x\n    deploy:\n      replicas: "x"\n',
        "error while interpolating services.web.deploy.replicas: failed to cast to expected "
        'type: strconv.Atoi: parsing "x": invalid syntax',
    ),
    (
        "services:\n  a:\n    image: x\n  a:\n    image: y\n",
        'yaml: line 4: mapping key "a" already defined at line 2',
    ),
]


@pytest.mark.parametrize(("text", "message"), CASES)
def test_bad_file_is_refused_with_composes_message(text, message, tmp_path):
    path = tmp_path / "compose.yaml"
    path.write_text(text)
    with pytest.raises(ComposeError) as err:
        load(LoadOptions(files=[str(path)], environ={}, cwd=str(tmp_path), warn=lambda m: None))
    assert str(err.value) == message.format(file=path, dir=tmp_path)


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        (
            "My_Proj.X",
            'invalid project name "My_Proj.X": must consist only of lowercase alphanumeric '
            "characters, hyphens, and underscores as well as start with a letter or number",
        )
    ],
)
def test_explicit_project_name_is_checked(flag, message, tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: x\n")
    with pytest.raises(ComposeError, match="invalid project name") as err:
        load(LoadOptions(project_name=flag, environ={}, cwd=str(tmp_path)))
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("directory", "env", "expected"),
    [
        ("My Dir.v2", {}, "mydirv2"),
        ("proj", {"COMPOSE_PROJECT_NAME": "fromenv"}, "fromenv"),
        ("_x-Y", {}, "x-y"),
    ],
)
def test_project_name_precedence_and_normalisation(directory, env, expected, tmp_path):
    work = tmp_path / directory
    work.mkdir()
    (work / "compose.yaml").write_text("services:\n  a:\n    image: x\n")
    assert load(LoadOptions(environ=env, cwd=str(work))).name == expected


def test_top_level_name_loses_to_env_and_flag(tmp_path):
    (tmp_path / "compose.yaml").write_text("name: top\nservices:\n  a:\n    image: x\n")
    assert load(LoadOptions(environ={}, cwd=str(tmp_path))).name == "top"
    env = {"COMPOSE_PROJECT_NAME": "env"}
    assert load(LoadOptions(environ=env, cwd=str(tmp_path))).name == "env"
    assert load(LoadOptions(project_name="flag", environ=env, cwd=str(tmp_path))).name == "flag"


def test_stdin_file_and_profiles(tmp_path):
    import io

    text = "services:\n  a:\n    image: x\n  b:\n    image: y\n    profiles: [debug]\n"
    opts = LoadOptions(files=["-"], environ={}, cwd=str(tmp_path), stdin=io.StringIO(text))
    project = load(opts)
    assert list(project.services) == ["a"] and list(project.disabled) == ["b"]
    opts = LoadOptions(
        files=["-"], environ={}, cwd=str(tmp_path), stdin=io.StringIO(text), profiles=["debug"]
    )
    assert list(load(opts).services) == ["a", "b"]


def test_env_file_flag_replaces_dotenv_and_environment_wins(tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: ${IMG}:${TAG}\n")
    (tmp_path / ".env").write_text("IMG=fromdotenv\nTAG=1\n")
    (tmp_path / "other.env").write_text("IMG=fromflag\nTAG=2\n")
    project = load(LoadOptions(environ={}, cwd=str(tmp_path)))
    assert project.services["a"]["image"] == "fromdotenv:1"
    project = load(LoadOptions(environ={}, cwd=str(tmp_path), env_files=["other.env"]))
    assert project.services["a"]["image"] == "fromflag:2"
    project = load(LoadOptions(environ={"TAG": "os"}, cwd=str(tmp_path)))
    assert project.services["a"]["image"] == "fromdotenv:os"
    with pytest.raises(ComposeError, match="Couldn't find env file"):
        load(LoadOptions(environ={}, cwd=str(tmp_path), env_files=["missing.env"]))


def test_compose_file_variable_and_project_directory(tmp_path):
    (tmp_path / "a.yml").write_text("services:\n  a:\n    image: x\n    build: ./ctx\n")
    (tmp_path / "b.yml").write_text("services:\n  a:\n    image: y\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    env = {"COMPOSE_FILE": "a.yml:b.yml"}
    project = load(LoadOptions(environ=env, cwd=str(tmp_path)))
    assert project.services["a"]["image"] == "y"
    assert project.config_files == [str(tmp_path / "a.yml"), str(tmp_path / "b.yml")]
    project = load(
        LoadOptions(files=["a.yml"], project_directory="sub", environ={}, cwd=str(tmp_path))
    )
    assert project.name == "sub"
    assert project.services["a"]["build"]["context"] == str(sub / "ctx")


def test_compose_file_found_in_a_parent_directory(tmp_path):
    (tmp_path / "docker-compose.yml").write_text("services:\n  a:\n    image: x\n")
    (tmp_path / "docker-compose.override.yml").write_text("services:\n  a:\n    image: y\n")
    deep = tmp_path / "x" / "y"
    deep.mkdir(parents=True)
    project = load(LoadOptions(environ={}, cwd=str(deep)))
    assert project.services["a"]["image"] == "y"
    assert project.working_dir == str(tmp_path)


def test_a_valid_file_is_remembered_and_a_bad_one_never(tmp_path):
    import os

    cache = tmp_path.parent / os.environ["XDG_CACHE_HOME"] / "dockyard" / "compose-valid"
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: x\n")
    load(LoadOptions(environ={}, cwd=str(tmp_path)))
    assert len(os.listdir(cache)) == 1
    load(LoadOptions(environ={}, cwd=str(tmp_path)))  # served from the cache
    assert len(os.listdir(cache)) == 1
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: x\n    bogus: 1\n")
    with pytest.raises(ComposeError, match="additional properties 'bogus' not allowed"):
        load(LoadOptions(environ={}, cwd=str(tmp_path)))
    assert len(os.listdir(cache)) == 1
